"""MQTT end to end through a real Mosquitto with the project's configuration: devices
authenticate through the dynamic-security plugin tinhso manages; a device can publish only to
its own topic and read nothing; the ingestion service stores each message once, and a message
it received but had not stored before a crash is delivered again."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest

from tinhso.iot import services
from tinhso.iot.broker import device_topic
from tinhso.iot.models import Reading
from tinhso.iot.mqtt_ingest import Ingestor

pytestmark = pytest.mark.slow
T0 = 1_764_979_200_000
WAIT = 15.0


def pump(ingestor: Ingestor, until, timeout: float = WAIT) -> None:
    """Run the ingestion loop in this thread (so it shares the test's transaction)."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "timed out waiting for the ingestion service"
        batch = ingestor._take()
        if batch:
            ingestor._handle(batch)


def connect(broker, username, password, client_id=None):
    """Connect; return (client, reason code of the CONNACK)."""
    client = broker.client(username, password, client_id or f"t-{uuid.uuid4().hex[:8]}")
    done = threading.Event()
    result = {}

    def on_connect(_c, _u, _f, reason, _p):
        result["reason"] = reason
        done.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", broker.port, keepalive=30)
    client.loop_start()
    assert done.wait(WAIT), "no CONNACK"
    return client, result["reason"]


def publish(client, topic, payload):
    info = client.publish(topic, json.dumps(payload), qos=1)
    info.wait_for_publish(WAIT)


@pytest.fixture
def ingestor(broker_settings):
    ing = Ingestor(client_id=f"ingest-{uuid.uuid4().hex[:8]}", evaluate_every=0)
    ing.start()
    assert ing.subscribed.wait(WAIT)
    yield ing
    ing.client.disconnect()
    ing.client.loop_stop()


def make_device(parcel, name, capture):
    with capture(execute=True):
        device, token = services.device_add(acting_user=None, parcel=parcel, name=name)
    device.refresh_from_db()
    assert device.broker_synced
    return device, token


def test_device_publishes_and_is_stored_once(parcel, ingestor, broker_settings,
                                             django_capture_on_commit_callbacks):
    device, token = make_device(parcel, "Trạm MQTT", django_capture_on_commit_callbacks)
    client, reason = connect(broker_settings, device.mqtt_username, token)
    assert not reason.is_failure
    body = {"ts": T0, "values": {"soil_moisture": 33.0, "rain": 1.2}}
    publish(client, device_topic(device.mqtt_username), body)
    publish(client, device_topic(device.mqtt_username), body)  # a duplicate
    publish(client, device_topic(device.mqtt_username), {"air_humidity": 88})
    client.disconnect()
    pump(ingestor, lambda: ingestor.counters.messages >= 3)
    assert Reading.objects.filter(device=device).count() == 3
    assert ingestor.counters.duplicates == 2


def test_a_device_cannot_publish_as_another_or_read_anything(
        parcel, ingestor, broker_settings, django_capture_on_commit_callbacks):
    a, token_a = make_device(parcel, "A", django_capture_on_commit_callbacks)
    b, token_b = make_device(parcel, "B", django_capture_on_commit_callbacks)
    spy, _ = connect(broker_settings, a.mqtt_username, token_a)
    received, granted = [], threading.Event()
    codes = []
    spy.on_message = lambda _c, _u, msg: received.append(msg.topic)

    def on_subscribe(_c, _u, _mid, reason_codes, _p):
        codes.extend(reason_codes)
        granted.set()

    spy.on_subscribe = on_subscribe
    spy.subscribe([("v1/devices/#", 1), ("#", 1), (device_topic(b.mqtt_username), 1)])
    assert granted.wait(WAIT)
    assert codes and all(code.is_failure for code in codes)  # SUBACK 0x80 for each filter
    # A publishes on B's topic and on the shared ThingsBoard topic: both dropped by the broker.
    publish(spy, device_topic(b.mqtt_username), {"ts": T0, "values": {"forged": 1}})
    publish(spy, "v1/devices/me/telemetry", {"ts": T0, "values": {"forged": 2}})
    publish(spy, device_topic(a.mqtt_username), {"ts": T0, "values": {"own": 3}})
    pump(ingestor, lambda: Reading.objects.filter(device=a).exists())
    other, _ = connect(broker_settings, b.mqtt_username, token_b)
    publish(other, device_topic(b.mqtt_username), {"ts": T0, "values": {"real": 4}})
    pump(ingestor, lambda: Reading.objects.filter(device=b).exists())
    other.disconnect()
    spy.disconnect()
    assert list(Reading.objects.filter(device=b).values_list("key", flat=True)) == ["real"]
    assert list(Reading.objects.filter(device=a).values_list("key", flat=True)) == ["own"]
    assert received == []  # A saw nothing, not even B's real reading


def test_wrong_password_refused_and_revoked_device_cut_off(
        parcel, broker_settings, django_capture_on_commit_callbacks):
    device, token = make_device(parcel, "Trạm thu hồi", django_capture_on_commit_callbacks)
    _, reason = connect(broker_settings, device.mqtt_username, "wrong")
    assert reason.is_failure
    _, reason = connect(broker_settings, token, "")  # the token alone as user name: refused
    assert reason.is_failure
    live, reason = connect(broker_settings, device.mqtt_username, token)
    assert not reason.is_failure
    dropped = threading.Event()
    live.on_disconnect = lambda *a: dropped.set()
    with django_capture_on_commit_callbacks(execute=True):
        services.device_revoke(acting_user=None, device=device)
    device.refresh_from_db()
    assert device.broker_synced and not device.is_active
    assert dropped.wait(WAIT)  # the broker kicked the connected device at once
    live.loop_stop()
    _, reason = connect(broker_settings, device.mqtt_username, token)
    assert reason.is_failure


def test_messages_received_but_not_stored_before_a_crash_are_delivered_again(
        parcel, broker_settings, django_capture_on_commit_callbacks):
    device, token = make_device(parcel, "Trạm mất điện", django_capture_on_commit_callbacks)
    client_id = f"ingest-{uuid.uuid4().hex[:8]}"
    first = Ingestor(client_id=client_id, evaluate_every=0)
    first.start()
    assert first.subscribed.wait(WAIT)
    sender, _ = connect(broker_settings, device.mqtt_username, token)
    for i in range(20):
        publish(sender, device_topic(device.mqtt_username),
                {"ts": T0 + i * 1000, "values": {"rain": i}})
    deadline = time.monotonic() + WAIT
    while first.inbox.qsize() < 20:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    # Crash: the process dies with 20 messages received, none stored, none acknowledged.
    first.client.loop_stop()
    first.client.socket().close()
    assert not Reading.objects.filter(device=device).exists()
    second = Ingestor(client_id=client_id, evaluate_every=0)  # the restarted service
    second.start()
    try:
        pump(second, lambda: Reading.objects.filter(device=device).count() == 20)
    finally:
        second.client.disconnect()
        second.client.loop_stop()
        sender.disconnect()
    assert sorted(Reading.objects.filter(device=device).values_list("value", flat=True)) == [
        float(i) for i in range(20)]


def test_two_ingestion_processes_share_the_load(parcel, broker_settings,
                                                django_capture_on_commit_callbacks):
    device, token = make_device(parcel, "Trạm chia tải", django_capture_on_commit_callbacks)
    group = uuid.uuid4().hex[:6]
    pair = [Ingestor(client_id=f"ingest-{group}-{i}", evaluate_every=0, share=group)
            for i in range(2)]
    for ing in pair:
        ing.start()
        assert ing.subscribed.wait(WAIT)
    sender, _ = connect(broker_settings, device.mqtt_username, token)
    for i in range(40):
        publish(sender, device_topic(device.mqtt_username),
                {"ts": T0 + i, "values": {"rain": 1}})
    sender.disconnect()
    deadline = time.monotonic() + WAIT
    while sum(ing.counters.messages for ing in pair) < 40:
        assert time.monotonic() < deadline, "timed out"
        for ing in pair:
            batch = ing._take()
            if batch:
                ing._handle(batch)
    for ing in pair:
        ing.client.disconnect()
        ing.client.loop_stop()
    assert Reading.objects.filter(device=device).count() == 40
    assert all(ing.counters.messages > 0 for ing in pair)  # both took a share, none twice
    assert sum(ing.counters.messages for ing in pair) == 40


def test_timestamp_less_messages_in_one_batch_are_all_kept(parcel, ingestor, broker_settings,
                                                           django_capture_on_commit_callbacks):
    device, token = make_device(parcel, "Trạm không đồng hồ", django_capture_on_commit_callbacks)
    client, _ = connect(broker_settings, device.mqtt_username, token)
    for i in range(5):
        publish(client, device_topic(device.mqtt_username), {"rain": i})
    client.disconnect()
    deadline = time.monotonic() + WAIT
    while ingestor.inbox.qsize() < 5:  # let all five arrive, then store them as one batch
        assert time.monotonic() < deadline
        time.sleep(0.01)
    ingestor._handle(ingestor._take())
    assert sorted(Reading.objects.filter(device=device).values_list("value", flat=True)) == [
        0.0, 1.0, 2.0, 3.0, 4.0]


def test_retried_timestamp_less_message_stored_once(parcel, ingestor, broker_settings,
                                                    django_capture_on_commit_callbacks):
    """The device publishes a flat message again (its PUBACK was lost): the broker forwards
    both, with its own packet ids and no DUP flag; the content tells the retry."""
    device, token = make_device(parcel, "Trạm gửi lại", django_capture_on_commit_callbacks)
    client, _ = connect(broker_settings, device.mqtt_username, token)
    topic = device_topic(device.mqtt_username)
    publish(client, topic, {"rain": 0.2, "air_humidity": 93})
    pump(ingestor, lambda: ingestor.counters.messages >= 1)
    publish(client, topic, {"rain": 0.2, "air_humidity": 93})  # the retry, a later batch
    publish(client, topic, {"rain": 0.4, "air_humidity": 93})  # a new reading
    client.disconnect()
    pump(ingestor, lambda: ingestor.counters.messages >= 3)
    assert ingestor.counters.retries == 1
    assert sorted(Reading.objects.filter(device=device, key="rain")
                  .values_list("value", flat=True)) == [0.2, 0.4]
