"""Benchmark: the IOC's dashboard queries and index API, from the facts and from the raw
tables (the query a BI tool would send), at growing volumes of generated dossiers.

    .venv/bin/python bench/ioc.py [--sizes 100000,1000000] [--repeat 7] [--raw-repeat 3]
        [--years 2] [--seed 766] [--json results.json] [--replicate 10 --raw-repeat-big 1]

Without DATABASE_URL it runs on a fresh SQLite file in a temporary directory. With
DATABASE_URL it uses that database, which must be a scratch one (e.g.
``postgresql://postgres@127.0.0.1:5432/tinhso_bench_ioc``): dossiers are added to it.

The sizes are cumulative: the run generates dossiers up to the first size (demo generator,
whose bulk hook keeps the facts current), measures, tops up to the next size, measures again.
``--replicate K`` then grows the database K-fold in SQL (``bench/ioc_replicate.py``: copies
of the generated dossiers, facts multiplied) and measures once more: the 10⁷ run is
``--sizes 1000000 --replicate 10``. For every measured question it prints p50/p95 from the
facts, p50/p95 from the raw tables in the same run, and their ratio; the facts answer is
checked to equal the raw one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def setup_database() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    if "DATABASE_URL" not in os.environ:
        folder = Path(tempfile.mkdtemp(prefix="tinhso-bench-ioc-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    from tinhso.units.models import Agency

    call_command("migrate", verbosity=0, skip_checks=True)
    if not Agency.objects.exists():
        from tinhso.accounts.demo import load_demo_accounts
        from tinhso.catalog.demo import load_catalog
        from tinhso.units.demo import load_agencies, load_units

        load_units()
        load_agencies()
        load_catalog()
        load_demo_accounts()
    from django.db import connection

    return f"{connection.vendor} ({os.environ['DATABASE_URL'].split('@')[-1]})"


def timed(func: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        samples.append(time.perf_counter() - started)
    return samples, result


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms" if seconds < 10 else f"{seconds:8.1f} s "


def admin_user() -> Any:
    from tinhso.accounts.models import Role, User

    user = User.objects.filter(role_assignments__role=Role.PROVINCE_ADMIN).first()
    if user is None:
        raise SystemExit("no province admin in the demo accounts")
    return user


def questions(today: dt.date) -> list[tuple[str, str, dt.date, dt.date]]:
    month_start = today.replace(day=1)
    last_month_end = month_start - dt.timedelta(days=1)
    last_month = last_month_end.replace(day=1)
    year = today - dt.timedelta(days=364)
    return [
        ("province, last month", "legacy3:70", last_month, last_month_end),
        ("province, 12 months", "legacy3:70", year, today),
        ("province (2-level), month to date", "current2:75", month_start, today),
        ("district 689, last month", "legacy3:689", last_month, last_month_end),
        ("commune agency, last month", "agency:000.01.21.H10", last_month, last_month_end),
        ("land registry + branches, 12 months", "agency:000.01.13.H10", year, today),
    ]


def measure(size: int, repeat: int, raw_repeat: int, user: Any) -> list[dict[str, Any]]:
    from django.test import Client

    from tinhso.ioc.dashboard import ranking, series_for_scope
    from tinhso.ioc.scopes import resolve_scope, today
    from tinhso.ioc.selectors import IndexContext, compute_index

    rows: list[dict[str, Any]] = []

    def record(name: str, facts: list[float], raw: list[float] | None, same: bool | None
               ) -> None:
        row = {"size": size, "question": name, "facts_p50": pct(facts, 50),
               "facts_p95": pct(facts, 95)}
        if raw:  # empty with --raw-repeat 0: the raw side is not measured
            row.update(raw_p50=pct(raw, 50), raw_p95=pct(raw, 95),
                       ratio=pct(raw, 50) / max(pct(facts, 50), 1e-9), same=same)
        rows.append(row)
        raw_part = (f"raw p50 {fmt(row['raw_p50'])} p95 {fmt(row['raw_p95'])}  "
                    f"raw/facts {row['ratio']:7.1f}×  {'identical' if same else 'DIFFERENT'}"
                    if raw else "")
        print(f"  {name:<44} facts p50 {fmt(row['facts_p50'])} p95 {fmt(row['facts_p95'])}  "
              f"{raw_part}", flush=True)

    now = today()
    def index_of(code: str, start: dt.date, end: dt.date, source: str) -> Callable[[], Any]:
        ctx = IndexContext.load()
        scope = resolve_scope(code, ctx.directory)
        return lambda: compute_index(scope, code, start, end, ctx, source)[0]

    for name, code, start, end in questions(now):
        facts, doc_f = timed(index_of(code, start, end, "facts"), repeat)
        raw, doc_r = timed(index_of(code, start, end, "raw"), raw_repeat)
        record(f"index: {name}", facts, raw, doc_f == doc_r)

    ctx = IndexContext.load()
    scope = resolve_scope("legacy3:70", ctx.directory)
    facts, s_f = timed(lambda: series_for_scope(scope, "legacy3:70", 12, ctx), repeat)
    raw, s_r = timed(lambda: series_for_scope(scope, "legacy3:70", 12, ctx, "raw"), raw_repeat)
    record("series: province, 12 months", facts, raw, s_f == s_r)
    start, end = now.replace(day=1) - dt.timedelta(days=1), now
    start = start.replace(day=1)
    for code, label in (("legacy3:70", "districts"), ("current2:75", "communes (2-level)")):
        facts, r_f = timed(lambda c=code: ranking(user, c, start, end, ctx=ctx), repeat)
        raw, r_r = timed(lambda c=code: ranking(user, c, start, end, ctx=ctx, source="raw"),
                         raw_repeat)
        record(f"ranking: {label}, 2 months", facts, raw,
               r_r is not None and r_f["rows"] == r_r["rows"])

    client = Client()
    client.force_login(user)
    month = f"from={now.replace(day=1)}&to={now}"
    for label, url in (
        ("HTTP GET /api/v1/ioc/index province month", f"/api/v1/ioc/index?scope=70&{month}"),
        ("HTTP GET /ioc/ (overview page)", f"/ioc/?scope=legacy3:70&{month}"),
        ("HTTP GET /ioc/ho-so/ (drill-down page 1)",
         f"/ioc/ho-so/?scope=legacy3:70&{month}&chi_tieu=finished_late"),
        ("HTTP GET /ioc/hang-doi/ (queues)", "/ioc/hang-doi/"),
    ):
        client.get(url)  # warm-up: URL resolver, templates, first-request caches
        samples, response = timed(lambda u=url: client.get(u), repeat)
        assert response.status_code == 200, (url, response.status_code)
        record(label, samples, None, None)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--raw-repeat", type=int, default=3,
                        help="raw-table repeats per question; 0 times the facts side only")
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=766)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--verify", action="store_true",
                        help="also time `ioc verify` (and check it passes) at each size")
    parser.add_argument("--replicate", type=int, default=1,
                        help="after the last size, copy the dossiers to K× and measure again")
    parser.add_argument("--raw-repeat-big", type=int, default=1,
                        help="raw-table repeats for the replicated size (each is slow)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    where = setup_database()
    from django.utils import timezone

    from tinhso.dossiers.generator import generate_dossiers
    from tinhso.dossiers.models import Dossier
    from tinhso.ioc.facts import verify
    from tinhso.ioc.models import DailyFact, MonthlyFact

    print(f"database: {where}")
    user = admin_user()
    results: list[dict[str, Any]] = []
    today = timezone.localdate()
    date_from = today - dt.timedelta(days=int(365 * args.years))
    for n, size in enumerate(int(s) for s in args.sizes.split(",")):
        have = Dossier.objects.count()
        if have < size:
            started = time.perf_counter()
            made = generate_dossiers(size - have, seed=args.seed + n, date_from=date_from,
                                     date_to=today, progress=False)
            print(f"generated {made:,} dossiers in {time.perf_counter() - started:.0f} s "
                  "(facts kept by the bulk hook)", flush=True)
        total = Dossier.objects.count()
        print(f"\n{total:,} dossiers; facts: {DailyFact.objects.count():,} daily rows, "
              f"{MonthlyFact.objects.count():,} monthly rows", flush=True)
        if args.verify:
            started = time.perf_counter()
            differences = verify()
            print(f"  ioc verify: {len(differences)} differences in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
        results += measure(total, args.repeat, args.raw_repeat, user)
    if args.replicate > 1:
        from ioc_replicate import replicate

        print(f"\nreplicating ×{args.replicate} in SQL", flush=True)
        replicate(args.replicate)
        total = Dossier.objects.count()
        print(f"\n{total:,} dossiers (replicated); facts: {DailyFact.objects.count():,} daily "
              f"rows, {MonthlyFact.objects.count():,} monthly rows", flush=True)
        results += measure(total, args.repeat, args.raw_repeat_big, user)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    different = [r for r in results if r.get("same") is False]
    if different:
        raise SystemExit(f"{len(different)} answers differ between facts and raw tables")


if __name__ == "__main__":
    main()
