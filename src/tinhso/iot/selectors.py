"""Reads of the IoT app, already scoped to what the user may see (permissions.visible_farms)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Max, Min, QuerySet, Sum

from tinhso.core.errors import NotFound, ValidationFailed
from tinhso.iot.models import Alarm, Device, Farm, Parcel, Rollup
from tinhso.iot.permissions import visible_farms

MAX_POINTS = 2000


def parcels_for(user: Any) -> QuerySet[Parcel]:
    return Parcel.objects.filter(farm__in=visible_farms(user)).select_related("farm")


def farm_for(user: Any, farm_id: int) -> Farm:
    farm = visible_farms(user).select_related("commune").filter(pk=farm_id).first()
    if farm is None:
        raise NotFound("Không tìm thấy trang trại.", "Farm not found.", code="IOT_NOT_FOUND")
    return farm


def parcel_for(user: Any, parcel_id: int) -> Parcel:
    parcel = parcels_for(user).filter(pk=parcel_id).first()
    if parcel is None:
        raise NotFound("Không tìm thấy thửa đất.", "Parcel not found.", code="IOT_NOT_FOUND")
    return parcel


def device_for(user: Any, device_id: int) -> Device:
    device = (Device.objects.filter(parcel__farm__in=visible_farms(user), pk=device_id)
              .select_related("parcel__farm").first())
    if device is None:
        raise NotFound("Không tìm thấy thiết bị.", "Device not found.", code="IOT_NOT_FOUND")
    return device


def alarms_for(user: Any) -> QuerySet[Alarm]:
    return (Alarm.objects.filter(farm__in=visible_farms(user))
            .select_related("rule", "parcel", "farm", "commune"))


def parcel_series(parcel: Parcel, *, key: str, period: str, start: dt.datetime,
                  end: dt.datetime) -> list[dict[str, Any]]:
    """A parcel's key per hour or day from the roll-ups (all its devices together)."""
    if period not in ("h", "d"):
        raise ValidationFailed("IOT_BAD_PERIOD", "Chu kỳ phải là «h» (giờ) hoặc «d» (ngày).",
                               "The period must be 'h' (hour) or 'd' (day).")
    step = dt.timedelta(hours=1) if period == "h" else dt.timedelta(days=1)
    if end <= start or (end - start) / step > MAX_POINTS:
        raise ValidationFailed("IOT_BAD_RANGE",
                               f"Khoảng thời gian không hợp lệ hoặc quá {MAX_POINTS} điểm.",
                               f"Invalid range, or more than {MAX_POINTS} points.")
    rows = (Rollup.objects.filter(device__parcel=parcel, key=key, period=period,
                                  bucket__gte=start, bucket__lt=end)
            .values("bucket").annotate(n=Sum("count"), total=Sum("total"), low=Min("low"),
                                       high=Max("high")).order_by("bucket"))
    return [{"bucket": r["bucket"], "avg": r["total"] / r["n"], "min": r["low"],
             "max": r["high"], "count": r["n"]} for r in rows]


def ioc_summary(user: Any) -> dict[str, Any]:
    """Active alarms by commune, crop and severity; farms per commune; recent history."""
    farms = visible_farms(user)
    active = alarms_for(user).filter(active=True)
    by_commune: dict[int, dict[str, Any]] = {}
    row: Mapping[str, Any]  # one name for the rows of three differently shaped queries
    for row in farms.values("commune_id", "commune__name").annotate(n=Count("id")):
        by_commune[row["commune_id"]] = {"name": row["commune__name"], "farms": row["n"],
                                         "alarms": Counter()}
    for row in active.values("commune_id", "severity").annotate(n=Count("id")):
        entry = by_commune.get(row["commune_id"])
        if entry is not None:
            entry["alarms"][row["severity"]] += row["n"]
    by_crop: dict[str, Counter[str]] = {}
    for row in active.values("crop", "severity").annotate(n=Count("id")):
        by_crop.setdefault(row["crop"], Counter())[row["severity"]] = row["n"]
    return {"communes": by_commune, "by_crop": by_crop,
            "active": list(active.order_by("-created_at")[:50]),
            "history": list(alarms_for(user).filter(active=False)
                            .order_by("-cleared_at")[:50])}


def communes_by_id(ids: list[int]) -> dict[int, Any]:
    """The communes (public directory data) with their coordinates, for the map."""
    from tinhso.units.models import AdminUnit

    return AdminUnit.objects.in_bulk(ids)
