"""Storing telemetry: raw readings once, roll-ups added to in the same transaction.

``store`` inserts with ``ON CONFLICT DO NOTHING RETURNING`` (SQLite ≥ 3.35 and PostgreSQL), so
only the rows really inserted are added to the hourly/daily roll-ups: a duplicate, a replay or
a concurrent writer of the same (device, key, ts) changes nothing twice. Roll-up rows are
upserted in sorted order so concurrent transactions lock them in the same order (no deadlock).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest, Left
from django.utils import timezone

from tinhso.iot import retries
from tinhso.iot.errors import BadPayload
from tinhso.iot.models import Device, Sensor
from tinhso.iot.payloads import Point

# PostgreSQL: one statement per batch with four array parameters (unnest), instead of four
# parameters per row that the driver must splice into the SQL text (measured 3x slower).
# Timestamps travel as integer milliseconds (exact, and cheaper to send than datetimes).
INSERT_READINGS_PG = (
    "INSERT INTO iot_reading (device_id, key, ts, value)"
    " SELECT d, k, timestamptz 'epoch' + m * interval '1 millisecond', v"
    " FROM unnest(%s::bigint[], %s::varchar[], %s::bigint[], %s::float8[]) AS u(d, k, m, v)"
    " ON CONFLICT (device_id, key, ts) DO NOTHING"
    " RETURNING device_id, key, (extract(epoch FROM ts) * 1000)::bigint")
UPSERT_ROLLUPS_PG = (
    "INSERT INTO iot_rollup (device_id, key, period, bucket, count, total, low, high)"
    " SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::timestamptz[],"
    " %s::bigint[], %s::float8[], %s::float8[], %s::float8[])"
    " ON CONFLICT (device_id, key, period, bucket) DO UPDATE SET"
    " count = iot_rollup.count + excluded.count, total = iot_rollup.total + excluded.total,"
    " low = LEAST(iot_rollup.low, excluded.low), high = GREATEST(iot_rollup.high, excluded.high)")
INSERT_READINGS = ("INSERT INTO iot_reading (device_id, key, ts, value) VALUES {values}"
                   " ON CONFLICT (device_id, key, ts) DO NOTHING RETURNING device_id, key, ts")
CHUNK = 400  # rows per statement: 4 parameters each, far below SQLite's variable limit


@dataclass
class Stored:
    received: int = 0
    inserted: int = 0
    retries: int = 0  # timestamp-less messages recognised as retries (iot/retries.py)


# A timestamp-less message: (device id, SHA-256 of its bytes, its points).
Untimed = tuple[int, str, list[Point]]


def ms_to_dt(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def hour_bucket(ts: dt.datetime) -> dt.datetime:
    return ts.replace(minute=0, second=0, microsecond=0)


def day_bucket(ts: dt.datetime) -> dt.datetime:
    """Midnight of the local (province) day holding ts, as UTC: farmers' days, not UTC's."""
    local = ts.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def _param(ts: dt.datetime) -> object:
    return connection.ops.adapt_datetimefield_value(ts)


Row = tuple[int, str, int, float]  # (device id, key, ts in ms, value)


def _insert_readings(rows: Sequence[Row]) -> list[Row]:
    """Insert; return the rows that were new (not already stored)."""
    by_key = {(d, k, ms): (d, k, ms, v) for d, k, ms, v in rows}  # first of a batch wins
    # Sorted: concurrent writers of overlapping readings lock index entries in the same order
    # (unsorted, two of them deadlock; tests/iot/test_storage.py races four).
    items = sorted(by_key.values())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(INSERT_READINGS_PG, [[r[0] for r in items], [r[1] for r in items],
                                                [r[2] for r in items], [r[3] for r in items]])
            return [by_key[(d, k, ms)] for d, k, ms in cursor.fetchall()]
    inserted = []
    with connection.cursor() as cursor:
        for start in range(0, len(items), CHUNK):
            chunk = items[start:start + CHUNK]
            params: list[Any] = []
            by_param = {}
            for d, k, ms, v in chunk:
                p = _param(ms_to_dt(ms))
                by_param[(d, k, str(p))] = (d, k, ms, v)
                params += [d, k, p, v]
            # Only placeholders are joined in; every value is a parameter.
            sql = INSERT_READINGS.format(values=",".join(["(%s, %s, %s, %s)"] * len(chunk)))
            cursor.execute(sql, params)
            # SQLite hands the stored text back, parsed to a naive UTC datetime or not: both
            # print as the parameter did.
            inserted += [by_param[(d, k, str(p))] for d, k, p in cursor.fetchall()]
    return inserted


def _add_to_rollups(rows: Iterable[Row]) -> None:
    acc: dict[tuple[int, str, str, dt.datetime], list[float]] = {}
    buckets: dict[int, tuple[dt.datetime, dt.datetime]] = {}  # hour (ms) → (hour, local day)
    for d, k, ms, v in rows:
        hour_ms = ms - ms % 3_600_000
        pair = buckets.get(hour_ms)
        if pair is None:
            hour = ms_to_dt(hour_ms)
            pair = buckets[hour_ms] = (hour, day_bucket(hour))
        for period, bucket in (("h", pair[0]), ("d", pair[1])):
            cur = acc.get((d, k, period, bucket))
            if cur is None:
                acc[(d, k, period, bucket)] = [1, v, v, v]
            else:
                cur[0] += 1
                cur[1] += v
                if v < cur[2]:
                    cur[2] = v
                if v > cur[3]:
                    cur[3] = v
    items = sorted(acc.items())
    if connection.vendor == "postgresql":
        columns: list[list[object]] = [[] for _ in range(8)]
        for (d, k, period, bucket), (n, total, low, high) in items:
            for column, value in zip(columns, (d, k, period, bucket, n, total, low, high),
                                     strict=True):
                column.append(value)
        with connection.cursor() as cursor:
            cursor.execute(UPSERT_ROLLUPS_PG, columns)
        return
    with connection.cursor() as cursor:
        for start in range(0, len(items), CHUNK // 2):
            chunk = items[start:start + CHUNK // 2]
            params: list[Any] = []
            for (d, k, period, bucket), (n, total, low, high) in chunk:
                params += [d, k, period, _param(bucket), n, total, low, high]
            cursor.execute(
                "INSERT INTO iot_rollup (device_id, key, period, bucket, count, total, low, high)"  # noqa: S608,E501
                " VALUES " + ",".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
                + " ON CONFLICT (device_id, key, period, bucket) DO UPDATE SET"
                " count = iot_rollup.count + excluded.count,"
                " total = iot_rollup.total + excluded.total,"
                " low = MIN(iot_rollup.low, excluded.low),"
                " high = MAX(iot_rollup.high, excluded.high)",
                params,
            )


def _learn_sensors(rows: Iterable[Row]) -> None:
    # No process-wide cache of known keys: it would outlive a rolled-back transaction.
    pairs = sorted({(d, k) for d, k, _, _ in rows})
    if pairs:
        Sensor.objects.bulk_create([Sensor(device_id=d, key=k) for d, k in pairs],
                                   ignore_conflicts=True)


def store(batch: dict[int, list[Point]], *, received_at: dt.datetime | None = None,
          untimed: Sequence[Untimed] = ()) -> Stored:
    """Store the points of several devices in one transaction; return what was new.

    ``untimed`` messages are stored only when their digest is claimed in this transaction
    (a retry inside the window stores nothing)."""
    now = received_at or timezone.now()
    rows = [(device_id, key, ms, value)
            for device_id, points in batch.items() for ms, key, value in points]
    result = Stored(received=len(rows) + sum(len(points) for _, _, points in untimed))
    if not rows and not untimed:
        return result
    devices = set(batch) | {device_id for device_id, _, _ in untimed}
    with transaction.atomic():
        for device_id, message_digest, points in untimed:
            if retries.claim(device_id, message_digest, now):
                rows += [(device_id, key, ms, value) for ms, key, value in points]
            else:
                result.retries += 1
        inserted = _insert_readings(rows) if rows else []
        result.inserted = len(inserted)
        _add_to_rollups(inserted)
        _learn_sensors(inserted)
        # Monotonic: an older batch committed late never moves last_seen_at backwards.
        Device.objects.filter(pk__in=sorted(devices)).update(
            last_seen_at=Greatest(F("last_seen_at"), Value(now)))
        Device.objects.filter(pk__in=sorted(devices), last_seen_at__isnull=True).update(
            last_seen_at=now)
    return result


def count_bad_payload(device_id: int, error: BadPayload) -> None:
    """Count a rejected message on its device (outside the failed write: it must persist)."""
    reason = f"{error.code}: {error.message_en}"[:300]
    Device.objects.filter(pk=device_id).update(bad_payloads=F("bad_payloads") + 1,
                                               last_error=Left(Value(reason), 300))
