"""Load the Bình Phước demo province, and optionally generate N realistic dossiers."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Ngày không hợp lệ / invalid date: {value!r} (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Nạp dữ liệu mẫu tỉnh Bình Phước (đơn vị hành chính, cơ quan, thủ tục, tài khoản) và "
        "sinh hồ sơ mẫu. Load the demo province and optionally generate dossiers."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when demo data is already loaded")
        parser.add_argument("--dossiers", type=int, default=None,
                            help="generate N dossiers (default: 2000 on first load, else 0)")
        parser.add_argument("--seed", type=int, default=2019)
        parser.add_argument("--from", dest="date_from", type=_date, default=None)
        parser.add_argument("--to", dest="date_to", type=_date, default=None)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, if_empty: bool, dossiers: int | None, seed: int,
               date_from: dt.date | None, date_to: dt.date | None, no_progress: bool,
               **options: Any) -> None:
        from tinhso.accounts.demo import load_demo_accounts
        from tinhso.catalog.demo import load_catalog
        from tinhso.dossiers.generator import generate_dossiers
        from tinhso.units.demo import load_agencies, load_units
        from tinhso.units.models import Agency

        first_load = not Agency.objects.exists()
        if if_empty and not first_load:
            self.stdout.write("Dữ liệu mẫu đã có sẵn — bỏ qua. Demo data already loaded.")
            return
        started = time.perf_counter()
        load_units()
        load_agencies()
        load_catalog()
        load_demo_accounts()
        from tinhso.correspondence.demo import load_correspondence_demo

        load_correspondence_demo(seed=seed)
        self.stdout.write(f"Đã nạp đơn vị, cơ quan, thủ tục, tài khoản "
                          f"({time.perf_counter() - started:.1f}s).")
        from tinhso.trace.demo import load_trace_demo

        traced = load_trace_demo()
        if traced:
            self.stdout.write(f"Đã ghi nhận {traced} sự kiện truy xuất nguồn gốc (điều, tiêu, "
                              "cao su).")
        from tinhso.market.demo import load_market_demo

        market = load_market_demo(seed=seed)
        if market:
            self.stdout.write(f"Đã nạp chợ nông sản: {market['sellers']} người bán, "
                              f"{market['listings']} sản phẩm, {market['orders']} đơn hàng.")
        from tinhso.mail.services import address_book_seed

        # Last: every agency and official the demos created gets its official address.
        address_book_seed()  # @binhphuoc.gov.vn (docs/mail.md)
        count = dossiers if dossiers is not None else (2000 if first_load else 0)
        if count:
            today = dt.date.today()
            date_to = date_to or today
            date_from = date_from or (date_to - dt.timedelta(days=365))
            if date_from > date_to:
                raise CommandError("--from phải trước --to / --from must not be after --to")
            started = time.perf_counter()
            made = generate_dossiers(count, seed=seed, date_from=date_from, date_to=date_to,
                                     progress=not no_progress)
            from tinhso.payments.ledger import ledger_backfill

            ledger_backfill()  # the generated fees in the money ledger (set-based, idempotent)
            elapsed = time.perf_counter() - started
            self.stdout.write(f"Đã sinh {made:,} hồ sơ trong {elapsed:.1f}s "
                              f"({made / max(elapsed, 1e-9):,.0f} hồ sơ/giây).")
