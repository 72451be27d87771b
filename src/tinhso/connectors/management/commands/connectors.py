"""``tinhso connectors …``: the national connectors (docs/lgsp.md "Connectors")."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.connectors import services
from tinhso.connectors.client import ConnectorError
from tinhso.connectors.registry import register_sandbox


class Command(BaseCommand):
    help = "National portal sync, reconciliation, catalogue comparison, sandbox registration."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reg = sub.add_parser("register-sandbox",
                             help="register the sandbox's services in the LGSP, print settings")
        reg.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8300")
        sub.add_parser("push", help="push the due status updates to the national portal now")
        sub.add_parser("reconcile", help="compare local statuses with the portal's")
        sub.add_parser("catalogue", help="compare the catalogue with the national one")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["action"] == "register-sandbox":
                for key, value in register_sandbox(opts["url"]).items():
                    self.stdout.write(f"{key}={value}")
            elif opts["action"] == "push":
                self.stdout.write(json.dumps(services.portal_push_due()))
            elif opts["action"] == "reconcile":
                r = services.reconcile()
                self.stdout.write(f"checked {r.checked}, matched {r.matched}, pending steps "
                                  f"{r.pending}, mismatched {len(r.mismatched)}, missing "
                                  f"{len(r.missing)}")
                for m in r.mismatched:
                    self.stdout.write(f"  mismatch {m['code']}: local {m['local']}, "
                                      f"portal {m['portal']}")
                for code in r.missing:
                    self.stdout.write(f"  missing {code}")
            else:
                c = services.catalogue_sync()
                if c.error:
                    raise CommandError(c.error)
                self.stdout.write(f"national {c.national_count}, local {c.local_count}; "
                                  f"missing locally {c.missing_locally}; missing nationally "
                                  f"{len(c.missing_nationally)}; names differ {c.name_differs}")
        except ConnectorError as exc:
            raise CommandError(str(exc)) from exc
