"""Benchmark: deadline computations per second, beside a plain timedelta baseline.

    .venv/bin/python bench/workdays.py [--n 100000] [--seed 1]

Runs against a throw-away in-memory SQLite database holding only the override table, so it
never touches your data and does not depend on the other apps' migrations. The calendar cache
is warm after the first call, as on a running server; the cold figure (first call: `holidays`
lunar computations + the overrides query) is printed separately.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="computations (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
    import django

    django.setup()
    from django.db import connection

    from tinhso.units.models import Agency
    from tinhso.workdays import calendar
    from tinhso.workdays.models import CalendarOverride

    with connection.schema_editor() as editor:
        editor.create_model(CalendarOverride)

    # Two overrides so the cache holds real rows, as in production.
    CalendarOverride.objects.create(date=dt.date(2026, 3, 7), kind="working", reason="Làm bù")
    CalendarOverride.objects.create(date=dt.date(2026, 3, 3), kind="day_off", reason="Nghỉ")

    tz = calendar.local_tz()
    rng = random.Random(args.seed)
    base = dt.datetime(2025, 1, 1, tzinfo=tz)
    span = 3 * 365 * 86_400
    # Typical processing times of the catalogue (working days), incl. half days.
    choices = [Decimal(x) for x in ("0.5", "1", "2", "3", "5", "7", "10", "15", "20", "30")]
    starts = [base + dt.timedelta(seconds=rng.randrange(span)) for _ in range(args.n)]
    amounts = [rng.choice(choices) for _ in range(args.n)]
    whole = [int(a) or 1 for a in amounts]
    agency = Agency(morning_start=dt.time(7), morning_end=dt.time(11),
                    afternoon_start=dt.time(13), afternoon_end=dt.time(17))

    t0 = time.perf_counter()
    calendar.invalidate_cache()
    calendar.add_working_days(starts[0], 3)
    cold = time.perf_counter() - t0

    def run(label: str, fn) -> float:  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        fn()
        rate = args.n / (time.perf_counter() - t)
        print(f"{label:<52} {rate:>12,.0f} /s")
        return rate

    print(f"n = {args.n:,}, seed = {args.seed}, Python {sys.version.split()[0]}")
    baseline = run("baseline: start + timedelta(days=n)",
                   lambda: [s + dt.timedelta(days=n) for s, n in zip(starts, whole, strict=True)])
    add = calendar.add_working_days
    rate = run("add_working_days(start, n)",
               lambda: [add(s, n) for s, n in zip(starts, amounts, strict=True)])
    rate_agency = run("add_working_days(start, n, agency=…) (7 h day)",
                      lambda: [add(s, n, agency=agency)
                               for s, n in zip(starts, amounts, strict=True)])
    dues = [add(s, n) for s, n in zip(starts, amounts, strict=True)]
    between = calendar.office_seconds_between
    rate_between = run("office_seconds_between(start, due)",
                       lambda: [between(s, d) for s, d in zip(starts, dues, strict=True)])
    print(f"{'ratio add_working_days / baseline':<52} {rate / baseline:>12.3f}")
    print(f"{'baseline is x times faster':<52} {baseline / rate:>12.1f}")
    print(f"(agency: {rate_agency / baseline:.3f}, between: {rate_between / baseline:.3f} "
          f"of baseline; cold first call {cold * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
