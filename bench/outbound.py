"""Benchmark: what the SSRF guard (``tinhso.core.outbound``) adds to a delivery — a POST through
``outbound.client()`` (resolve once, check every address, connect to the checked one) beside
the same POST through a plain ``httpx.Client`` (the baseline), to an HTTP receiver on
127.0.0.1, both on a new client and connection per request (as the first POST of a delivery
pass) and on a kept-alive one; plus ``check_url`` (registration) alone. The baseline shares one
TLS context, as the guarded client does (building one loads the CA bundle); a third line shows
httpx's default, a context per client, which the senders used before.

    .venv/bin/python bench/outbound.py [--requests 300]

No database. The receiver's name is ``localhost`` (resolved by the system resolver, as in
production); 127.0.0.0/8 is allowed for the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _median_ms(run: Callable[[], None], n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    n = parser.parse_args().requests
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    os.environ["TINHSO_OUTBOUND_ALLOW"] = "127.0.0.0/8,::1/128"
    os.environ["TINHSO_OUTBOUND_PORTS"] = "*"
    import django

    django.setup()
    import httpx

    from tinhso.core import outbound

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://localhost:{server.server_address[1]}/cb"
    body = b'{"type":"EPCISQueryDocument"}'

    def fresh(make: Callable[[], httpx.Client]) -> Callable[[], None]:
        def run() -> None:
            with make() as http:
                assert http.post(url, content=body).status_code == 204

        return run

    shared = httpx.create_ssl_context(trust_env=False)

    def plain() -> httpx.Client:  # the same shared TLS context as the guarded client
        return httpx.Client(timeout=5, follow_redirects=False, trust_env=False, verify=shared)

    def plain_default() -> httpx.Client:  # what the senders did before: a context per client
        return httpx.Client(timeout=5, follow_redirects=False, trust_env=False)

    def guarded() -> httpx.Client:
        return outbound.client(timeout=5)

    # Three interleaved rounds, the best median of each: the machine is shared and noisy.
    kinds = (("plain httpx (baseline)", plain), ("guarded", guarded),
             ("plain, context per client", plain_default))
    best: dict[str, tuple[float, float]] = {}
    for _ in range(3):
        for label, make in kinds:
            new_conn = _median_ms(fresh(make), n)
            with make() as http:
                kept = _median_ms(lambda h=http: h.post(url, content=body), n)  # type: ignore[misc]
            old = best.get(label, (float("inf"), float("inf")))
            best[label] = (min(old[0], new_conn), min(old[1], kept))
    rows = [(label, *best[label]) for label, _ in kinds]
    check = _median_ms(lambda: outbound.check_url(url), n)
    server.shutdown()
    base_new, base_kept = rows[0][1], rows[0][2]
    print(f"load average: {os.getloadavg()}")
    print(f"{'':24} {'new client+connection':>22} {'kept-alive POST':>16}")
    for label, new_conn, kept in rows:
        print(f"{label:24} {new_conn:9.2f} ms (x{new_conn / base_new:4.2f}) "
              f"{kept:8.2f} ms (x{kept / base_kept:4.2f})")
    print(f"check_url (registration): {check:.3f} ms median")


if __name__ == "__main__":
    main()
