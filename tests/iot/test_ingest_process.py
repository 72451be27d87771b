"""`tinhso iot ingest` as a real process, killed (SIGKILL) in the middle of a stream and
restarted: every reading is stored exactly once and the roll-ups agree with the raw rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db.models import Sum

from tests.iot.conftest import ADMIN_PASSWORD, INGEST_PASSWORD
from tests.iot.test_mqtt import WAIT, connect
from tests.processes import database_url
from tinhso.iot import services
from tinhso.iot.broker import device_topic
from tinhso.iot.models import Reading, Rollup

pytestmark = pytest.mark.slow
N = 1500
T0 = 1_764_979_200_000


def start_ingest(port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_MQTT_PORT": str(port),
           "TINHSO_MQTT_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "TINHSO_MQTT_INGEST_PASSWORD": INGEST_PASSWORD,
           "DJANGO_SETTINGS_MODULE": "tinhso.settings"}
    tinhso = str(Path(sys.executable).with_name("tinhso"))
    return subprocess.Popen([tinhso, "iot", "ingest", "--batch", "50", "--evaluate-every", "0"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_killed_ingestion_process_loses_nothing(commune, broker_settings):
    farm = services.farm_add(acting_user=None, name="Vườn", owner_kind="household",
                             owner_name="A", commune=commune)
    parcel = services.parcel_add(acting_user=None, farm=farm, name="Lô", area_ha=1,
                                 crop="pepper")
    device, token = services.device_add(acting_user=None, parcel=parcel, name="Trạm")
    device.refresh_from_db()
    assert device.broker_synced
    topic = device_topic(device.mqtt_username)
    proc = start_ingest(broker_settings.port)
    try:
        sender, _ = connect(broker_settings, device.mqtt_username, token)
        # A probe tells us the service's persistent session is subscribed.
        deadline = time.monotonic() + 60
        while not Reading.objects.filter(key="probe").exists():
            assert time.monotonic() < deadline, "the ingestion service never stored the probe"
            sender.publish(topic, json.dumps({"ts": T0 - 1, "values": {"probe": 1}}), qos=1)
            time.sleep(0.5)
        infos = [sender.publish(topic, json.dumps({"ts": T0 + i, "values": {"rain": 1}}), qos=1)
                 for i in range(N)]
        wait_for(lambda: Reading.objects.filter(key="rain").count() >= 100, "first batches")
        proc.send_signal(signal.SIGKILL)  # mid-stream: some received, some stored, some neither
        proc.wait(10)
        for info in infos:
            info.wait_for_publish(WAIT)  # the broker holds the rest for the persistent session
        stored_before = Reading.objects.filter(key="rain").count()
        proc = start_ingest(broker_settings.port)
        wait_for(lambda: Reading.objects.filter(key="rain").count() == N, "all readings")
        sender.disconnect()
        sender.loop_stop()
    finally:
        proc.kill()
        proc.wait(10)
    print(f"stored before the kill: {stored_before} of {N}")
    assert 100 <= stored_before <= N
    agg = Rollup.objects.filter(device=device, key="rain", period="h").aggregate(
        n=Sum("count"), t=Sum("total"))
    assert (agg["n"], agg["t"]) == (N, float(N))  # redelivered ones were not counted twice
