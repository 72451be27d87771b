"""``tinhso catalog-export FILE.json``: write the whole catalogue as JSON (``-`` = stdout)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Xuất danh mục thủ tục hành chính ra tệp JSON (định dạng nhập/xuất, docs/catalog.md). "
            "Export the procedure catalogue as JSON.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", metavar="FILE.json", help="output file, or - for stdout")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        from tinhso.catalog.api import EXPORT_FORMAT, EXPORT_VERSION
        from tinhso.catalog.services import catalog_export

        procedures = catalog_export()
        text = json.dumps({"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                           "procedures": procedures}, ensure_ascii=False, indent=2) + "\n"
        if path == "-":
            sys.stdout.write(text)
            return
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Không ghi được tệp / cannot write {target}: {exc}") from exc
        self.stdout.write(f"Đã xuất {len(procedures)} thủ tục vào {target}. "
                          f"Exported {len(procedures)} procedures.")
