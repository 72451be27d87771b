"""``tinhso sms-sandbox --port 8200``: run the SMS sandbox (local, sends nothing)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.notifications.sms_sandbox import NAME, SmsSandbox


class Command(BaseCommand):
    help = (f"Run the {NAME}: records the SMS this platform would send and lists them on a "
            "page. Development only.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8200)
        parser.add_argument("--log", default="", help="also append each message to this "
                            "JSON-lines file")
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError(f"The {NAME} refuses to run with TINHSO_PRODUCTION=true.")
        token = settings.TINHSO_SMS_TOKEN
        if not token:
            raise CommandError("Set TINHSO_SMS_TOKEN: the sandbox checks it like a gateway.")
        import waitress

        app = SmsSandbox(token=token, log_path=Path(options["log"]) if options["log"] else None)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        base = f"http://{options['host']}:{options['port']}"
        self.stdout.write(f"{NAME}\n  messages page: {base}/\n  API:           {base}/api/sms\n"
                          f"  set TINHSO_SMS_URL={base} on the platform\n")
        self.stdout.flush()
        waitress.serve(app, host=options["host"], port=options["port"],
                       threads=options["threads"], ident="tinhso-sms-sandbox")
