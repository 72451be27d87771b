"""Time partitions of the raw readings on PostgreSQL, and retention (both databases).

PostgreSQL: ``iot_reading`` is ``PARTITION BY RANGE (ts)`` with one partition per month
(``iot_reading_pYYYYMM``) and a DEFAULT partition, so a reading with any timestamp is stored.
``ensure_partitions`` creates the coming months ahead; a month whose rows already sit in the
DEFAULT partition (a backfill) gets them moved into its new partition in the same transaction.
Retention drops whole months (cheap, no table bloat) and deletes older rows left in DEFAULT.
SQLite: one table, retention deletes in bounded batches. Roll-ups are kept: charts of any
period answer from them.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from tinhso.iot.models import Reading


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
                       " WHERE c.relname = 'iot_reading'")
        return cursor.fetchone() is not None


def partition_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                       " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'iot_reading'"
                       " ORDER BY 1")
        return [row[0] for row in cursor.fetchall()]


def ensure_partitions(*, months_ahead: int = 2, start: dt.date | None = None) -> list[str]:
    """Create monthly partitions from ``start``'s month (default: this month) to
    ``months_ahead`` months later; return the names created."""
    if not partitioned():
        return []
    existing = set(partition_names())
    month = _month_start(start or timezone.now().date())
    created = []
    for _ in range(months_ahead + 1):
        name = f"iot_reading_p{month:%Y%m}"
        upper = _next_month(month)
        if name not in existing:
            low, high = f"{month:%Y-%m-%d} 00:00+00", f"{upper:%Y-%m-%d} 00:00+00"
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"CREATE TABLE {name} (LIKE iot_reading INCLUDING DEFAULTS)")
                move = ("WITH moved AS (DELETE FROM iot_reading_default WHERE ts >= %s AND ts < %s"
                        " RETURNING *) INSERT INTO {name} SELECT * FROM moved")
                cursor.execute(move.format(name=name), [low, high])
                cursor.execute(f"ALTER TABLE iot_reading ATTACH PARTITION {name}"
                               f" FOR VALUES FROM ('{low}') TO ('{high}')")
            created.append(name)
        month = upper
    return created


def apply_retention(*, days: int, now: dt.datetime | None = None) -> int:
    """Remove raw readings older than ``days`` days; return how many rows (or partitions'
    rows) went. Roll-ups stay."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    removed = 0
    if partitioned():
        for name in partition_names():
            if not name.startswith("iot_reading_p"):
                continue
            upper = _next_month(dt.date(int(name[-6:-2]), int(name[-2:]), 1))
            if dt.datetime.combine(upper, dt.time(), tzinfo=dt.UTC) <= cutoff:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 (our partition name)
                    removed += cursor.fetchone()[0]
                    cursor.execute(f"ALTER TABLE iot_reading DETACH PARTITION {name}")
                    cursor.execute(f"DROP TABLE {name}")
    # SQLite, and old rows in PostgreSQL's DEFAULT partition: a day at a time, so no statement
    # holds a huge transaction.
    oldest = Reading.objects.filter(ts__lt=cutoff).order_by("ts").values_list("ts", flat=True)
    first = oldest.first()
    step = first
    while step is not None and step < cutoff:
        step = min(step + dt.timedelta(days=1), cutoff)
        with transaction.atomic():
            removed += Reading.objects.filter(ts__lt=step)._raw_delete(connection.alias)
    return removed
