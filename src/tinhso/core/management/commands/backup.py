"""``tinhso backup DEST``: database, stored files and manifest in one encrypted archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def passphrase_from(options: dict[str, Any]) -> str:
    """--passphrase-file, else TINHSO_BACKUP_PASSPHRASE (or its _FILE). Never in the archive."""
    from django.core.exceptions import ImproperlyConfigured

    from tinhso.settings import env_str

    if options.get("passphrase_file"):
        try:
            return Path(options["passphrase_file"]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CommandError(f"cannot read {options['passphrase_file']}: {exc}") from exc
    try:
        value = env_str("TINHSO_BACKUP_PASSPHRASE", "")
    except ImproperlyConfigured as exc:
        raise CommandError(str(exc)) from exc
    if not value:
        raise CommandError("Cần mật khẩu sao lưu / a passphrase is required: set "
                           "TINHSO_BACKUP_PASSPHRASE(_FILE) or give --passphrase-file.")
    return value


class Command(BaseCommand):
    help = ("Sao lưu cơ sở dữ liệu và tệp thành một tệp mã hóa. Back up the database and the "
            "stored files into one encrypted, checksummed archive (while serving).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", help="archive to write (e.g. /backup/tinhso-2026-12-06.tsb)")
        parser.add_argument("--passphrase-file", default=None)

    def handle(self, *args: Any, dest: str, **options: Any) -> None:
        from tinhso.core.backup import BackupError
        from tinhso.core.backup_ops import make_backup

        target = Path(dest)
        if target.exists():
            raise CommandError(f"{target} exists: choose a new name (backups are never "
                               "overwritten)")
        if not target.parent.is_dir():
            raise CommandError(f"{target.parent} is not a directory")
        try:
            summary = make_backup(target, passphrase_from(options))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup {target}: {summary['database']} database, "
                          f"{summary['files']} files, {summary['bytes']:,} bytes")
