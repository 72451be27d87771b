"""``tinhso privacy erase-citizen ID_NUMBER --reason REF [--dry-run]`` (accounts/privacy.py)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core.errors import DomainError


class Command(BaseCommand):
    help = ("Xoá dữ liệu cá nhân của công dân, giữ hồ sơ pháp lý. Erase a citizen's personal "
            "data, keeping the legal records (docs/privacy.md).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["erase-citizen"])
        parser.add_argument("id_number")
        parser.add_argument("--reason", required=True,
                            help="the erasure request's reference (audited)")
        parser.add_argument("--dry-run", action="store_true",
                            help="show what would be removed and kept; change nothing")

    def handle(self, *args: Any, action: str, id_number: str, reason: str, dry_run: bool,
               **options: Any) -> None:
        from tinhso.accounts.privacy import citizen_erase

        try:
            report = citizen_erase(id_number=id_number, reason=reason, dry_run=dry_run)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_vi} / {exc.message_en}") from exc
        self.stdout.write(json.dumps(report, ensure_ascii=False))
