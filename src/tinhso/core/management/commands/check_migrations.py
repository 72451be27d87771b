"""``tinhso check-migrations``: fail when a new migration would lock a large table.

See ``tinhso.core.migration_safety`` for the rules; CI runs it in ``make test``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = ("Kiểm tra migration mới có khóa bảng lớn không. Check that migrations not yet "
            "released do not block writes on existing tables or break a rolling upgrade.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list-new", action="store_true",
                            help="print the unreleased migrations (to add at a release)")

    def handle(self, *args: Any, list_new: bool, **options: Any) -> None:
        from django.db.migrations.loader import MigrationLoader

        from tinhso.core import migration_safety

        if list_new:
            loader = MigrationLoader(None, ignore_no_migrations=True)
            for app, name in migration_safety.new_migrations(loader):
                self.stdout.write(f"{app}.{name}")
            return
        findings = migration_safety.check()
        blocking = [f for f in findings if not f.reviewed]
        for f in findings:
            mark = f"reviewed: {f.reviewed}" if f.reviewed else "FAIL"
            self.stdout.write(f"{mark}  {f.migration}: {f.operation} — {f.problem}")
        if blocking:
            raise CommandError(
                f"{len(blocking)} operation(s) of unreleased migrations may block writes on a "
                "large table or break a rolling upgrade: use AddIndexConcurrently, split "
                "expand/contract, or mark the migration reviewed_for_large_tables = \"why\".")
        self.stdout.write(f"migrations: {len(findings)} finding(s), none blocking")
