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
            "--no-gc-freeze", action="store_true",
            help="do not freeze the objects of start-up out of the garbage collector's scans "
                 "(default: frozen in every server process; decision 0028)")
        parser.add_argument("--fd", type=int, default=None, help=_hidden())

    def handle(self, *args: Any, host: str, port: int, threads: int, workers: int,
               no_worker: bool, trusted_proxy: str | None, fd: int | None,
               payment_sandbox: int | None = None, no_gc_freeze: bool = False,
               **options: Any) -> None:
        proxy = trusted_proxy if trusted_proxy is not None else settings.TINHSO_TRUSTED_PROXY
        gc_freeze = not no_gc_freeze
        if fd is not None:  # a child of a multi-process serve: the socket is inherited
            _serve(threads, proxy, gc_freeze, sockets=[socket.socket(fileno=fd)])
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
                _serve(threads, proxy, gc_freeze, host=host, port=port)
            else:
                self.stdout.write(f"{workers} tiến trình máy chủ / server processes.")
                _serve_processes(workers, host, port, threads, proxy, gc_freeze)
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


def _serve(threads: int, proxy: str, gc_freeze: bool, **where: Any) -> None:
    from waitress import serve

    from tinhso.wsgi import application

    if gc_freeze:
        freeze_start_up()
    serve(application, threads=threads, ident="tinhso", **where, **proxy_options(proxy))


def freeze_start_up() -> None:
    """Keep the garbage collector's full collections short in a server process (decision 0028).

    After start-up (Django, the URLconf and every view module loaded: ~300,000 tracked objects
    that live as long as the process) ``gc.freeze()`` moves them out of the collector's sight.
    A full collection then walks only what the requests left behind: measured 578 ms → under
    1 ms (docs/benchmarks.md "intake99"), a pause that stops every thread of the process and
    so lands in the tail. The thresholds stay Python's: a young generation of 50,000 was
    measured worse (one 140–160 ms collection every ~600 submissions)."""
    gc.collect()
    gc.freeze()


def _serve_processes(workers: int, host: str, port: int, threads: int, proxy: str,
                     gc_freeze: bool) -> None:
    """N waitress processes accepting on one listening socket (the kernel spreads the
    connections): every core is used, and each process keeps waitress's proxy handling."""
    if not hasattr(os, "fork"):
        raise CommandError("--workers > 1 needs a POSIX system / cần hệ điều hành POSIX.")
    sock = socket.create_server((host, port), backlog=1024, reuse_port=False)
    sock.set_inheritable(True)
    argv = ["serve", "--fd", str(sock.fileno()), "--threads", str(threads),
            "--trusted-proxy", proxy, *([] if gc_freeze else ["--no-gc-freeze"])]
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
