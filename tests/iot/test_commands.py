"""`tinhso iot …` for operators: add a farm, a parcel and a device (the token is printed once
and works), list, revoke; sync-broker removes clients tinhso no longer knows."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tinhso.iot import services
from tinhso.iot.broker import Dynsec
from tinhso.iot.models import Device, Reading


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("iot", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_add_farm_parcel_device_then_post_with_the_printed_token(commune, client):
    farm = json.loads(run("add-farm", "--name", "HTX Điều Phước Long", "--owner-kind",
                          "cooperative", "--owner-name", "HTX Điều", "--commune", commune.code))
    parcel = json.loads(run("add-parcel", "--farm", str(farm["farm"]), "--name", "Lô 3",
                            "--area", "4.2", "--crop", "cashew", "--stage", "flowering",
                            "--lat", "11.8", "--lon", "106.9"))
    printed = json.loads(run("add-device", "--parcel", str(parcel["parcel"]), "--name", "Trạm 1",
                             "--no-broker"))
    token = printed["token"]
    assert printed["topic"] == f"v1/devices/{printed['mqtt_username']}/telemetry"
    assert printed["mqtt_password"] == token and printed["http"].endswith(
        f"/api/v1/iot/{token}/telemetry")
    r = client.post(f"/api/v1/iot/{token}/telemetry", data='{"rain": 1}',
                    content_type="application/json")
    assert r.status_code == 200 and Reading.objects.count() == 1
    listing = run("list")
    assert "HTX Điều Phước Long" in listing and printed["mqtt_username"] in listing
    run("revoke-device", str(printed["device"]))
    assert not Device.objects.get(pk=printed["device"]).is_active


def test_bad_input_is_a_clear_error(commune, farm):
    with pytest.raises(CommandError, match="no commune"):
        run("add-farm", "--name", "X", "--owner-name", "Y", "--commune", "00000")
    with pytest.raises(CommandError, match="INVALID_FIELD"):
        run("add-parcel", "--farm", str(farm.pk), "--name", "L", "--area", "-1", "--crop",
            "pepper")
    with pytest.raises(CommandError, match="INVALID_FIELD"):
        run("add-parcel", "--farm", str(farm.pk), "--name", "L", "--area", "1", "--crop", "tea")


@pytest.mark.slow
def test_sync_broker_removes_stale_clients_and_reports_missing(parcel, broker_settings):
    kept, kept_token = services.device_add(acting_user=None, parcel=parcel, name="Giữ",
                                           push_to_broker=False)
    missing, _ = services.device_add(acting_user=None, parcel=parcel, name="Thiếu",
                                     push_to_broker=False)
    with Dynsec() as dynsec:
        dynsec.put_device(kept.mqtt_username, kept_token)
        dynsec.put_device("dev-ghost001", "left-behind")  # a device tinhso no longer has
    report = json.loads(run("sync-broker"))
    assert report["deleted"] >= 1
    with Dynsec() as dynsec:
        names = dynsec.device_usernames()
    assert kept.mqtt_username in names and "dev-ghost001" not in names
    missing.refresh_from_db()
    kept.refresh_from_db()
    assert kept.broker_synced and not missing.broker_synced
