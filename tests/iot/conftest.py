"""IoT fixtures: a commune, a farm of each main crop, devices, and a real Mosquitto broker.

The broker is this project's configuration (``tinhso iot broker-config``) started by the test
on a free port in a temporary directory, never the machine's 1883. Without Mosquitto the MQTT
tests skip on a laptop and FAIL in CI (``CI`` set), where Mosquitto must be installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests import factories
from tests.processes import free_port
from tinhso.iot import services
from tinhso.units.models import AdminUnit, Level, Structure

ADMIN_PASSWORD = "admin-secret-for-tests"
INGEST_PASSWORD = "ingest-secret-for-tests"


def make_commune(code: str = "25432", name: str = "Xã Lộc Ninh") -> AdminUnit:
    province = factories.make_province()
    unit, _ = AdminUnit.objects.get_or_create(
        structure=Structure.LEGACY_3, code=code,
        defaults={"name": name, "unit_type": "Xã", "level": Level.COMMUNE, "parent": province})
    return unit


@pytest.fixture
def commune(db) -> AdminUnit:
    # The seeded alarm rules are data-migration rows: a transactional test elsewhere in the
    # suite flushes them, so put back whatever is missing.
    from tinhso.iot.models import AlarmCondition, AlarmRule
    from tinhso.iot.rules_seed import seed

    seed(AlarmRule, AlarmCondition)
    return make_commune()


@pytest.fixture
def farm(commune):
    return services.farm_add(acting_user=None, name="Trang trại tiêu Lộc Ninh",
                             owner_kind="household", owner_name="Nguyễn Văn Tiêu",
                             commune=commune)


@pytest.fixture
def parcel(farm):
    return services.parcel_add(acting_user=None, farm=farm, name="Lô A", area_ha="1.5",
                               crop="pepper", variety="Vĩnh Linh", planting_year=2018,
                               latitude=11.83, longitude=106.58)


@pytest.fixture
def device_token(parcel):
    return services.device_add(acting_user=None, parcel=parcel, name="Trạm 1",
                               push_to_broker=False)


class Broker:
    def __init__(self, port: int, directory: Path, proc: subprocess.Popen) -> None:
        self.port, self.directory, self.proc = port, directory, proc

    def client(self, username: str, password: str, client_id: str,
               clean: bool = True) -> mqtt.Client:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                             clean_session=clean, protocol=mqtt.MQTTv311)
        client.username_pw_set(username, password)
        return client


def _wait_port(port: int, proc: subprocess.Popen) -> None:
    import socket

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"mosquitto exited: {proc.stderr.read() if proc.stderr else ''}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail("mosquitto did not listen in 20 s")


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory) -> Iterator[Broker]:
    from tinhso.iot.brokerconf import find_plugin, write_config

    binary = shutil.which("mosquitto") or ("/usr/sbin/mosquitto"
                                           if Path("/usr/sbin/mosquitto").exists() else None)
    if binary is None or find_plugin() is None or shutil.which("mosquitto_ctrl") is None:
        if os.environ.get("CI"):
            pytest.fail("Mosquitto 2 with the dynamic-security plugin must be installed in CI")
        pytest.skip("Mosquitto (with dynamic security) is not installed")
    directory = tmp_path_factory.mktemp("mosquitto")
    port = free_port()
    conf = write_config(directory, port=port, admin_user="tinhso-admin",
                        admin_password=ADMIN_PASSWORD)
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_port(port, proc)
        yield Broker(port, directory, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def broker_settings(settings, mosquitto):
    settings.TINHSO_MQTT_HOST = "127.0.0.1"
    settings.TINHSO_MQTT_PORT = mosquitto.port
    settings.TINHSO_MQTT_ADMIN_USER = "tinhso-admin"
    settings.TINHSO_MQTT_ADMIN_PASSWORD = ADMIN_PASSWORD
    settings.TINHSO_MQTT_INGEST_USER = "tinhso-ingest"
    settings.TINHSO_MQTT_INGEST_PASSWORD = INGEST_PASSWORD
    from tinhso.iot.broker import Dynsec

    with Dynsec() as dynsec:
        dynsec.ensure_ingest_client()
    return mosquitto
