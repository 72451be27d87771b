"""IoT ingestion: readings per second from N simulated devices over MQTT into the database,
and the delay from publish to stored, beside two baselines of the same run.

    .venv/bin/python bench/iot.py [--devices 50 --messages 200 --keys 6 --rate 0]

Starts its own Mosquitto (the project's configuration: dynamic security, per-device clients
and ACLs) on a free port, creates N devices through the services (each a broker client),
runs the ingestion service (``tinhso.iot.mqtt_ingest.Ingestor``, as ``tinhso iot ingest``
does) in this process, and has N paho clients publish ``{"ts": <now ms>, "values": {…K keys…}}``
at QoS 1 — as fast as they can (``--rate 0``) or at a total offered rate of points/s. Prints:

* points/s stored (the clock runs from the first publish to the last commit), messages/s;
* p50/p99 delay from publish (the payload's ts) to the commit of its batch;
* baseline 1: the same rows written by a bulk COPY (PostgreSQL) or executemany (SQLite)
  into a scratch table of the same shape — the database's own ceiling;
* baseline 2: Mosquitto's own delivery rate: the same publishers to a subscriber that only
  counts (no database);

The publishers run in a forked child process (their own interpreter lock); the ingestion
service runs in this one, as ``tinhso iot ingest`` would in its own process.
* the anchor: ThingsBoard's published 15,000 data points/s on 2 vCPU.

Uses a fresh temporary SQLite database unless DATABASE_URL is set (use PostgreSQL for figures).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THINGSBOARD_POINTS_PER_S = 15_000
KEYS = ["soil_moisture", "soil_temperature", "air_temperature", "air_humidity", "rain",
        "leaf_wetness", "wind", "light"]


def setup_django(tmp: str) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ["TINHSO_VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_broker(tmp: str) -> tuple[subprocess.Popen, int]:
    from django.conf import settings

    from tinhso.iot.brokerconf import write_config

    port = free_port()
    conf = write_config(Path(tmp) / "mosquitto", port=port,
                        admin_user=settings.TINHSO_MQTT_ADMIN_USER,
                        admin_password=settings.TINHSO_MQTT_ADMIN_PASSWORD)
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.05)
    raise SystemExit("mosquitto did not start")


def make_devices(n: int) -> list[tuple[str, str]]:
    from tinhso.iot import services
    from tinhso.iot.broker import Dynsec
    from tinhso.units.models import AdminUnit, Level, Structure

    commune, _ = AdminUnit.objects.get_or_create(
        structure=Structure.CURRENT_2, code="99001",
        defaults={"name": "Xã Thử nghiệm", "unit_type": "Xã", "level": Level.COMMUNE})
    farm = services.farm_add(acting_user=None, name="Bench", owner_kind="enterprise",
                             owner_name="Bench", commune=commune)
    parcel = services.parcel_add(acting_user=None, farm=farm, name="Lô", area_ha=1,
                                 crop="rubber")
    out = []
    with Dynsec() as dynsec:
        dynsec.ensure_ingest_client()
        for i in range(n):
            device, token = services.device_add(acting_user=None, parcel=parcel,
                                                name=f"bench-{i}", push_to_broker=False)
            dynsec.put_device(device.mqtt_username, token)
            out.append((device.mqtt_username, token))
    return out


def publish_all(port: int, devices: list[tuple[str, str]], messages: int, keys: int,
                rate: float) -> float:
    """Each device publishes ``messages`` messages; return the wall time of publishing."""
    import paho.mqtt.client as mqtt

    per_device_interval = (len(devices) * keys / rate) if rate > 0 else 0.0
    start = threading.Barrier(len(devices) + 1)

    def device_loop(username: str, token: str) -> None:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{username}",
                             protocol=mqtt.MQTTv311)
        client.username_pw_set(username, token)
        client.max_inflight_messages_set(100)
        client.connect("127.0.0.1", port)
        client.loop_start()
        topic = f"v1/devices/{username}/telemetry"
        start.wait()
        last = 0
        t0 = time.monotonic()
        infos = []
        for m in range(messages):
            if per_device_interval:
                delay = t0 + m * per_device_interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            ms = max(int(time.time() * 1000), last + 1)  # unique ts per device
            last = ms
            values = {KEYS[k]: round(20 + (m + k) % 17 * 0.5, 2) for k in range(keys)}
            infos.append(client.publish(topic, json.dumps({"ts": ms, "values": values}), qos=1))
        for info in infos:
            info.wait_for_publish(60)
        client.disconnect()
        client.loop_stop()

    threads = [threading.Thread(target=device_loop, args=d) for d in devices]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def publish_in_child(port: int, devices, messages: int, keys: int, rate: float) -> float:
    """The publishers in a process of their own (forked), so their threads do not compete with
    the ingestion service for this process's interpreter lock — as real devices would not."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    result = ctx.Queue()
    child = ctx.Process(target=lambda: result.put(publish_all(port, devices, messages, keys,
                                                              rate)))
    child.start()
    seconds = result.get(timeout=900)
    child.join(60)
    return seconds


