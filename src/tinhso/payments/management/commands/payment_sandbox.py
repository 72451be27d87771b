"""``tinhso payment-sandbox --port 8100``: run the VNPAY sandbox (local, not real money)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.payments import conf, services
from tinhso.payments.sandbox import IPN_MODES, NAME, PAY_PATH, SandboxApp
from tinhso.payments.sandbox_api import API_FAILURES


class Command(BaseCommand):
    help = (f"Run the {NAME}: a local payment page speaking VNPAY 2.1.0 that calls this "
            "server's IPN URL and redirects to its return URL. Development only.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=conf.DEV_SANDBOX_PORT)
        parser.add_argument(
            "--ipn-url", default="",
            help="merchant IPN URL (default: TINHSO_PUBLIC_URL + /thanh-toan/vnpay/ipn)")
        parser.add_argument(
            "--ipn-mode", choices=IPN_MODES, default="before",
            help="before: notify, then redirect (default); after: redirect, notify 1 s later "
                 "(shows the 'đang xác nhận' page); none: never notify")
        parser.add_argument(
            "--api-failure", choices=[f for f in API_FAILURES if f], default="",
            help="make the merchant web API (querydr, refund) misbehave: checksum (wrong "
                 "vnp_SecureHash), error (code 99), slow (answer after 2 s), refund-refused (95)")
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args: Any, **options: Any) -> None:
        if conf.is_production():
            raise CommandError(f"The {NAME} refuses to run with TINHSO_PRODUCTION=true.")
        import waitress

        ipn_url = options["ipn_url"] or f"{conf.public_url()}{services.IPN_PATH}"
        app = SandboxApp(secret=conf.hash_secret(), tmn_code=conf.tmn_code(), ipn_url=ipn_url,
                         ipn_mode=options["ipn_mode"], api_failure=options["api_failure"])
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        self.stdout.write(
            f"{NAME}\n  payment page: http://{options['host']}:{options['port']}{PAY_PATH}\n"
            f"  IPN URL:      {ipn_url} (mode {options['ipn_mode']})\n"
            f"  terminal:     {app.tmn_code}\n"
        )
        self.stdout.flush()
        waitress.serve(app, host=options["host"], port=options["port"],
                       threads=options["threads"], ident="tinhso-payment-sandbox")
