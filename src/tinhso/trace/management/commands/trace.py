"""``tinhso trace …``: the traceability ledger from the shell.

- ``sign-head [--every N]``: sign and time-stamp the current tree head (once, or every N s)
- ``verify-log [--trust-root FILE]``: check the whole ledger; exit status 1 on any problem
- ``add-party USERNAME --name … --kind farm|cooperative|trader|processor|retailer
  [--gln GLN …] [--prefix PREFIX …] [--events-public]``: register an account as a trace party
  (``--events-public``: the party opts in to anyone reading its full events, decision 0020)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Truy xuất nguồn gốc: sổ cái (ký gốc cây, kiểm tra) và các bên ghi nhận."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("sign-head", help="sign and time-stamp the current tree head")
        p.add_argument("--every", type=float, default=0, metavar="SECONDS")
        p = sub.add_parser("verify-log", help="check the whole ledger against its heads")
        p.add_argument("--trust-root", default=None, metavar="FILE")
        p = sub.add_parser("add-party", help="register an account as a trace party")
        p.add_argument("username")
        p.add_argument("--name", required=True)
        p.add_argument("--kind", required=True)
        p.add_argument("--gln", action="append", default=[])
        p.add_argument("--prefix", action="append", default=[])
        p.add_argument("--events-public", action="store_true")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, "_" + action.replace("-", "_"))(**options)

    def _sign_head(self, *, every: float, **_: Any) -> None:
        from tinhso.trace.ledger import head_publish

        while True:
            head = head_publish()
            if head is None:
                self.stdout.write("Không có gì mới để ký. Nothing new to sign.")
            else:
                self.stdout.write(f"Đã ký gốc cây kích thước {head.tree_size}. "
                                  f"Signed the tree head at size {head.tree_size}.")
            if not every:
                return
            time.sleep(every)

    def _verify_log(self, *, trust_root: str | None, **_: Any) -> None:
        from tinhso.trace.verify import verify_log

        pem = Path(trust_root).read_text() if trust_root else None
        report = verify_log(trust_root=pem)
        for problem in report.problems:
            self.stderr.write(problem)
        summary = f"{report.leaves} sự kiện, {report.heads} gốc cây đã ký"
        if not report.ok:
            raise CommandError(f"Sổ cái KHÔNG toàn vẹn ({summary}): "
                               f"{len(report.problems)} vấn đề. The ledger is NOT intact.")
        self.stdout.write(f"Sổ cái toàn vẹn ({summary}). The ledger is intact.")

    def _add_party(self, *, username: str, name: str, kind: str, gln: list[str],
                   prefix: list[str], events_public: bool = False, **_: Any) -> None:
        from tinhso.accounts.models import User
        from tinhso.trace.services import party_register

        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no such user {username!r}")
        party = party_register(acting_user=None, user=user, name=name, kind=kind,
                               glns=[(g, name, "farm") for g in gln], prefixes=prefix,
                               events_public=events_public)
        self.stdout.write(f"Đã đăng ký {party.name} (#{party.pk}).")
