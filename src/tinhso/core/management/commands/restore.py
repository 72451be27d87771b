"""``tinhso restore SRC``: restore an archive of ``tinhso backup`` into an empty installation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core.management.commands.backup import passphrase_from


class Command(BaseCommand):
    help = ("Khôi phục bản sao lưu vào cơ sở dữ liệu và thư mục tệp trống. Restore a backup "
            "into an empty database and media directory (--check: only verify the archive).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src")
        parser.add_argument("--passphrase-file", default=None)
        parser.add_argument("--check", action="store_true",
                            help="decrypt and verify every member; restore nothing")

    def handle(self, *args: Any, src: str, check: bool, **options: Any) -> None:
        from tinhso.core.backup import BackupError
        from tinhso.core.backup_ops import restore_backup

        path = Path(src)
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        try:
            summary = restore_backup(path, passphrase_from(options), check_only=check)
        except BackupError as exc:
            raise CommandError(f"BACKUP_INVALID: {exc}") from exc
        verb = "verified" if check else "restored"
        self.stdout.write(f"{verb} {path}: {summary['database']} database of "
                          f"{summary['created_at']}, {summary['files']} files")
        if not check:
            self.stdout.write("next: tinhso migrate (if this release is newer), then "
                              "tinhso check-integrity and tinhso ioc verify")
