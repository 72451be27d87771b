"""Storage for volume: PostgreSQL month partitions (+ DEFAULT, BRIN), retention of raw
readings that keeps the roll-ups, and concurrent writers of the same readings counting once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from tinhso.iot import ingest, partitions, services, tasks
from tinhso.iot.models import Reading, Rollup

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'",
                                   reason="PostgreSQL partitioning (SQLite has one table)")


def ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def test_retention_drops_raw_keeps_rollups(device_token):
    device = device_token[0]
    now = timezone.now()
    old, recent = now - dt.timedelta(days=500), now - dt.timedelta(days=3)
    ingest.store({device.pk: [(ms(old + dt.timedelta(minutes=i)), "rain", 1.0)
                              for i in range(30)]
                  + [(ms(recent), "rain", 2.0)]})
    report = tasks.maintain(retention_days=400)
    assert report["readings_removed"] == 30
    assert list(Reading.objects.values_list("value", flat=True)) == [2.0]
    assert Rollup.objects.filter(period="d").aggregate(n=Sum("count"))["n"] == 31


@postgres_only
def test_partitioned_by_month_with_default_and_brin(device_token):
    device = device_token[0]
    assert partitions.partitioned()
    names = partitions.partition_names()
    this_month = f"iot_reading_p{timezone.now():%Y%m}"
    assert "iot_reading_default" in names and this_month in names
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'iot_reading_ts_brin'")
        assert "brin" in cursor.fetchone()[0].lower()
    # A backfilled reading of an old month lands in DEFAULT …
    old = dt.datetime(2024, 3, 15, tzinfo=dt.UTC)
    ingest.store({device.pk: [(ms(old), "rain", 4.0), (ms(timezone.now()), "rain", 1.0)]})
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM iot_reading_default")
        assert cursor.fetchone()[0] == 1
    # … and moves into its month's partition when that partition is created.
    assert partitions.ensure_partitions(months_ahead=0, start=old.date()) == [
        "iot_reading_p202403"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM iot_reading_default")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM iot_reading_p202403")
        assert cursor.fetchone()[0] == 1
    # A duplicate of a partitioned row is still refused by the primary key.
    assert ingest.store({device.pk: [(ms(old), "rain", 9.0)]}).inserted == 0
    # Retention drops the whole month.
    tasks.maintain(retention_days=365)
    assert "iot_reading_p202403" not in partitions.partition_names()
    assert Reading.objects.count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_the_same_readings_count_once(commune):
    farm = services.farm_add(acting_user=None, name="V", owner_kind="household",
                             owner_name="A", commune=commune)
    parcel = services.parcel_add(acting_user=None, farm=farm, name="L", area_ha=1,
                                 crop="rubber")
    device, _ = services.device_add(acting_user=None, parcel=parcel, name="T",
                                    push_to_broker=False)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    points = [(ms(t0 + dt.timedelta(minutes=i)), k, float(i))
              for i in range(300) for k in ("rain", "air_humidity")]
    barrier = threading.Barrier(4)
    errors = []

    def writer(offset: int) -> None:
        try:
            barrier.wait(10)
            # Each writer sends the same rows in its own order: overlapping transactions.
            mine = points[offset * 150:] + points[:offset * 150]
            ingest.store({device.pk: mine})
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert Reading.objects.count() == 600
    for period in ("h", "d"):
        agg = Rollup.objects.filter(key="rain", period=period).aggregate(
            n=Sum("count"), t=Sum("total"))
        assert (agg["n"], agg["t"]) == (300, float(sum(range(300))))
