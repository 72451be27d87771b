"""Benchmark: demo dossiers generated per second, beside a plain bulk_create baseline.

    .venv/bin/python bench/generate_dossiers.py [--n 100000] [--seed 1]
        [--from 2024-01-01] [--to 2024-12-31] [--batch-size 2000] [--method auto|rows|copy]

Without DATABASE_URL it runs on a fresh SQLite file in a temporary directory (migrated, demo
province loaded, removed at the end), so it never touches your data. With DATABASE_URL it
uses that database, which must be a scratch one: the run writes N dossiers into it (demo data
is loaded if absent).

Prints the generator's rate (dossiers, events and rows per second) with its parts — the
simulation, the writes, the IOC bulk hook — and, in the same run, the rate of the simplest
possible write of the same number of dossiers: ``Dossier.objects.bulk_create`` of minimal rows
(code, procedure, agency, applicant) without events, steps or payments.

``--method rows`` forces the old path on PostgreSQL (one transaction per batch, written from
the main thread) for an old-versus-new comparison; the default on PostgreSQL is the COPY
pipeline of the import (``generator_copy``, decision 0027).
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def setup_database() -> str:
    """Point Django at a scratch database (unless DATABASE_URL is set) and load the demo.

    The scratch SQLite file lives in a temporary directory removed when the run ends.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    if "DATABASE_URL" not in os.environ:
        folder = Path(tempfile.mkdtemp(prefix="tinhso-bench-dossiers-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
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


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds so far of this process (all threads, and its children once they ended: the
    import's parser processes) and of its PostgreSQL backend (same machine; 0 on SQLite): on a
    shared machine wall time follows the others' load, CPU seconds show the work each path
    does. The parser processes' own database sessions (catalogue reads, ids) are not counted."""
    from django.db import connection

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    python = time.process_time() + children.ru_utime + children.ru_stime
    if connection.vendor != "postgresql":
        return python, 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:  # PostgreSQL on another machine
        backend = float("nan")
    return python, backend


def baseline(n: int, batch_size: int) -> float:
    """Seconds to bulk_create n minimal Dossier rows (one transaction per batch)."""
    from django.db import transaction

    from tinhso.catalog.models import Procedure
    from tinhso.dossiers.models import Dossier
    from tinhso.units.models import Agency

    procedure = Procedure.objects.order_by("code").first()
    agency = Agency.objects.order_by("code").first()
    assert procedure is not None and agency is not None
    started = time.perf_counter()
    for start in range(0, n, batch_size):
        rows = [Dossier(code=f"BASELINE-{i:08d}", procedure=procedure, agency=agency,
                        unit_id=agency.unit_id, channel=2, applicant_kind="citizen",
                        applicant_id_number="070090001234", applicant_name="Nguyễn Văn An")
                for i in range(start, min(n, start + batch_size))]
        with transaction.atomic():
            Dossier.objects.bulk_create(rows)
    elapsed = time.perf_counter() - started
    qs = Dossier.objects.filter(code__startswith="BASELINE-")
    qs._raw_delete(qs.db)  # rows without children: no cascade needed
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--from", dest="date_from", default="2024-01-01")
    parser.add_argument("--to", dest="date_to", default="2024-12-31")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--method", choices=("auto", "rows", "copy"), default="auto")
    parser.add_argument("--baseline-n", type=int, default=None,
                        help="rows for the baseline (default: min(n, 200000))")
    args = parser.parse_args()

    where = setup_database()
    from django.db import connection

    from tinhso.dossiers import generator, generator_copy
    from tinhso.dossiers.models import Dossier, DossierEvent, DossierStep
    from tinhso.payments.models import Payment

    # Time the parts without changing them: the bulk hook subscribers and the batch writer.
    timers = {"hook": 0.0, "write": 0.0}

    def timed(func: Any, key: str) -> Any:
        def wrapper(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return func(*a, **kw)
            finally:
                timers[key] += time.perf_counter() - t0
        return wrapper

    # Derived data: the set-based loaders on PostgreSQL, the bulk hook elsewhere.
    generator._derive = timed(generator._derive, "hook")  # type: ignore[assignment]
    generator._flush = timed(generator._flush, "write")  # type: ignore[assignment]
    # The COPY path: the set-based part after the load, and when the facts were done.
    copy_path = args.method == "copy" or (args.method == "auto"
                                          and connection.vendor == "postgresql")
    timers.update({"move": 0.0, "facts": 0.0, "facts_done": 0.0, "waited": 0.0})
    generator_copy.allocate_codes_and_move = timed(  # type: ignore[assignment]
        generator_copy.allocate_codes_and_move, "move")
    facts = generator_copy.CopyGeneration._facts

    def facts_timed(self: Any) -> None:
        t = time.perf_counter()
        facts(self)
        timers["facts"] += time.perf_counter() - t
        timers["facts_done"] = time.perf_counter()
        timers["waited"] = self.pipeline.waited
    generator_copy.CopyGeneration._facts = facts_timed  # type: ignore[method-assign]

    before = {m: m.objects.count() for m in (Dossier, DossierEvent, DossierStep, Payment)}
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    made = generator.generate_dossiers(
        args.n, seed=args.seed, date_from=dt.date.fromisoformat(args.date_from),
        date_to=dt.date.fromisoformat(args.date_to), progress=sys.stderr.isatty(),
        batch_size=args.batch_size, now=dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
        method=args.method)
    ended = time.perf_counter()
    elapsed = ended - t0
    cpu1 = cpu_seconds()
    counts = {m: m.objects.count() - before[m] for m in before}
    rows = sum(counts.values())

    base_n = args.baseline_n or min(args.n, 200_000)
    cpu2 = cpu_seconds()
    base = baseline(base_n, args.batch_size)
    cpu3 = cpu_seconds()

    rate = made / elapsed
    base_rate = base_n / base
    print(f"database: {where}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"generated {made:,} dossiers ({counts[DossierEvent]:,} events, "
          f"{counts[DossierStep]:,} steps, {counts[Payment]:,} payments; {rows:,} rows) "
          f"in {elapsed:.1f} s: {rate:,.0f} dossiers/s, {rows / elapsed:,.0f} rows/s")
    if copy_path:
        commit = ended - timers["facts_done"]
        load = elapsed - timers["move"] - timers["facts"] - commit
        print(f"  path: COPY pipeline, one transaction (batch {args.batch_size})")
        print(f"  simulate + format + COPY {load:.1f} s (waiting for PostgreSQL "
              f"{timers['waited']:.1f} s), codes + move {timers['move']:.1f} s, "
              f"IOC facts {timers['facts']:.1f} s, commit (deferred FK checks) {commit:.1f} s")
    else:
        hook = timers["hook"]
        write = timers["write"] - hook
        print(f"  path: rows, one transaction per batch of {args.batch_size}")
        print(f"  simulation {elapsed - timers['write']:.1f} s, writes {write:.1f} s, "
              f"derived data (IOC facts) {hook:.1f} s")
    print(f"baseline: bulk_create of {base_n:,} minimal Dossier rows in {base:.1f} s: "
          f"{base_rate:,.0f} rows/s")
    print(f"ratio: generator = {rate / base_rate:.2f} × baseline (dossiers/s); "
          f"{rows / elapsed / base_rate:.2f} × (rows/s)")
    gen_cpu = (cpu1[0] - cpu0[0], cpu1[1] - cpu0[1])
    base_cpu = (cpu3[0] - cpu2[0], cpu3[1] - cpu2[1])
    print(f"CPU seconds: generator {gen_cpu[0]:.1f} Python + {gen_cpu[1]:.1f} database backend "
          f"= {sum(gen_cpu) / made * 1000:.2f} ms per dossier; baseline {base_cpu[0]:.1f} + "
          f"{base_cpu[1]:.1f} = {sum(base_cpu) / base_n * 1000:.2f} ms per row")
    print(f"time for 1,000,000 dossiers: {1_000_000 / rate / 60:.1f} min "
          f"({'measured' if made >= 1_000_000 else 'extrapolated'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
