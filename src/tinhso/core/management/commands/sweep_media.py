"""``tinhso sweep-media``: delete stored files no committed row references (after a grace)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tinhso.core.blobsweep import DEFAULT_MIN_AGE, sweep_orphans


class Command(BaseCommand):
    help = ("Xóa các tệp lưu trữ không còn hồ sơ nào tham chiếu. "
            "Delete stored files that no committed row references, once older than --min-age.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="list what would be deleted; change nothing")
        parser.add_argument("--min-age", type=int, default=DEFAULT_MIN_AGE, metavar="SECONDS",
                            help="grace period: younger files are kept (default: 86400); it "
                                 "must exceed the longest request, so an upload whose "
                                 "transaction has not committed yet is never swept")

    def handle(self, *args: Any, dry_run: bool, min_age: int, **options: Any) -> None:
        if min_age < 0:
            from django.core.management.base import CommandError

            raise CommandError("--min-age must be >= 0")
        report = sweep_orphans(dry_run=dry_run, min_age=min_age)
        verb = "would delete" if dry_run else "deleted"
        for name in report.deleted:
            self.stdout.write(f"{verb} {name}")
        for name in report.restored:
            self.stdout.write(f"kept (in use again) {name}")
        self.stdout.write(
            f"{verb} {len(report.deleted)} files ({report.bytes_freed} bytes), "
            f"{report.temp_deleted} temporary; kept {report.kept_referenced} referenced, "
            f"{report.kept_recent} younger than {min_age} s")
