"""``tinhso catalog-import FILE.json``: create or update procedures from JSON, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Nhập danh mục thủ tục hành chính từ tệp JSON; có lỗi ở bất kỳ mục nào thì không nhập "
            "gì. Import the procedure catalogue from JSON; any invalid entry imports nothing.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", metavar="FILE.json",
                            help='a list of procedures or {"procedures": [...]}')
        parser.add_argument("--dry-run", action="store_true",
                            help="only validate the file; write nothing")

    def handle(self, *args: Any, path: str, dry_run: bool, **options: Any) -> None:
        from tinhso.catalog.services import catalog_import, validate_catalog
        from tinhso.core.errors import DomainError

        source = Path(path)
        try:
            raw = source.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CommandError(f"Không tìm thấy tệp / file not found: {source}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Không đọc được tệp / cannot read {source}: {exc}") from exc
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{source}: JSON không hợp lệ ở dòng {exc.lineno}, cột {exc.colno} / "
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
        data: Any = doc.get("procedures") if isinstance(doc, dict) else doc  # checked below

        errors = validate_catalog(data)
        if errors:
            for err in errors:
                where = f"mục/entry {err.index}" + (f" ({err.code})" if err.code else "")
                key = f" {err.key}:" if err.key else ""
                self.stderr.write(f"{where}{key} {err.reason_vi} / {err.reason}")
            raise CommandError(f"{len(errors)} lỗi, không nhập thủ tục nào. "
                               f"{len(errors)} errors; nothing was imported.")
        if dry_run:
            self.stdout.write(f"Tệp hợp lệ: {len(data)} thủ tục (chưa ghi). "
                              f"Valid: {len(data)} procedures (nothing written).")
            return
        try:
            report = catalog_import(acting_user=None, data=data)
        except DomainError as exc:  # e.g. a concurrent change made an agency code disappear
            raise CommandError(f"{exc.message_vi} / {exc.message_en}") from exc
        self.stdout.write(
            f"Tạo mới {len(report.created)}, cập nhật {len(report.updated)}, "
            f"không đổi {len(report.unchanged)}. Created {len(report.created)}, "
            f"updated {len(report.updated)}, unchanged {len(report.unchanged)}.")
