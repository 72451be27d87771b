"""The demo simulator: a farm of each crop, a season of weather, and the alarms its scripted
spells are meant to raise — directly (a laptop) and over MQTT through the broker."""

from __future__ import annotations

import uuid

import pytest

from tests.iot.conftest import make_commune
from tests.iot.test_mqtt import WAIT, pump
from tinhso.iot import simulator
from tinhso.iot.models import Alarm, Farm, Reading
from tinhso.iot.mqtt_ingest import Ingestor


@pytest.fixture
def communes(db):
    from tinhso.iot.models import AlarmCondition, AlarmRule
    from tinhso.iot.rules_seed import seed

    seed(AlarmRule, AlarmCondition)  # flushed by transactional tests elsewhere in the suite
    return [make_commune(code=c, name=n) for c, n in
            [("25450", "Xã Lộc Ninh"), ("25480", "Xã Bù Đăng"), ("25490", "Xã Đồng Phú")]]


def test_direct_season_raises_each_crops_alarm(communes):
    report = simulator.run(days=20, step_minutes=60, direct=True, out=lambda _s: None)
    assert report["messages"] == 3 * 20 * 24
    assert Reading.objects.count() == 3 * 20 * 24 * 6
    active = set(Alarm.objects.filter(active=True).values_list("crop", "rule__code"))
    assert {("pepper", "pepper-foot-rot"), ("cashew", "cashew-anthracnose"),
            ("rubber", "rubber-leaf-fall")} <= active
    assert {f.commune.name for f in Farm.objects.all()} == {
        "Xã Lộc Ninh", "Xã Bù Đăng", "Xã Đồng Phú"}
    # Run again (the demo at the next start): nothing twice.
    assert simulator.run(days=20, direct=True, if_empty=True)["skipped"]


@pytest.mark.slow
def test_over_mqtt_every_reading_arrives(communes, broker_settings):
    ingestor = Ingestor(client_id=f"ingest-{uuid.uuid4().hex[:8]}", evaluate_every=0)
    ingestor.start()
    assert ingestor.subscribed.wait(WAIT)
    try:
        report = simulator.run(days=2, step_minutes=60, out=lambda _s: None)
        pump(ingestor, lambda: ingestor.counters.messages >= report["messages"])
    finally:
        ingestor.client.disconnect()
        ingestor.client.loop_stop()
    assert Reading.objects.count() == report["messages"] * 6
