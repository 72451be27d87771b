"""NGSI-LD JSON of farms, parcels, crops and devices, after FIWARE's smart data models
(dataModel.Agrifood: AgriFarm, AgriParcel, AgriCrop, AgriParcelRecord; dataModel.Weather:
WeatherObserved; dataModel.Device: Device). Entity ids are ``urn:ngsi-ld:<Type>:<id>``."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db.models import Max

from tinhso.iot.models import Device, Farm, Parcel, Reading

CONTEXT = [
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Agrifood/master/context.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
]
# Telemetry keys → attributes of the two observation entities (value scale).
RECORD_ATTRS = {"soil_moisture": ("soilMoistureVwc", 0.01), "soil_temperature":
                ("soilTemperature", 1.0), "leaf_wetness": ("leafWetness", 0.01),
                "air_humidity": ("relativeHumidity", 0.01), "air_temperature":
                ("temperature", 1.0)}
WEATHER_ATTRS = {"air_temperature": ("temperature", 1.0), "air_humidity":
                 ("relativeHumidity", 0.01), "rain": ("precipitation", 1.0)}
TYPES = ("AgriFarm", "AgriParcel", "AgriCrop", "Device", "AgriParcelRecord", "WeatherObserved")


def urn(kind: str, ident: object) -> str:
    return f"urn:ngsi-ld:{kind}:{ident}"


def _prop(value: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value, **extra}


def _rel(target: str | list[str]) -> dict[str, Any]:
    return {"type": "Relationship", "object": target}


def _point(lat: float | None, lon: float | None) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}


def farm(f: Farm) -> dict[str, Any]:
    return {"id": urn("AgriFarm", f.pk), "type": "AgriFarm", "name": _prop(f.name),
            "ownedBy": _prop({"name": f.owner_name, "kind": f.owner_kind}),
            "address": _prop({"addressLocality": f.commune.name,
                              "addressRegion": "Bình Phước", "addressCountry": "VN"}),
            "hasAgriParcel": _rel([urn("AgriParcel", p) for p in
                                   f.parcels.values_list("pk", flat=True)]),
            "@context": CONTEXT}


def parcel(p: Parcel) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": urn("AgriParcel", p.pk), "type": "AgriParcel", "name": _prop(p.name),
        "area": _prop(float(p.area_ha), unitCode="HAR"),
        "belongsTo": _rel(urn("AgriFarm", p.farm_id)),
        "hasAgriCrop": _rel(urn("AgriCrop", p.crop)),
        "cropVariety": _prop(p.variety), "cropStatus": _prop(p.stage),
        "hasDevice": _rel([urn("Device", d) for d in
                           p.devices.filter(is_active=True).values_list("pk", flat=True)]),
        "@context": CONTEXT}
    if p.planting_year:
        out["plantingYear"] = _prop(p.planting_year)
    location = _point(p.latitude, p.longitude)
    if location:
        out["location"] = location
    return out


def crop(code: str, label: str) -> dict[str, Any]:
    return {"id": urn("AgriCrop", code), "type": "AgriCrop", "name": _prop(label),
            "alternateName": _prop(code), "@context": CONTEXT}


def device(d: Device) -> dict[str, Any]:
    out = {"id": urn("Device", d.pk), "type": "Device", "name": _prop(d.name),
           "controlledProperty": _prop(sorted(d.sensors.values_list("key", flat=True))),
           "controlledAsset": _rel(urn("AgriParcel", d.parcel_id)),
           "deviceState": _prop("active" if d.is_active else "revoked"), "@context": CONTEXT}
    if d.last_seen_at:
        out["dateLastValueReported"] = _prop(d.last_seen_at.isoformat())
    return out


def _latest(p: Parcel, attrs: dict[str, tuple[str, float]]) -> tuple[dict[str, Any], Any]:
    out: dict[str, Any] = {}
    newest: dt.datetime | None = None
    for key, (name, scale) in attrs.items():
        qs = Reading.objects.filter(device__parcel=p, key=key)
        last = qs.aggregate(m=Max("ts"))["m"]
        if last is None:
            continue
        value = qs.filter(ts=last).values_list("value", flat=True).first()
        out[name] = _prop(round(cast(float, value) * scale, 4), observedAt=last.isoformat())
        newest = last if newest is None or last > newest else newest
    return out, newest


def parcel_record(p: Parcel) -> dict[str, Any]:
    attrs, newest = _latest(p, RECORD_ATTRS)
    return {"id": urn("AgriParcelRecord", p.pk), "type": "AgriParcelRecord",
            "hasAgriParcel": _rel(urn("AgriParcel", p.pk)), **attrs,
            **({"dateObserved": _prop(newest.isoformat())} if newest else {}),
            "@context": CONTEXT}


def weather(p: Parcel) -> dict[str, Any]:
    attrs, newest = _latest(p, WEATHER_ATTRS)
    out = {"id": urn("WeatherObserved", p.pk), "type": "WeatherObserved",
           "refParcel": _rel(urn("AgriParcel", p.pk)), **attrs,
           **({"dateObserved": _prop(newest.isoformat())} if newest else {}),
           "@context": CONTEXT}
    location = _point(p.latitude, p.longitude)
    if location:
        out["location"] = location
    return out
