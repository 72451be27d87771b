"""``tinhso import-dossiers FILE.jsonl``: import historical dossiers from a legacy system."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tinhso.dossiers.importer import MAX_REPORTED_ERRORS, ImportResult, import_dossiers


class Command(BaseCommand):
    help = (
        "Nhập hồ sơ từ hệ thống một cửa cũ (JSON Lines, mỗi dòng một hồ sơ; xem "
        "docs/import-dossiers.md). Import historical dossiers from a JSON Lines file: every "
        "line is validated first; a file with a bad line imports nothing unless --skip-bad."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="tệp JSON Lines / the .jsonl file")
        parser.add_argument("--skip-bad", action="store_true",
                            help="nhập các dòng hợp lệ, bỏ qua dòng lỗi / import the good lines")
        parser.add_argument("--batch-size", type=int, default=2000,
                            help="số hồ sơ mỗi lô ghi / dossiers per bulk insert (default 2000)")
        parser.add_argument("--workers", type=int, default=None,
                            help="số tiến trình phân tích dòng (PostgreSQL; 0 = trong tiến trình "
                                 "này) / parser processes on PostgreSQL (0 = in this process; "
                                 "default: one per core, at most 4, for files of 32 MB or more)")
        parser.add_argument("--no-progress", action="store_true",
                            help="không hiện thanh tiến trình / no progress bar")

    def handle(self, *args: Any, file: str, skip_bad: bool, batch_size: int,
               no_progress: bool, workers: int | None = None, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp / file not found: {file}")
        if batch_size < 1:
            raise CommandError("--batch-size phải ≥ 1 / must be at least 1")
        if workers is not None and not 0 <= workers <= 64:
            raise CommandError("--workers phải từ 0 đến 64 / must be 0 to 64")
        started = time.perf_counter()

        def report_errors(result: ImportResult) -> None:
            # Printed before the (long) insert pass, so an operator can stop early.
            for error in result.errors:
                self.stderr.write(str(error))
            hidden = result.error_count - len(result.errors)
            if hidden > 0:
                self.stderr.write(f"… và {hidden:,} dòng lỗi khác / and {hidden:,} more bad "
                                  f"lines (only the first {MAX_REPORTED_ERRORS:,} are listed)")

        result = import_dossiers(path, skip_bad=skip_bad, batch_size=batch_size,
                                 progress=False if no_progress else None,
                                 on_validated=report_errors, workers=workers)
        from tinhso.payments.ledger import ledger_backfill

        ledger_backfill()  # imported fees in the money ledger (set-based, idempotent)
        elapsed = time.perf_counter() - started
        if result.error_count and not skip_bad:
            raise CommandError(
                f"{result.error_count:,} dòng lỗi trên {result.lines:,} dòng: không nhập hồ sơ "
                f"nào (dùng --skip-bad để nhập các dòng hợp lệ). {result.error_count:,} bad "
                f"line(s) of {result.lines:,}: nothing imported (use --skip-bad to import the "
                "good lines)."
            )
        rate = result.imported / elapsed if elapsed > 0 else 0.0
        self.stdout.write(
            f"Đã nhập {result.imported:,} hồ sơ ({result.events:,} sự kiện, "
            f"{result.payments:,} thanh toán), bỏ qua {result.skipped:,} dòng lỗi, "
            f"trong {elapsed:.1f}s ({rate:,.0f} hồ sơ/giây). Imported {result.imported:,} "
            f"dossiers, skipped {result.skipped:,} bad line(s)."
        )
        if result.imported == 0 and result.error_count:
            raise CommandError("Không nhập được hồ sơ nào / nothing was imported.")
