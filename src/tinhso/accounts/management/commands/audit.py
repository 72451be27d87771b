"""``tinhso audit verify``: check the audit log's hash chain (accounts/auditchain.py).

Exit 0 and the head (seq and hash) when every row is intact; exit 2 and the breaks otherwise.
Record the printed head somewhere the database administrator cannot write: the next run then
also proves that no one rewrote the chain before it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = ("Kiểm tra tính toàn vẹn của nhật ký thay đổi. Verify the audit log's hash chain "
            "(`verify`); `--expect-head SEQ:HASH` also checks against a head recorded earlier.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("--expect-head", default="",
                            help="SEQ:HASH printed by an earlier run: that row must still be there "
                                 "with that hash")

    def handle(self, *args: Any, action: str, expect_head: str, **options: Any) -> None:
        from tinhso.accounts import auditchain

        report = auditchain.verify()
        if expect_head:
            report.problems += auditchain.check_recorded_head(expect_head)
        for problem in report.problems:
            self.stderr.write(f"BROKEN {problem}")
        self.stdout.write(f"audit log: {report.rows} rows; head seq {report.head_seq} "
                          f"{report.head_hash}")
        if not report.ok:
            self.stderr.write(f"{len(report.problems)} break(s) in the audit chain")
            raise SystemExit(2)
        self.stdout.write("audit chain intact")
