"""Serve tinhso with waitress (a production WSGI server that needs no C compiler), in one or
several processes, with a job consumer beside it in the embedded set-up."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# The youngest generation's threshold in server processes (Python's default is 700); see
# tune_gc and docs/benchmarks.md "intake99".
GC_GEN0 = 50_000


class Command(BaseCommand):
    help = "Chạy máy chủ web tỉnh số (waitress). Serve tinhso over HTTP."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--workers", type=int, default=1,
                            help="server processes sharing the port (default 1)")
        parser.add_argument("--no-worker", action="store_true",
                            help="do not start a job consumer beside the server "
                                 "(default: TINHSO_SERVE_WORKER)")
        parser.add_argument(
            "--trusted-proxy", default=None, metavar="ADDRESS",
            help="address of the reverse proxy whose X-Forwarded-For/-Proto headers are "
                 "believed (default: TINHSO_TRUSTED_PROXY; none)")
        parser.add_argument(
            "--payment-sandbox", type=int, default=None, metavar="PORT",
            help="also run the local VNPAY payment sandbox (not real money) on PORT, beside "
                 "the server (`make run` does: port 8100); refused in production")
        parser.add_argument(
            "--gc-gen0", type=int, default=GC_GEN0, metavar="N",
            help="per server process: freeze the objects of start-up out of the garbage "
                 f"collector and collect the youngest generation every N allocations "
                 f"(default {GC_GEN0}; 0 keeps Python's defaults: 700, nothing frozen)")
        parser.add_argument("--fd", type=int, default=None, help=_hidden())

    def handle(self, *args: Any, host: str, port: int, threads: int, workers: int,
               no_worker: bool, trusted_proxy: str | None, fd: int | None,
               payment_sandbox: int | None = None, gc_gen0: int = GC_GEN0,
               **options: Any) -> None:
        proxy = trusted_proxy if trusted_proxy is not None else settings.TINHSO_TRUSTED_PROXY
        if gc_gen0 < 0:
            raise CommandError("--gc-gen0 phải ≥ 0 / must be at least 0.")
        if fd is not None:  # a child of a multi-process serve: the socket is inherited
            _serve(threads, proxy, gc_gen0, sockets=[socket.socket(fileno=fd)])
            return
        if workers < 1:
            raise CommandError("--workers phải ≥ 1 / must be at least 1.")
        # SIGTERM (systemd, docker stop) ends serving like Ctrl+C: the finally below runs and
        # stops the job consumer and the server processes.
        signal.signal(signal.SIGTERM, _raise_interrupt)
        self.stdout.write(f"tinhso: http://{host}:{port}/  (Ctrl+C để dừng)")
        consumer = sandbox = None
        if payment_sandbox is not None:
            if settings.PRODUCTION:
                raise CommandError("--payment-sandbox: không dùng trong môi trường thật / "
                                   "refused with TINHSO_PRODUCTION=true.")
            sandbox = subprocess.Popen(_tinhso(  # noqa: S603
                "payment-sandbox", "--host", "127.0.0.1", "--port", str(payment_sandbox)))
            self.stdout.write(
                f"Cổng thanh toán thử nghiệm (sandbox, không phải tiền thật) / payment sandbox: "
                f"http://127.0.0.1:{payment_sandbox}/ — trả về {settings.TINHSO_PUBLIC_URL}")
        if not no_worker and settings.TINHSO_SERVE_WORKER:
            consumer = _start_consumer()
            self.stdout.write("Tác vụ nền chạy kèm / job consumer started beside the server "
                              f"(pid {consumer.pid}; --no-worker to run `tinhso worker` apart).")
        try:
            if workers == 1:
                _serve(threads, proxy, gc_gen0, host=host, port=port)
            else:
                self.stdout.write(f"{workers} tiến trình máy chủ / server processes.")
                _serve_processes(workers, host, port, threads, proxy, gc_gen0)
        except KeyboardInterrupt:
            self.stdout.write("Đã dừng / stopped.")
        finally:
            if consumer is not None:
                _stop(consumer)
            if sandbox is not None:
                _stop(sandbox, timeout=5)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def _tinhso(*args: str) -> list[str]:
    return [sys.executable, "-m", "tinhso", *args]


def _start_consumer() -> subprocess.Popen[bytes]:
    # A child process, not a thread: Huey's consumer wants the main thread for its signals,
    # and a crash of one does not take the other down. It exits if this process dies.
    return subprocess.Popen(_tinhso("worker", "--parent-pid", str(os.getpid())))  # noqa: S603


def _stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)  # graceful: running jobs finish
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _serve(threads: int, proxy: str, gc_gen0: int, **where: Any) -> None:
    from waitress import serve

    from tinhso.wsgi import application

    tune_gc(gc_gen0)
    serve(application, threads=threads, ident="tinhso", **where, **proxy_options(proxy))


def tune_gc(gen0: int) -> None:
    """Fewer, shorter collector pauses in a server process (decision 0028).

    After start-up (Django, the URLconf and every view module loaded: ~10⁶ objects that live
    as long as the process) ``gc.freeze()`` moves them out of the collector's sight, so the
    full collections that the requests' garbage triggers now and then no longer walk them —
    those walks were the long pauses, and every thread of the process waits them out. A larger
    youngest generation than Python's 700 lets one request's short-lived objects (the
    multipart body, the ORM's rows, the JSON-Schema validation) die by reference counting
    before a collection looks at them. 0 keeps Python's defaults."""
    if gen0 == 0:
        return
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0, gen1, gen2)


def _serve_processes(workers: int, host: str, port: int, threads: int, proxy: str,
                     gc_gen0: int) -> None:
    """N waitress processes accepting on one listening socket (the kernel spreads the
    connections): every core is used, and each process keeps waitress's proxy handling."""
    if not hasattr(os, "fork"):
        raise CommandError("--workers > 1 needs a POSIX system / cần hệ điều hành POSIX.")
    sock = socket.create_server((host, port), backlog=1024, reuse_port=False)
    sock.set_inheritable(True)
    argv = ["serve", "--fd", str(sock.fileno()), "--threads", str(threads),
            "--trusted-proxy", proxy, "--gc-gen0", str(gc_gen0)]
    children = [subprocess.Popen(_tinhso(*argv), pass_fds=[sock.fileno()])  # noqa: S603
                for _ in range(workers)]
    try:
        _wait_any(children)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        sock.close()


def _wait_any(children: list[subprocess.Popen[bytes]]) -> None:
    """Return when a server child exits (then all are stopped); Ctrl+C/SIGTERM interrupt."""
    pids = {child.pid for child in children}
    while True:
        pid, _ = os.wait()  # the job consumer may exit too: only a server child ends serving
        if pid in pids:
            return


def proxy_options(address: str) -> dict[str, Any]:
    """waitress options that believe the proxy at ``address`` about the client.

    Without them every request behind nginx carries the proxy's address as REMOTE_ADDR, and the
    per-address rate limits would throttle the whole province as one client. Headers from any
    other sender are removed (waitress clears untrusted proxy headers), so a client cannot pick
    its own address by sending X-Forwarded-For.
    """
    if not address:
        return {}
    return {"trusted_proxy": address, "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            "clear_untrusted_proxy_headers": True}
