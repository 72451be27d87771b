"""IOC pages for smart agriculture (/ioc/nong-nghiep/): a plain SVG map of the communes with
farms and active alarms, counts by crop and severity, active alarms and history; a parcel's
charts from the hourly/daily roll-ups. Scoped like the API: IOC viewers and province admins
see the province, commune officers their communes, owners their farms."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tinhso.core.errors import DomainError
from tinhso.iot import alarms, selectors
from tinhso.iot.models import SEVERITY_ORDER, Crop, Severity

CHART_KEYS = [("soil_moisture", "Độ ẩm đất (%)"), ("air_temperature", "Nhiệt độ không khí (°C)"),
              ("air_humidity", "Độ ẩm không khí (%)"), ("rain", "Lượng mưa (mm)"),
              ("leaf_wetness", "Độ ướt lá (%)"), ("soil_temperature", "Nhiệt độ đất (°C)")]
MAP_W, MAP_H, PAD = 640, 420, 30


def _login_required(view: Any) -> Any:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            login = reverse("portal:login")
            return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if exc.status == 404:
                raise Http404(exc.message_vi) from exc
            messages.error(request, exc.message_vi)
            return redirect("ioc:iot:overview")
    wrapped.__name__ = view.__name__
    return wrapped


def _map(communes: dict[int, dict[str, Any]], units: dict[int, Any]) -> list[dict[str, Any]]:
    """Communes with coordinates as circles in an SVG box (equirectangular: a province is
    small enough), sized by farms and coloured by the worst active severity."""
    placed = [(cid, units[cid]) for cid in communes
              if cid in units and units[cid].latitude is not None]
    if not placed:
        return []
    lats = [u.latitude for _, u in placed]
    lons = [u.longitude for _, u in placed]
    lat0, lat1 = min(lats) - 0.05, max(lats) + 0.05
    lon0, lon1 = min(lons) - 0.05, max(lons) + 0.05
    out = []
    for cid, unit in placed:
        entry = communes[cid]
        worst = next((s for s in SEVERITY_ORDER if entry["alarms"].get(s)), "")
        out.append({
            "x": round(PAD + (unit.longitude - lon0) / (lon1 - lon0) * (MAP_W - 2 * PAD), 1),
            "y": round(PAD + (lat1 - unit.latitude) / (lat1 - lat0) * (MAP_H - 2 * PAD), 1),
            "r": min(6 + 2 * entry["farms"], 24), "name": entry["name"], "farms": entry["farms"],
            "alarms": sum(entry["alarms"].values()), "severity": worst})
    return out


@_login_required
def overview(request: HttpRequest) -> HttpResponse:
    data = selectors.ioc_summary(request.user)
    units = selectors.communes_by_id(list(data["communes"]))
    severities = [(s.value, s.label) for s in Severity]
    communes = sorted(data["communes"].values(), key=lambda e: (-sum(e["alarms"].values()),
                                                               e["name"]))
    for entry in communes:
        entry["cells"] = [entry["alarms"].get(s, 0) for s, _ in severities]
        entry["total"] = sum(entry["alarms"].values())
    crops = [{"label": Crop(c).label if c in Crop.values else c,
              "cells": [counts.get(s, 0) for s, _ in severities]}
             for c, counts in sorted(data["by_crop"].items())]
    return render(request, "iot/overview.html", {
        "severities": severities, "communes": communes, "crops": crops,
        "map": _map(data["communes"], units), "map_w": MAP_W, "map_h": MAP_H,
        "active": data["active"], "history": data["history"],
        "parcels": selectors.parcels_for(request.user).order_by("farm__name", "name")[:200]})


def _chart(points: list[dict[str, Any]], start: dt.datetime, end: dt.datetime
           ) -> dict[str, Any] | None:
    if not points:
        return None
    low = min(p["min"] for p in points)
    high = max(p["max"] for p in points)
    span = (high - low) or 1.0
    total = (end - start).total_seconds()

    def xy(p: dict[str, Any], value: float) -> str:
        x = 40 + (p["bucket"] - start).total_seconds() / total * 560
        return f"{x:.1f},{10 + (high - value) / span * 140:.1f}"

    return {"avg": " ".join(xy(p, p["avg"]) for p in points),
            "band": " ".join([xy(p, p["max"]) for p in points]
                             + [xy(p, p["min"]) for p in reversed(points)]),
            "low": round(low, 1), "high": round(high, 1), "n": len(points),
            "last": round(points[-1]["avg"], 1)}


@_login_required
def parcel(request: HttpRequest, parcel_id: int) -> HttpResponse:
    item = selectors.parcel_for(request.user, parcel_id)
    days = request.GET.get("ngay", "7")
    days_n = int(days) if days.isdigit() and 1 <= int(days) <= 365 else 7
    period = "h" if days_n <= 14 else "d"
    end = timezone.now()
    newest = item.devices.order_by("-last_seen_at").values_list("last_seen_at", flat=True).first()
    if newest is not None and newest < end - dt.timedelta(days=days_n):
        end = newest  # a silent parcel still shows its last period
    start = end - dt.timedelta(days=days_n)
    charts = []
    for key, label in CHART_KEYS:
        points = selectors.parcel_series(item, key=key, period=period, start=start, end=end)
        chart = _chart(points, start, end)
        if chart:
            charts.append({"key": key, "label": label, **chart})
    return render(request, "iot/parcel.html", {
        "parcel": item, "charts": charts, "days": days_n, "period": period,
        "alarms": selectors.alarms_for(request.user).filter(parcel=item)[:50],
        "start": start, "end": end})


@_login_required
@require_POST
def acknowledge(request: HttpRequest, alarm_id: int) -> HttpResponse:
    alarms.alarm_acknowledge(acting_user=request.user, alarm_id=alarm_id)
    messages.success(request, "Đã xác nhận cảnh báo.")
    return redirect(request.POST.get("next", "") if str(request.POST.get("next", "")).startswith(
        "/ioc/") else "ioc:iot:overview")
