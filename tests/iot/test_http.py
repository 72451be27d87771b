"""HTTP telemetry: stored once whatever the order or repetition; bad input counted, nothing
stored; unknown tokens refused (and limited like bearer tokens)."""

from __future__ import annotations

import json
import random

import pytest
from django.db.models import Sum

from tinhso.iot.models import Device, Reading, Rollup, Sensor

T0 = 1_764_979_200_000  # 2025-12-06 00:00 UTC


def post(client, token, body, raw=False):
    data = body if raw else json.dumps(body)
    return client.post(f"/api/v1/iot/{token}/telemetry", data=data,
                       content_type="application/json")


def test_forms_stored_and_device_seen(client, device_token):
    device, token = device_token
    r = post(client, token, [{"ts": T0, "values": {"soil_moisture": 31.5, "rain": 0.4}},
                             {"air_temperature": 27}])
    assert r.status_code == 200, r.content
    assert r.json() == {"received": 3, "stored": 3}
    assert Reading.objects.filter(device=device).count() == 3
    device.refresh_from_db()
    assert device.last_seen_at is not None and device.bad_payloads == 0
    assert set(Sensor.objects.filter(device=device).values_list("key", flat=True)) == {
        "soil_moisture", "rain", "air_temperature"}


def test_duplicates_and_out_of_order_stored_once_rollups_exact(client, device_token):
    device, token = device_token
    points = [{"ts": T0 + i * 600_000, "values": {"rain": float(i % 7)}} for i in range(60)]
    shuffled = points + random.Random(3).sample(points, 40)  # 40 repeats
    random.Random(4).shuffle(shuffled)
    for start in range(0, len(shuffled), 25):
        assert post(client, token, shuffled[start:start + 25]).status_code == 200
    assert Reading.objects.filter(device=device).count() == 60
    # The roll-ups equal a recomputation from the raw rows (no double counting).
    raw_total = sum(i % 7 for i in range(60))
    for period in ("h", "d"):
        agg = Rollup.objects.filter(device=device, key="rain", period=period).aggregate(
            n=Sum("count"), t=Sum("total"))
        assert (agg["n"], agg["t"]) == (60, raw_total)
    hours = Rollup.objects.filter(device=device, key="rain", period="h").order_by("bucket")
    assert hours.count() == 10
    first = hours[0]
    assert (first.count, first.low, first.high) == (6, 0.0, 5.0)


def test_day_buckets_are_local_days(client, device_token):
    device, token = device_token
    # 16:59 and 17:01 UTC fall on different days in Việt Nam (UTC+7).
    post(client, token, [{"ts": T0 + 16 * 3_600_000 + 59 * 60_000, "values": {"x": 1}},
                         {"ts": T0 + 17 * 3_600_000 + 60_000, "values": {"x": 1}}])
    assert Rollup.objects.filter(device=device, key="x", period="d").count() == 2


@pytest.mark.parametrize(("body", "code"), [
    (b"{oops", "IOT_BAD_JSON"), (b'{"a": "wet"}', "IOT_BAD_VALUE"),
    (b'[{"a": 1}, {"ts": 5, "values": {"b": 1}}]', "IOT_BAD_TS")])
def test_bad_payload_rejected_counted_nothing_stored(client, device_token, body, code):
    device, token = device_token
    r = post(client, token, body, raw=True)
    assert r.status_code == 400
    assert r.json()["code"] == code and r.json()["message_vi"]
    assert not Reading.objects.filter(device=device).exists()
    device.refresh_from_db()
    assert device.bad_payloads == 1 and device.last_error.startswith(code)


def test_unknown_and_revoked_tokens_refused(client, device_token):
    from tinhso.iot import services

    device, token = device_token
    assert post(client, "x" * 32, {"a": 1}).status_code == 401
    services.device_revoke(acting_user=None, device=device)
    r = post(client, token, {"a": 1})
    assert r.status_code == 401 and r.json()["code"] == "IOT_UNKNOWN_TOKEN"
    assert not Reading.objects.exists()


def test_token_guessing_is_locked_out(client, device_token, settings):
    settings.TINHSO_TOKEN_MAX_FAILURES = 3
    _, token = device_token
    codes = [post(client, f"guess{i}", {"a": 1}).status_code for i in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    assert post(client, token, {"a": 1}).status_code == 429  # even a good one, while locked


def test_token_stored_as_hash_only(device_token):
    device, token = device_token
    row = Device.objects.filter(pk=device.pk).values().get()
    assert token not in json.dumps(row, default=str)
    assert device.token_prefix == token[:8] and device.mqtt_username == f"dev-{token[:8]}"


def test_timestamp_less_retry_stored_once_within_the_window(client, device_token, settings):
    """A client re-sending a timed-out POST of a flat payload: one reading, not two."""
    device, token = device_token
    body = {"air_temperature": 27.5, "air_humidity": 81}
    first = post(client, token, body)
    again = post(client, token, body)
    assert first.json() == {"received": 2, "stored": 2}
    assert again.status_code == 200 and again.json() == {"received": 2, "stored": 0}
    assert Reading.objects.filter(device=device).count() == 2
    assert Rollup.objects.filter(device=device, period="h").aggregate(n=Sum("count"))["n"] == 2
    # Other bytes are another message; with the check off, a repeat is a new reading.
    assert post(client, token, {"air_temperature": 27.6}).json()["stored"] == 1
    settings.TINHSO_IOT_RETRY_WINDOW_SECONDS = 0
    assert post(client, token, body).json()["stored"] == 2


def test_timestamp_less_repeat_after_the_window_is_a_new_reading(device_token):
    import datetime as dt

    from tinhso.iot import services

    device, token = device_token
    raw = b'{"rain": 0.2}'
    t0 = dt.datetime(2025, 12, 6, 8, 0, tzinfo=dt.UTC)
    assert services.telemetry_receive(token=token, raw=raw, now=t0).inserted == 1
    inside = services.telemetry_receive(token=token, raw=raw, now=t0 + dt.timedelta(seconds=59))
    assert (inside.inserted, inside.retries) == (0, 1)
    assert services.telemetry_receive(token=token, raw=raw,
                                      now=t0 + dt.timedelta(seconds=61)).inserted == 1
    assert Reading.objects.filter(device=device).count() == 2
