from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Ghi lược đồ OpenAPI ra tệp. Write the OpenAPI schema to a file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        from tinhso.core.api import api

        schema = api.get_openapi_schema()
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                          encoding="utf-8")
        self.stdout.write(f"wrote {target}")
