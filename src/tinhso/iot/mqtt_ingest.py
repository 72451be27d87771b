"""The ingestion service (``tinhso iot ingest``): subscribe to every device's telemetry topic
with tinhso's own broker credentials and store what arrives.

Nothing is lost: the subscription is QoS 1 in a persistent session (clean_session=False, a
fixed client id), and a message is acknowledged to the broker only after the transaction that
stored it committed (paho's manual acks). A crash before the commit makes the broker deliver
the message again, and the (device, key, ts) primary key makes the second delivery a no-op.

The sender is the topic's middle level: the broker's ACL lets a device publish only to its own
topic, and the database is asked too, so a revoked device is refused even before the broker
has caught up.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from tinhso.iot import alarms, broker, ingest, payloads, retries
from tinhso.iot.errors import BadPayload
from tinhso.iot.models import Device, Parcel

log = logging.getLogger(__name__)
DEVICE_CACHE_SECONDS = 30.0


@dataclass
class Counters:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    retries: int = 0
    bad: int = 0
    unknown: int = 0
    batches: int = 0
    errors: int = 0
    delays_ms: list[float] = field(default_factory=list)


class Ingestor:
    def __init__(self, *, host: str | None = None, port: int | None = None,
                 user: str | None = None, password: str | None = None,
                 client_id: str = "tinhso-ingest", batch_max: int = 500,
                 evaluate_every: float = 60.0, record_delays: bool = False,
                 share: str = "",
                 on_batch: Callable[[Counters], None] | None = None) -> None:
        self.host = host or settings.TINHSO_MQTT_HOST
        self.port = port or settings.TINHSO_MQTT_PORT
        self.batch_max = batch_max
        self.evaluate_every = evaluate_every
        self.record_delays = record_delays
        self.on_batch = on_batch
        # A shared subscription ($share/<group>/…): the broker spreads messages over every
        # ingestion process of the group, each with its own persistent session.
        self.topic = f"$share/{share}/{broker.TELEMETRY_FILTER}" if share else (
            broker.TELEMETRY_FILTER)
        self.counters = Counters()
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.stop_event = threading.Event()
        self.subscribed = threading.Event()
        self._devices: dict[str, tuple[int, float]] = {}
        self._touched: set[int] = set()
        self._parcel_of: dict[int, int] = {}
        self._last_eval = time.monotonic()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=False, protocol=mqtt.MQTTv311)
        password = password or settings.TINHSO_MQTT_INGEST_PASSWORD
        if not password:
            raise broker.BrokerError("set TINHSO_MQTT_INGEST_PASSWORD")
        self.client.username_pw_set(user or settings.TINHSO_MQTT_INGEST_USER, password)
        self.client.manual_ack_set(True)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = lambda _c, _u, msg: self.inbox.put(msg)

    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: object,
                    _p: object) -> None:
        if getattr(reason, "is_failure", False):
            log.error("broker refused the ingestion service: %s", reason)
            return
        client.subscribe(self.topic, qos=1)

    # --- the loop --------------------------------------------------------------------------
    def start(self) -> None:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def run(self) -> None:
        """Store batches until ``stop_event`` is set, then drain what already arrived."""
        while not self.stop_event.is_set() or not self.inbox.empty():
            batch = self._take()
            if batch:
                self._handle(batch)
            self._maybe_evaluate()
        self.client.disconnect()
        self.client.loop_stop()

    def _take(self) -> list[mqtt.MQTTMessage]:
        try:
            first = self.inbox.get(timeout=0.05)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < self.batch_max:
            try:
                batch.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        return batch

    def _device_id(self, username: str | None) -> int | None:
        if username is None:
            return None
        hit = self._devices.get(username)
        if hit is not None and time.monotonic() - hit[1] < DEVICE_CACHE_SECONDS:
            return hit[0] or None
        row = (Device.objects.filter(mqtt_username=username, is_active=True)
               .values_list("pk", "parcel_id").first())
        self._devices[username] = ((row[0] if row else 0), time.monotonic())
        if row:
            self._parcel_of[row[0]] = row[1]
        return row[0] if row else None

    def _handle(self, batch: list[mqtt.MQTTMessage]) -> None:
        now = timezone.now()
        now_ms = int(now.timestamp() * 1000)
        points: dict[int, list[payloads.Point]] = {}
        untimed: list[ingest.Untimed] = []
        stamp: dict[int, int] = {}  # per device: the receipt time given to timestamp-less data
        for msg in batch:
            device_id = self._device_id(broker.username_from_topic(msg.topic))
            if device_id is None:
                self.counters.unknown += 1
                continue
            # Two timestamp-less messages of one device in one batch get distinct times (1 ms
            # apart), else the second would look like a duplicate of the first.
            stamp[device_id] = max(now_ms, stamp.get(device_id, 0) + 1)
            try:
                parsed, no_ts = payloads.parse_message(msg.payload, now_ms=stamp[device_id])
            except BadPayload as exc:
                self.counters.bad += 1
                ingest.count_bad_payload(device_id, exc)
                continue
            if no_ts:  # only its content can tell a retry of it (iot/retries.py)
                untimed.append((device_id, retries.digest(msg.payload), parsed))
            else:
                points.setdefault(device_id, []).extend(parsed)
        for attempt in range(1, 6):  # a database hiccup: retry; never ack what is not stored
            try:
                stored = ingest.store(points, received_at=now, untimed=untimed)
                break
            except DatabaseError as exc:
                self.counters.errors += 1
                log.warning("storing a batch failed (attempt %s): %s", attempt, exc)
                close_old_connections()
                time.sleep(min(0.1 * 2 ** attempt, 5))
        else:
            log.error("batch not stored; the broker will deliver it again")
            self.stop_event.set()
            return
        committed_ms = time.time() * 1000
        for msg in batch:
            self.client.ack(msg.mid, msg.qos)
        c = self.counters
        c.messages += len(batch)
        c.batches += 1
        c.stored += stored.inserted
        c.duplicates += stored.received - stored.inserted
        c.retries += stored.retries
        if self.record_delays:
            c.delays_ms.extend(committed_ms - ms for pts in points.values() for ms, _, _ in pts)
        self._touched.update(self._parcel_of[d] for d in points)
        self._touched.update(self._parcel_of[d] for d, _, _ in untimed)
        if self.on_batch:
            self.on_batch(c)

    def _maybe_evaluate(self) -> None:
        if self.evaluate_every <= 0 or not self._touched:
            return
        if time.monotonic() - self._last_eval < self.evaluate_every:
            return
        self._last_eval = time.monotonic()
        touched, self._touched = self._touched, set()
        for parcel in Parcel.objects.filter(pk__in=touched).select_related("farm"):
            try:
                alarms.evaluate_parcel(parcel)
            except DatabaseError as exc:  # the periodic task will check it again
                log.warning("alarm check of parcel %s failed: %s", parcel.pk, exc)
                close_old_connections()
