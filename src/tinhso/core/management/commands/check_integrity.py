"""``tinhso check-integrity``: every referenced stored file exists with its size and hash."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core.blobsweep import check_integrity


class Command(BaseCommand):
    help = ("Kiểm tra toàn vẹn tệp lưu trữ (tồn tại, dung lượng, SHA-256) và liệt kê tệp mồ "
            "côi. Check every referenced stored file (exists, size, SHA-256) and list orphans; "
            "exits non-zero on any fault.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON report")
        parser.add_argument("--no-orphans", action="store_true",
                            help="skip listing unreferenced files")

    def handle(self, *args: Any, json: bool, no_orphans: bool, **options: Any) -> None:
        report = check_integrity(list_orphans=not no_orphans)
        if json:
            self.stdout.write(_dumps({
                "checked_rows": report.checked_rows, "checked_files": report.checked_files,
                "faults": [vars(f) | {"pk": str(f.pk)} for f in report.faults],
                "orphans": report.orphans}))
        else:
            for fault in report.faults:
                self.stdout.write(f"FAULT {fault.problem}: {fault.model} #{fault.pk} "
                                  f"{fault.name} {fault.detail}".rstrip())
            for name in report.orphans:
                self.stdout.write(f"orphan {name}")
            self.stdout.write(f"{report.checked_rows} rows, {report.checked_files} files "
                              f"checked; {len(report.faults)} faults, "
                              f"{len(report.orphans)} orphans (removed by tinhso sweep-media)")
        if report.faults:
            raise CommandError(f"{len(report.faults)} stored files are missing or damaged",
                               returncode=2)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
