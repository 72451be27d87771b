"""Benchmark: historical dossiers imported per second, beside a bare COPY (or bulk_create) baseline.

    .venv/bin/python bench/import_dossiers.py [--n 100000] [--seed 1] [--batch-size 2000]
    .venv/bin/python bench/import_dossiers.py --n 1000000      # the big run

Writes a JSON Lines file of N realistic legacy dossiers (half with a legacy code, half without,
so the importer generates codes from the daily sequences), imports it with
``tinhso.dossiers.importer.import_dossiers`` and prints dossiers/second. In the same run, the
baseline: on PostgreSQL a bare ``COPY`` of the very rows the import wrote (dossiers, events,
payments) into the same tables, foreign keys checked, rolled back; on SQLite the same file read
and parsed, and its Dossier rows written with a plain ``Dossier.objects.bulk_create``.

Without DATABASE_URL it runs on a fresh SQLite file in a temporary directory (migrated, demo
province loaded); with DATABASE_URL it uses that database, which must be a scratch one.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_dossiers import cpu_seconds, setup_database  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=7))
NAMES = ["Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Nam", "Phạm Thu Hà", "Điểu Thị Hoa"]


def tax_code(rng: random.Random) -> str:
    while True:
        digits = "38" + f"{rng.randrange(1, 10**7):07d}"
        check = 10 - sum(int(d) * w for d, w in zip(digits, (31, 29, 23, 19, 17, 13, 7, 5, 3),
                                                       strict=True)) % 11
        if check != 10:
            return digits + str(check)


def write_file(path: Path, n: int, seed: int) -> None:
    """N legacy dossiers received in 2019–2024 with plausible event chains."""
    from tinhso.catalog.models import Procedure

    rng = random.Random(seed)
    procedures = [(p.code, [a.code for a in p.agencies.order_by("code")], float(p.processing_days),
                   p.fee) for p in Procedure.objects.prefetch_related("agencies").order_by("code")]
    procedures = [p for p in procedures if p[1]]
    start = dt.datetime(2019, 1, 1, 7, 30, tzinfo=TZ)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            code, agencies, days, fee = rng.choice(procedures)
            agency = rng.choice(agencies)
            day = start + dt.timedelta(days=rng.randrange(6 * 365))
            if day.weekday() >= 5:
                day += dt.timedelta(days=7 - day.weekday())
            received = day + dt.timedelta(minutes=rng.randrange(8 * 60))
            due = received + dt.timedelta(days=max(days, 0.5) * 1.4 + 0.1)
            online = rng.random() < 0.6
            t = received
            events = []
            if online:
                events.append({"at": (t - dt.timedelta(hours=rng.randint(1, 30))).isoformat(),
                               "status": 1})
            events.append({"at": t.isoformat(), "status": 2})
            t += dt.timedelta(hours=1)
            events.append({"at": t.isoformat(), "status": 4})
            if rng.random() < 0.07:
                t += dt.timedelta(hours=3)
                events.append({"at": t.isoformat(), "status": 5})
                t += dt.timedelta(days=2)
                events.append({"at": t.isoformat(), "status": 4})
            payments = []
            if fee:
                t += dt.timedelta(hours=1)
                events.append({"at": t.isoformat(), "status": 6})
                t += dt.timedelta(minutes=30)
                payments.append({"at": t.isoformat(), "amount": fee, "online": online})
                events.append({"at": t.isoformat(), "status": 4})
            t += dt.timedelta(hours=max(days, 0.5) * 8 * rng.uniform(0.2, 1.2))
            events.append({"at": t.isoformat(), "status": 9})
            events.append({"at": (t + dt.timedelta(hours=2)).isoformat(), "status": 10})
            org = rng.random() < 0.1
            row: dict[str, Any] = {
                "procedure": code, "agency": agency,
                "channel": "online" if online else rng.choice(["direct", "direct", "postal"]),
                "applicant": {"kind": "organisation" if org else "citizen",
                              "id_number": tax_code(rng) if org else
                              f"070{rng.choice('01')}{rng.randint(40, 99):02d}"
                              f"{rng.randrange(10**6):06d}",
                              "name": rng.choice(NAMES)},
                "received_at": received.isoformat(), "due_at": due.isoformat(),
                "events": events, "payments": payments,
                "result_electronic": online, "components_digitized": rng.random() < 0.6,
                "rating": rng.choice([1, 1, 1, 0, None]),
            }
            if i % 2 == 0:
                row["code"] = f"HS-CU-{i:09d}"
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def baseline(path: Path, batch_size: int) -> float:
    """Seconds to read the file and bulk_create its Dossier rows, nothing else."""
    from django.db import transaction

    from tinhso.catalog.models import Procedure
    from tinhso.dossiers.models import Dossier
    from tinhso.units.models import Agency

    procs = dict(Procedure.objects.values_list("code", "id"))
    agencies = {a.code: a for a in Agency.objects.all()}
    channels = {"direct": 1, "online": 2, "postal": 3}
    started = time.perf_counter()
    with path.open("rb") as handle:
        batch: list[Dossier] = []
        for i, raw in enumerate(handle):
            o = json.loads(raw)
            agency = agencies[o["agency"]]
            batch.append(Dossier(
                code=f"BASELINE-{i:09d}", procedure_id=procs[o["procedure"]], agency=agency,
                unit_id=agency.unit_id, channel=channels[o["channel"]],
                status=o["events"][-1]["status"], applicant_kind=o["applicant"]["kind"],
                applicant_id_number=o["applicant"]["id_number"],
                applicant_name=o["applicant"]["name"],
                received_at=dt.datetime.fromisoformat(o["received_at"]),
                due_at=dt.datetime.fromisoformat(o["due_at"]), is_imported=True))
            if len(batch) >= batch_size:
                with transaction.atomic():
                    Dossier.objects.bulk_create(batch)
                batch = []
        if batch:
            with transaction.atomic():
                Dossier.objects.bulk_create(batch)
    elapsed = time.perf_counter() - started
    qs = Dossier.objects.filter(code__startswith="BASELINE-")
    qs._raw_delete(qs.db)
    return elapsed


OFFSET = 10**12  # ids of the COPY baseline's rows, far above the import's


def copy_baseline(dossier_ids: tuple[int, int]) -> float:
    """Seconds to COPY the rows the import just wrote — dossiers, events, payments — into the
    same tables again, foreign keys checked (SET CONSTRAINTS ALL IMMEDIATE), then rolled back.

    The rows are dumped first (``COPY (SELECT …) TO STDOUT``, not timed) with ids moved by
    OFFSET and codes prefixed, so they collide with nothing: the floor of any COPY import.
    """
    from django.db import connection, transaction

    low, high = dossier_ids
    dumps = {
        "dossiers_dossier": "SELECT * FROM dossiers_dossier WHERE id BETWEEN %s AND %s",
        "dossiers_dossierevent": "SELECT * FROM dossiers_dossierevent "
                                 "WHERE dossier_id BETWEEN %s AND %s",
        "payments_payment": "SELECT * FROM payments_payment WHERE dossier_id BETWEEN %s AND %s",
    }
    data: dict[str, tuple[list[str], bytes]] = {}
    with connection.cursor() as cursor:
        for table, query in dumps.items():
            cursor.execute(query + " LIMIT 0", [low, high])
            columns = [c.name for c in cursor.description]
            shifted = [f"id + {OFFSET}" if c == "id" else
                       f"dossier_id + {OFFSET}" if c == "dossier_id" else
                       "'B-' || code" if (c == "code" and table == "dossiers_dossier") else
                       f'"{c}"' for c in columns]
            select = query.replace("SELECT *", "SELECT " + ", ".join(shifted))
            buffer = bytearray()
            sql = cursor.mogrify(select, [low, high])
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
                for chunk in copy:
                    buffer += chunk
            data[table] = (columns, bytes(buffer))
    cpu_start = cpu_seconds()
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table, (columns, payload) in data.items():
                names = ", ".join(f'"{c}"' for c in columns)
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for start in range(0, len(payload), 1 << 20):
                        copy.write(payload[start:start + (1 << 20)])
        elapsed = time.perf_counter() - started
        cpu_end = cpu_seconds()
        transaction.set_rollback(True)
    CPU["baseline"] = (cpu_end[0] - cpu_start[0], cpu_end[1] - cpu_start[1])
    return elapsed


CPU: dict[str, tuple[float, float]] = {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--file", type=Path, default=None, help="keep the JSONL file here")
    parser.add_argument("--reuse-file", action="store_true",
                        help="import the --file as it is when it exists (same n and seed!)")
    parser.add_argument("--method", choices=["auto", "copy", "rows"], default="auto",
                        help="import path (auto: copy on PostgreSQL, rows on SQLite)")
    parser.add_argument("--workers", type=int, default=None,
                        help="parser processes of the copy path (default: one per core, at "
                             "most 4, for a file of 32 MB or more; 0: none)")
    args = parser.parse_args()

    where = setup_database()
    load_start = os.getloadavg()
    from tinhso.core import hooks
    from tinhso.dossiers.importer import import_dossiers

    if args.file is None:
        folder = Path(tempfile.mkdtemp(prefix="tinhso-bench-dossiers-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = args.file or folder / "hoso.jsonl"
    t0 = time.perf_counter()
    if not (args.reuse_file and path.exists()):
        write_file(path, args.n, args.seed)
    written = time.perf_counter() - t0
    size = path.stat().st_size

    hook_time = [0.0]

    def timed(func: Any) -> Any:
        def wrapper(events: Any) -> None:
            t = time.perf_counter()
            func(events)
            hook_time[0] += time.perf_counter() - t
        return wrapper

    class TimedLoader:
        def __init__(self, loader: Any) -> None:
            self.loader = loader

        def __getattr__(self, name: str) -> Any:
            method = getattr(self.loader, name)

            def call(*args: Any) -> Any:
                t = time.perf_counter()
                try:
                    return method(*args)
                finally:
                    hook_time[0] += time.perf_counter() - t
            return call

    wrapped = []
    for f in hooks._bulk_subscribers:
        w = timed(f)
        factory = hooks._bulk_loaders.get(f)
        if factory is not None:  # the COPY path uses the loader instead of the subscriber
            hooks._bulk_loaders[w] = lambda factory=factory: TimedLoader(factory())
        wrapped.append(w)
    hooks._bulk_subscribers[:] = wrapped
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    from django.db import connection
    from django.db.models import Max

    from tinhso.dossiers.models import Dossier

    before = Dossier.objects.aggregate(m=Max("id"))["m"] or 0
    cpu_start = cpu_seconds()
    t0 = time.perf_counter()
    result = import_dossiers(path, batch_size=args.batch_size, progress=sys.stderr.isatty(),
                             method=args.method, workers=args.workers)
    elapsed = time.perf_counter() - t0
    cpu_end = cpu_seconds()
    CPU["import"] = (cpu_end[0] - cpu_start[0], cpu_end[1] - cpu_start[1])
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if not result.ok:
        print(f"import failed: {result.errors[:5]}", file=sys.stderr)
        return 1
    after = Dossier.objects.aggregate(m=Max("id"))["m"] or 0
    if connection.vendor == "postgresql":
        base = copy_baseline((before + 1, after))
        base_name = ("bare COPY of the same dossier, event and payment rows into the same "
                     "tables (FKs immediate, no parsing or validation)")
    else:
        base = baseline(path, args.batch_size)
        base_name = "read + bulk_create of the same Dossier rows (no validation, events, payments)"

    rate = result.imported / elapsed
    base_rate = args.n / base
    method = args.method if args.method != "auto" else (
        "copy" if connection.vendor == "postgresql" else "rows")
    load_end = os.getloadavg()
    from tinhso.dossiers.import_copy import default_workers

    workers = args.workers if args.workers is not None else default_workers(str(path))
    if method == "copy":
        method += f", {workers} parser process(es)"
    print(f"database: {where}; import path: {method}; {os.cpu_count()} cores, load average "
          f"{load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end (1 min)")
    print(f"file: {args.n:,} lines, {size / 1e6:,.0f} MB (written in {written:.1f} s)")
    print(f"import: {result.imported:,} dossiers, {result.events:,} events, "
          f"{result.payments:,} payments in {elapsed:.1f} s: {rate:,.0f} dossiers/s "
          f"(IOC bulk hook {hook_time[0]:.1f} s of it in this process)")
    print(f"  peak RSS {rss_before / 1024:,.0f} MB before, {rss_after / 1024:,.0f} MB after")
    for phase, seconds in result.timings.items():
        print(f"  {phase}: {seconds:.1f} s")
    if result.timings:
        rest = elapsed - sum(v for k, v in result.timings.items() if not k.startswith("of which"))
        print(f"  commit (deferred foreign-key checks) and the rest: {rest:.1f} s")
    print(f"baseline: {base_name}, {args.n:,} dossiers in {base:.1f} s: "
          f"{base_rate:,.0f} dossiers/s")
    print(f"ratio: import = {rate / base_rate:.2f} × baseline")
    if "baseline" in CPU:
        (ip, ib), (bp, bb) = CPU["import"], CPU["baseline"]
        print(f"CPU seconds: import {ip:.1f} Python + {ib:.1f} PostgreSQL backend; baseline "
              f"{bp:.1f} + {bb:.1f} (ratio of the totals {(bp + bb) / (ip + ib):.2f}; on a "
              "loaded machine wall times stretch, CPU seconds much less)")
    print(f"time for 1,000,000 dossiers: {1_000_000 / rate / 60:.1f} min "
          f"({'measured' if args.n >= 1_000_000 else 'extrapolated'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
