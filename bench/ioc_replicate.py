"""Grow a generated IOC benchmark database tenfold (or K-fold) in SQL, for the 10⁷ run.

The demo generator makes about 1,100 dossiers a second on this class of machine: 10⁷ dossiers
would take hours (days on PostgreSQL). What the 10⁷ measurement needs is the volume under the
queries, so ``replicate`` copies every generated dossier K-1 times with ``INSERT … SELECT``:
same procedure, agency, unit, dates, statuses and events, a new id and a code with a ``~k``
suffix. Each copy contributes exactly what its original does to every KPI counter, so the facts
are brought up to date by multiplying their counters by K (no rebuild), and ``bench/ioc.py``
still checks each answer from the facts against the raw tables — a copy that did not match
would show up there as DIFFERENT.

What this does not reproduce: a real 10⁷ history would fill more (day × agency × procedure)
fact rows than copies do (copies only raise the counters of existing rows). At 10⁶ the facts
had already saturated (×10 dossiers gave ×5 daily rows), so the fact side is measured on
slightly fewer rows than reality; the raw side, which scans dossiers and events, is measured on
the full volume.
"""

from __future__ import annotations

import time

from django.db import connection, transaction
from django.db.models import Max


def _columns(model: type) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _copy(cursor, model: type, offsets: dict[str, str], where: str) -> int:
    """INSERT INTO t (cols) SELECT <cols with offsets> FROM t WHERE <where>."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = _columns(model)
    select = [offsets.get(c, connection.ops.quote_name(c)) for c in cols]
    cursor.execute(f"INSERT INTO {table} ({', '.join(map(connection.ops.quote_name, cols))}) "
                   f"SELECT {', '.join(select)} FROM {table} WHERE {where}")
    return cursor.rowcount


def _multiply(cursor, model: type, columns: tuple[str, ...], factor: int) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(c)} = {connection.ops.quote_name(c)} * {factor}"
                     for c in columns)
    cursor.execute(f"UPDATE {table} SET {sets}")


def replicate(factor: int) -> None:
    """Make the database hold ``factor`` × its dossiers (see the module docstring)."""
    from tinhso.dossiers.models import Dossier, DossierEvent
    from tinhso.ioc.models import (
        FACT_COLUMNS,
        OPEN_COLUMNS_MONTHLY,
        DailyFact,
        DossierFactState,
        MonthlyFact,
        OpenMonthFact,
    )

    if factor < 2:
        return
    max_dossier = Dossier.objects.aggregate(m=Max("id"))["m"] or 0
    max_event = DossierEvent.objects.aggregate(m=Max("id"))["m"] or 0
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -4000000")  # 4 GB page cache for the copy
    for k in range(1, factor):
        started = time.perf_counter()
        d_off, e_off = k * max_dossier, k * max_event
        with transaction.atomic(), connection.cursor() as cursor:
            dossiers = _copy(cursor, Dossier, {
                "id": f"id + {d_off}", "code": f"code || '~{k}'"}, f"id <= {max_dossier}")
            events = _copy(cursor, DossierEvent, {
                "id": f"id + {e_off}", "dossier_id": f"dossier_id + {d_off}"},
                f"id <= {max_event}")
            _copy(cursor, DossierFactState, {
                "dossier_id": f"dossier_id + {d_off}"}, f"dossier_id <= {max_dossier}")
        print(f"  copy {k}/{factor - 1}: {dossiers:,} dossiers, {events:,} events in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _multiply(cursor, DailyFact, FACT_COLUMNS, factor)
        _multiply(cursor, MonthlyFact, FACT_COLUMNS, factor)
        _multiply(cursor, OpenMonthFact, OPEN_COLUMNS_MONTHLY, factor)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Dossier, DossierEvent):
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT MAX(id) FROM {table}))")
            # What autovacuum would do over the next minutes: planner statistics and the
            # visibility map, so the raw queries are measured as a settled database runs them.
            # (VACUUM cannot run inside a transaction, e.g. a test's.)
            if not connection.in_atomic_block:
                for model in (Dossier, DossierEvent, DossierFactState):
                    cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    print(f"  facts ×{factor} and statistics in {time.perf_counter() - started:.0f} s",
          flush=True)
