"""A season of plausible field weather for the demo (``tinhso iot simulate``).

Three demo farms — pepper (fruiting), cashew (flowering), rubber — each with one station,
in communes of the province. Weather per station: a diurnal air temperature of 23–34 °C, a
humidity that falls as it warms, rain from a two-state (dry/wet spell) Markov chain with
afternoon showers, a soil-moisture bucket filled by rain and drained by evapotranspiration,
leaf wetness from rain and near-saturated air. The last days carry scripted spells so the demo
shows alarms: soaked soil under heavy rain at the pepper farm (foot-rot risk), rain and humid
air while the cashew flowers (anthracnose risk), and warm drizzle at the rubber farm (leaf fall).

Readings go over MQTT to the broker tinhso manages (as a real station would), or with
``--direct`` straight through the same storage code, for a laptop without Mosquitto.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.iot import alarms, broker, ingest, services
from tinhso.iot.models import Device, Farm, Parcel
from tinhso.units.models import AdminUnit, Level

DEMO = [
    # (farm, owner kind, owner, commune name hints, crop, variety, stage, spell)
    ("HTX Hồ tiêu Lộc Ninh", "cooperative", "HTX Hồ tiêu Lộc Ninh", ["Lộc Ninh", "Lộc"],
     "pepper", "Vĩnh Linh", "fruiting", "soak"),
    ("Vườn điều Bù Đăng", "household", "Điểu Thị Lan", ["Bù Đăng", "Bù"],
     "cashew", "PN1", "flowering", "humid"),
    ("Công ty Cao su Đồng Phú", "enterprise", "Công ty Cao su Đồng Phú", ["Đồng Phú", "Phú"],
     "rubber", "RRIV 124", "vegetative", "drizzle"),
]
SPELL_DAYS = 4


def _commune(hints: list[str], taken: set[int]) -> AdminUnit:
    communes = AdminUnit.objects.filter(level=Level.COMMUNE, valid_to__isnull=True)
    for hint in hints:
        unit = communes.filter(name__icontains=hint).exclude(pk__in=taken).first()
        if unit:
            return unit
    unit = (AdminUnit.objects.filter(level=Level.COMMUNE).exclude(pk__in=taken)
            .order_by("valid_to", "code").first())
    if unit is None:
        raise RuntimeError("no commune: load the demo province first (tinhso demo)")
    return unit


def demo_parcels() -> list[tuple[Parcel, str]]:
    """The demo farms and their stations, created once; (parcel, spell) pairs."""
    out: list[tuple[Parcel, str]] = []
    taken: set[int] = set()
    for name, kind, owner, hints, crop, variety, stage, spell in DEMO:
        farm = Farm.objects.filter(name=name).first()
        if farm is None:
            commune = _commune(hints, taken)
            farm = services.farm_add(acting_user=None, name=name, owner_kind=kind,
                                     owner_name=owner, commune=commune)
        taken.add(farm.commune_id)
        parcel = farm.parcels.first() or services.parcel_add(
            acting_user=None, farm=farm, name="Lô 1", area_ha="2.5", crop=crop, variety=variety,
            planting_year=2016, stage=stage, latitude=_lat(farm), longitude=_lon(farm))
        out.append((parcel, spell))
    return out


def _lat(farm: Farm) -> float | None:
    return farm.commune.latitude


def _lon(farm: Farm) -> float | None:
    return farm.commune.longitude


def weather(rng: random.Random, start: dt.datetime, steps: int, step: dt.timedelta,
            spell: str) -> Iterator[tuple[dt.datetime, dict[str, float]]]:
    soil = 28.0
    wet = False
    spell_from = steps - int(SPELL_DAYS * dt.timedelta(days=1) / step)
    for i in range(steps):
        ts = start + i * step
        hour = (ts.hour + 7) % 24 + ts.minute / 60  # local time
        in_spell = i >= spell_from
        if rng.random() < (0.08 if wet else 0.04):
            wet = not wet
        diurnal = math.sin((hour - 9) / 24 * 2 * math.pi)
        temp = 28.5 + 5 * diurnal + rng.gauss(0, 0.6)
        hum = min(99.0, max(45.0, 78 - 14 * diurnal + (12 if wet else 0) + rng.gauss(0, 3)))
        hours = step.total_seconds() / 3600
        rain = 0.0
        if wet and 13 <= hour <= 19 and rng.random() < 0.5:
            rain = rng.expovariate(1 / 4.0) * hours
        if in_spell and spell == "soak":
            rain, hum = 2.2 * hours + rng.random() * hours, max(hum, 90.0)
        elif in_spell and spell == "humid":
            rain, hum = 0.4 * hours, 88 + rng.random() * 8
        elif in_spell and spell == "drizzle":
            temp = 26 + rng.gauss(0, 0.7)
            rain, hum = 0.3 * hours, 92 + rng.random() * 6
        soil = min(48.0, soil + rain * 0.6) - (0.06 if temp > 30 else 0.03) * hours * 2
        soil = max(9.0, soil)
        leaf = 100.0 if rain > 0 or hum > 95 else max(0.0, (hum - 85) * 5)
        yield ts, {"air_temperature": round(temp, 2), "air_humidity": round(hum, 1),
                   "rain": round(rain, 2), "soil_moisture": round(soil, 2),
                   "soil_temperature": round(temp - 3 + rng.gauss(0, 0.3), 2),
                   "leaf_wetness": round(leaf, 1)}


def _mqtt_sender(device: Device, token: str) -> Any:
    import paho.mqtt.client as mqtt
    from django.conf import settings

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=device.mqtt_username,
                         protocol=mqtt.MQTTv311)
    client.username_pw_set(device.mqtt_username, token)
    connected = threading.Event()
    client.on_connect = lambda *_a: connected.set()
    client.connect(settings.TINHSO_MQTT_HOST, settings.TINHSO_MQTT_PORT, keepalive=30)
    client.loop_start()
    if not connected.wait(10):
        raise broker.BrokerError("the simulator could not connect to the broker")
    return client


def run(*, days: float = 30.0, step_minutes: int = 30, speed: float = 0.0, seed: int = 16,
        direct: bool = False, if_empty: bool = False,
        out: Callable[[str], Any] = print) -> dict[str, Any]:
    """Send ``days`` of weather ending now for each demo station; return what was sent."""
    if if_empty and Farm.objects.filter(name=DEMO[0][0]).exists():
        return {"skipped": "demo farms exist"}
    with transaction.atomic():
        pairs = demo_parcels()
    step = dt.timedelta(minutes=step_minutes)
    steps = int(dt.timedelta(days=days) / step)
    start = timezone.now().replace(second=0, microsecond=0) - steps * step
    report: dict[str, Any] = {"stations": [], "messages": 0}
    for n, (parcel, spell) in enumerate(pairs):
        device = parcel.devices.filter(is_active=True).first()
        if device is None:
            device, token = services.device_add(acting_user=None, parcel=parcel,
                                                name=f"Trạm {parcel.farm.name}",
                                                push_to_broker=False)
        else:  # the token is shown once: the simulator takes a fresh one
            token = services.device_rotate_token(acting_user=None, device=device,
                                                 push_to_broker=False)
        if not direct:
            services.device_push_to_broker(device=device, token=token)
        device.refresh_from_db()
        rng = random.Random(seed * 100 + n)
        series = list(weather(rng, start, steps, step, spell))
        if direct:
            for i in range(0, len(series), 500):
                ingest.store({device.pk: [(int(ts.timestamp() * 1000), k, v)
                                          for ts, values in series[i:i + 500]
                                          for k, v in values.items()]})
        else:
            if not device.broker_synced:
                raise broker.BrokerError("the broker did not accept the demo station; is it "
                                         "running and configured (tinhso iot sync-broker)?")
            client = _mqtt_sender(device, token)
            topic = broker.device_topic(device.mqtt_username)
            for ts, values in series:
                body = json.dumps({"ts": int(ts.timestamp() * 1000), "values": values})
                client.publish(topic, body, qos=1).wait_for_publish(10)
                if speed > 0:
                    time.sleep(step.total_seconds() / speed)
            client.disconnect()
            client.loop_stop()
        report["messages"] += len(series)
        report["stations"].append({"device": device.pk, "crop": parcel.crop,
                                   "mqtt_username": device.mqtt_username})
        out(f"{parcel.farm.name}: {len(series)} readings sent\n")
    if direct:
        report["alarms"] = [alarms.evaluate_parcel(p) for p, _ in pairs]
    return report
