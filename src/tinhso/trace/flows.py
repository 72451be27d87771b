"""EPCIS 2.0 events of the province's crop flows (cashew, pepper, rubber), as JSON documents:

harvest (ObjectEvent ADD, ``commissioning``, the lot by GTIN + lot) → drying/bagging
(AggregationEvent ADD, ``packing``, the lot into a bag/pallet SSCC) → shipping/receiving
(ObjectEvent OBSERVE of the SSCC) → processing (TransformationEvent: raw cashew nuts → kernels,
fresh latex → sheets) → retail (ObjectEvent OBSERVE ``retail_selling``).

Used by the demo, the tests and the benchmark; an integrator's system sends the same shapes.
``parcel_sensor_elements`` turns the IoT roll-ups of the lot's parcel (temperature, humidity)
into a ``sensorElementList`` for the harvest event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tinhso.trace.identifiers import gln_uri, lot_uri, sscc_uri

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def _time(when: dt.datetime) -> dict[str, str]:
    offset = when.strftime("%z") or "+0000"
    return {"eventTime": when.isoformat(timespec="milliseconds"),
            "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}"}


def _where(gln: str) -> dict[str, Any]:
    return {"readPoint": {"id": gln_uri(gln)}, "bizLocation": {"id": gln_uri(gln)}}


def harvest(*, gln: str, gtin: str, lot: str, kg: float, when: dt.datetime,
            sensors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "ObjectEvent", **_time(when), "action": "ADD", "bizStep": "commissioning",
        "disposition": "active",
        "quantityList": [{"epcClass": lot_uri(gtin, lot), "quantity": kg, "uom": "KGM"}],
        **_where(gln),
    }
    if sensors:
        event["sensorElementList"] = sensors
    return event


def bagging(*, gln: str, sscc: str, gtin: str, lot: str, kg: float,
            when: dt.datetime) -> dict[str, Any]:
    return {"type": "AggregationEvent", **_time(when), "action": "ADD", "bizStep": "packing",
            "disposition": "container_closed", "parentID": sscc_uri(sscc),
            "childQuantityList": [{"epcClass": lot_uri(gtin, lot), "quantity": kg,
                                   "uom": "KGM"}],
            **_where(gln)}


def shipping(*, gln: str, sscc: str, to_gln: str, when: dt.datetime) -> dict[str, Any]:
    return {"type": "ObjectEvent", **_time(when), "action": "OBSERVE", "bizStep": "shipping",
            "disposition": "in_transit", "epcList": [sscc_uri(sscc)], **_where(gln),
            "destinationList": [{"type": "location", "destination": gln_uri(to_gln)}]}


def receiving(*, gln: str, sscc: str, from_gln: str, when: dt.datetime) -> dict[str, Any]:
    return {"type": "ObjectEvent", **_time(when), "action": "OBSERVE", "bizStep": "receiving",
            "disposition": "in_progress", "epcList": [sscc_uri(sscc)], **_where(gln),
            "sourceList": [{"type": "location", "source": gln_uri(from_gln)}]}


def processing(*, gln: str, inputs: list[tuple[str, str, float]],
               outputs: list[tuple[str, str, float]], when: dt.datetime) -> dict[str, Any]:
    """``inputs``/``outputs``: (gtin, lot, kg) — e.g. raw cashew nuts → W320 kernels."""
    return {"type": "TransformationEvent", **_time(when), "bizStep": "commissioning",
            "disposition": "active",
            "inputQuantityList": [{"epcClass": lot_uri(g, lot), "quantity": kg, "uom": "KGM"}
                                  for g, lot, kg in inputs],
            "outputQuantityList": [{"epcClass": lot_uri(g, lot), "quantity": kg, "uom": "KGM"}
                                   for g, lot, kg in outputs],
            **_where(gln)}


def retail(*, gln: str, gtin: str, lot: str, kg: float, when: dt.datetime) -> dict[str, Any]:
    return {"type": "ObjectEvent", **_time(when), "action": "OBSERVE",
            "bizStep": "retail_selling", "disposition": "retail_sold",
            "quantityList": [{"epcClass": lot_uri(gtin, lot), "quantity": kg, "uom": "KGM"}],
            **_where(gln)}


def document(events: list[dict[str, Any]], when: dt.datetime | None = None) -> dict[str, Any]:
    when = when or dt.datetime.now(dt.UTC)
    return {"@context": [EPCIS_CONTEXT], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": when.isoformat(timespec="milliseconds"),
            "epcisBody": {"eventList": events}}


SENSOR_KEYS = (("air_temperature", "gs1:Temperature", "CEL"),
               ("air_humidity", "gs1:RelativeHumidity", "P1"))


def parcel_sensor_elements(parcel: Any, *, start: dt.datetime,
                           end: dt.datetime) -> list[dict[str, Any]]:
    """One sensor element summarising the parcel's IoT roll-ups over [start, end): min, max
    and mean of air temperature and humidity (empty when the parcel has no readings)."""
    from tinhso.iot.selectors import parcel_series

    reports = []
    for key, kind, uom in SENSOR_KEYS:
        rows = parcel_series(parcel, key=key, period="d", start=start, end=end)
        count = sum(r["count"] for r in rows)
        if not count:
            continue
        mean = sum(r["avg"] * r["count"] for r in rows) / count
        reports.append({"type": kind, "minValue": round(min(r["min"] for r in rows), 2),
                        "maxValue": round(max(r["max"] for r in rows), 2),
                        "meanValue": round(mean, 2), "uom": uom})
    if not reports:
        return []
    return [{"sensorMetadata": {"startTime": start.isoformat(timespec="seconds"),
                                "endTime": end.isoformat(timespec="seconds")},
             "sensorReport": reports}]
