"""Serve tinhso with waitress, a production WSGI server that needs no C compiler."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Chạy máy chủ web tỉnh số (waitress). Serve tinhso over HTTP."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--trusted-proxy", default=None, metavar="ADDRESS",
            help="address of the reverse proxy whose X-Forwarded-For/-Proto headers are "
                 "believed (default: TINHSO_TRUSTED_PROXY; none)")

    def handle(self, *args: Any, host: str, port: int, threads: int,
               trusted_proxy: str | None, **options: Any) -> None:
        from waitress import serve

        from tinhso.ioc.tasks import start_alert_scanner
        from tinhso.wsgi import application

        self.stdout.write(f"tinhso: http://{host}:{port}/  (Ctrl+C để dừng)")
        scanner = start_alert_scanner()
        from tinhso.lgsp.tasks import start_tree_head_signer

        start_tree_head_signer()
        if scanner is not None:
            seconds = settings.TINHSO_ALERT_SCAN_SECONDS
            self.stdout.write(f"Quét cảnh báo IOC mỗi {seconds} giây / scanning the IOC alerts "
                              f"every {seconds} s (TINHSO_ALERT_SCAN_SECONDS=0 to turn off).")
        serve(application, host=host, port=port, threads=threads, ident="tinhso",
              **proxy_options(trusted_proxy if trusted_proxy is not None
                              else settings.TINHSO_TRUSTED_PROXY))


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
