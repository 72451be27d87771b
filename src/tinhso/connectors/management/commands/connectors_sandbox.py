"""``tinhso connectors-sandbox --port 8300``: the national portal and population database
sandboxes (development and tests only; see tinhso.connectors.sandbox)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the sandboxes of the national portal and the population database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8300)

    def handle(self, *args: Any, **opts: Any) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("the sandboxes are for development and tests, not production")
        from waitress import serve

        from tinhso.connectors.sandbox import app

        self.stdout.write(f"sandbox on http://{opts['host']}:{opts['port']} "
                          "(/dvcqg: Cổng DVC quốc gia, /dancu: CSDL dân cư)")
        serve(app, host=opts["host"], port=opts["port"], threads=4, ident="sandbox")
