"""/api/v1/iot: device telemetry over HTTP, NGSI-LD entities, parcel series, alarms.

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Router, Schema

from tinhso.core import ratelimit
from tinhso.core.errors import NotFound
from tinhso.iot import alarms, ngsi, selectors, services
from tinhso.iot.errors import UnknownDevice
from tinhso.iot.models import Crop

router = Router(tags=["iot"])


class StoredOut(Schema):
    received: int
    stored: int


class PointOut(Schema):
    bucket: dt.datetime
    avg: float
    min: float
    max: float
    count: int


class AlarmOut(Schema):
    id: int
    rule: str
    name: str
    severity: str
    active: bool
    parcel_id: int
    farm_id: int
    commune: str
    crop: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    cleared_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    details: dict[str, Any]


def _alarm_out(a: Any) -> dict[str, Any]:
    return {"id": a.pk, "rule": a.rule.code, "name": a.rule.name, "severity": a.severity,
            "active": a.active, "parcel_id": a.parcel_id, "farm_id": a.farm_id,
            "commune": a.commune.name, "crop": a.crop, "created_at": a.created_at,
            "last_seen_at": a.last_seen_at, "cleared_at": a.cleared_at,
            "acknowledged_at": a.acknowledged_at, "details": a.details}


@router.post("/{token}/telemetry", auth=None, response={200: StoredOut},
             summary="Gửi dữ liệu cảm biến (ThingsBoard: {ts, values} | {…} | [ … ])",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {"type": "object"}}}}})
def telemetry(request: HttpRequest, token: str) -> dict[str, int]:
    # Token guessing is limited like bearer tokens: too many unknown tokens → 429 for a while.
    limit = ratelimit.token_failure_limit()
    address = ratelimit.client_address(request)
    limit.check(address)
    try:
        stored = services.telemetry_receive(token=token, raw=request.body)
    except UnknownDevice:
        limit.fail(address)
        raise
    return {"received": stored.received, "stored": stored.inserted}


@router.get("/ngsi-ld/{entity_type}/{entity_id}", summary="Thực thể NGSI-LD (FIWARE)")
def ngsi_entity(request: HttpRequest, entity_type: str, entity_id: str) -> HttpResponse:
    user = request.auth  # type: ignore[attr-defined]
    missing = NotFound("Không tìm thấy thực thể.", "Entity not found.", code="IOT_NOT_FOUND")
    if entity_type == "AgriCrop":
        if entity_id not in Crop.values:
            raise missing
        body = ngsi.crop(entity_id, Crop(entity_id).label)
    else:
        if entity_type not in ngsi.TYPES or not entity_id.isdigit():
            raise missing
        pk = int(entity_id)
        if entity_type == "AgriFarm":
            body = ngsi.farm(selectors.farm_for(user, pk))
        elif entity_type == "Device":
            body = ngsi.device(selectors.device_for(user, pk))
        else:
            parcel = selectors.parcel_for(user, pk)
            body = {"AgriParcel": ngsi.parcel, "AgriParcelRecord": ngsi.parcel_record,
                    "WeatherObserved": ngsi.weather}[entity_type](parcel)
    return JsonResponse(body, content_type="application/ld+json",
                        json_dumps_params={"ensure_ascii": False})


@router.get("/parcels/{parcel_id}/series", response=list[PointOut],
            summary="Chuỗi số liệu theo giờ/ngày của một thửa (từ bảng tổng hợp)")
def parcel_series(request: HttpRequest, parcel_id: int, key: str, period: str = "h",
                  start: dt.datetime | None = None, end: dt.datetime | None = None
                  ) -> list[dict[str, Any]]:
    parcel = selectors.parcel_for(request.auth, parcel_id)  # type: ignore[attr-defined]
    end = end or timezone.now()
    start = start or end - dt.timedelta(days=7)
    return selectors.parcel_series(parcel, key=key, period=period, start=start, end=end)


@router.get("/alarms", response=list[AlarmOut], summary="Cảnh báo nông nghiệp")
def alarm_list(request: HttpRequest, active: bool | None = None, limit: int = 100
               ) -> list[dict[str, Any]]:
    qs = selectors.alarms_for(request.auth)  # type: ignore[attr-defined]
    if active is not None:
        qs = qs.filter(active=active)
    return [_alarm_out(a) for a in qs[:max(1, min(limit, 500))]]


@router.post("/alarms/{alarm_id}/acknowledge", response=AlarmOut,
             summary="Xác nhận đã biết cảnh báo")
def alarm_acknowledge(request: HttpRequest, alarm_id: int) -> dict[str, Any]:
    alarm = alarms.alarm_acknowledge(acting_user=request.auth,  # type: ignore[attr-defined]
                                     alarm_id=alarm_id)
    return _alarm_out(selectors.alarms_for(request.auth).get(pk=alarm.pk))  # type: ignore[attr-defined]