def run_ingest(port: int, devices, messages: int, keys: int, rate: float) -> dict:
    from tinhso.iot.mqtt_ingest import Ingestor

    ingestor = Ingestor(port=port, client_id=f"ingest-{uuid.uuid4().hex[:6]}",
                        evaluate_every=0, record_delays=True, batch_max=1000)
    ingestor.start()
    assert ingestor.subscribed.wait(20)
    total = len(devices) * messages
    worker = threading.Thread(target=ingestor.run)
    worker.start()
    t0 = time.perf_counter()
    publish_s = publish_in_child(port, devices, messages, keys, rate)
    deadline = time.monotonic() + 600
    while ingestor.counters.messages < total and time.monotonic() < deadline:
        time.sleep(0.01)
    elapsed = time.perf_counter() - t0
    ingestor.stop_event.set()
    worker.join()
    c = ingestor.counters
    delays = sorted(c.delays_ms)
    return {"messages": c.messages, "points": c.stored, "bad": c.bad, "unknown": c.unknown,
            "batches": c.batches, "seconds": elapsed, "publish_seconds": publish_s,
            "points_per_s": c.stored / elapsed, "messages_per_s": c.messages / elapsed,
            "p50_ms": statistics.median(delays) if delays else None,
            "p99_ms": delays[int(len(delays) * 0.99) - 1] if delays else None}


def broker_only(port: int, devices, messages: int, keys: int) -> dict:
    """The same publishers to a subscriber that only counts: Mosquitto's delivery rate."""
    import paho.mqtt.client as mqtt
    from django.conf import settings

    total = len(devices) * messages
    got = [0]
    done = threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-count",
                      protocol=mqtt.MQTTv311)
    sub.username_pw_set(settings.TINHSO_MQTT_INGEST_USER, settings.TINHSO_MQTT_INGEST_PASSWORD)
    subscribed = threading.Event()
    sub.on_subscribe = lambda *a: subscribed.set()

    def on_message(*_a: object) -> None:
        got[0] += 1
        if got[0] >= total:
            done.set()

    sub.on_message = on_message
    sub.on_connect = lambda c, *a: c.subscribe("v1/devices/+/telemetry", qos=1)
    sub.connect("127.0.0.1", port)
    sub.loop_start()
    subscribed.wait(20)
    t0 = time.perf_counter()
    publish_in_child(port, devices, messages, keys, 0)
    done.wait(600)
    elapsed = time.perf_counter() - t0
    sub.disconnect()
    sub.loop_stop()
    return {"messages": got[0], "seconds": elapsed, "messages_per_s": got[0] / elapsed,
            "points_per_s": got[0] * keys / elapsed}


def bulk_baseline() -> dict:
    """Copy every stored reading into a scratch table of the same shape, in bulk."""
    from django.db import connection, transaction

    rows = list(connection.cursor().execute(
        "SELECT device_id, key, ts, value FROM iot_reading").fetchall())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_copy (device_id bigint, key varchar(40),"
                       " ts timestamp with time zone, value double precision,"
                       " PRIMARY KEY (device_id, key, ts))")
        t0 = time.perf_counter()
        if connection.vendor == "postgresql":
            with cursor.cursor.copy("COPY bench_copy (device_id, key, ts, value) FROM STDIN"
                                    ) as copy:
                for row in rows:
                    copy.write_row(row)
            how = "COPY"
        else:
            cursor.executemany("INSERT INTO bench_copy VALUES (%s, %s, %s, %s)", rows)
            how = "executemany"
        elapsed = time.perf_counter() - t0
        cursor.execute("DROP TABLE bench_copy")
    return {"how": how, "rows": len(rows), "seconds": elapsed, "rows_per_s": len(rows) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--messages", type=int, default=200, help="messages per device")
    parser.add_argument("--keys", type=int, default=6, help="values per message (≤ 8)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="offered points/s in total (0: as fast as the publishers can)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="tinhso-bench-iot-")
    setup_django(tmp)
    from django.db import connection

    broker, port = start_broker(tmp)
    try:
        from django.conf import settings

        settings.TINHSO_MQTT_PORT = port
        devices = make_devices(args.devices)
        mqtt_run = run_ingest(port, devices, args.messages, args.keys, args.rate)
        copy = bulk_baseline()
        relay = broker_only(port, devices, args.messages, args.keys)
    finally:
        broker.terminate()
        broker.wait(10)
    print(f"database: {connection.vendor}; {args.devices} devices × {args.messages} messages "
          f"× {args.keys} values; offered rate: {args.rate or 'max'} points/s; "
          f"{os.cpu_count()} CPUs")
    print(f"MQTT → tinhso → database: {mqtt_run['points_per_s']:,.0f} points/s "
          f"({mqtt_run['messages_per_s']:,.0f} messages/s, {mqtt_run['points']:,} points in "
          f"{mqtt_run['seconds']:.2f} s, {mqtt_run['batches']} batches; publishing took "
          f"{mqtt_run['publish_seconds']:.2f} s)")
    print(f"  publish → stored: p50 {mqtt_run['p50_ms']:.0f} ms, p99 {mqtt_run['p99_ms']:.0f} ms")
    print(f"baseline, bulk {copy['how']} of the same rows: {copy['rows_per_s']:,.0f} rows/s "
          f"({copy['rows']:,} in {copy['seconds']:.2f} s)")
    print(f"baseline, Mosquitto alone (same publishers, counting subscriber): "
          f"{relay['messages_per_s']:,.0f} messages/s = {relay['points_per_s']:,.0f} points/s")
    print(f"anchor: ThingsBoard {THINGSBOARD_POINTS_PER_S:,} points/s on 2 vCPU → tinhso is at "
          f"{mqtt_run['points_per_s'] / THINGSBOARD_POINTS_PER_S:.0%} of it here")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
