"""Agronomic alarms: rules (model rows, editable in the admin) checked against the hourly
roll-ups of a parcel's devices, and device-offline checks.

A threshold rule holds when all its conditions hold over the last ``duration_hours`` hours of
the parcel's data (ending at its newest hour, so a backfilled season is judged on its own
time). A window with too little data (< 80 % of its hours) decides nothing: the alarm stays as
it is. While a rule holds, its one active alarm is refreshed, never duplicated (a partial
unique constraint backs this up under races); when it stops holding, the alarm is cleared.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone

from tinhso.core.errors import Conflict, NotFound
from tinhso.iot.models import (
    AgriOfficer,
    Alarm,
    AlarmCondition,
    AlarmNotice,
    AlarmRule,
    Device,
    Parcel,
    Rollup,
)
from tinhso.iot.permissions import can_manage_commune

COVERAGE = 0.8


def notify_alarm(alarm: Alarm, event: str) -> list[Any]:
    """Record who must be told that ``alarm`` was raised or cleared: the farm's owner and the
    commune's agricultural officers. The notifications app delivers these (wired at merge)."""
    recipients: list[tuple[Any, str]] = []
    owner = alarm.farm.owner
    if owner is not None and owner.is_active:
        recipients.append((owner, "owner"))
    for officer in AgriOfficer.objects.filter(commune_id=alarm.commune_id,
                                              user__is_active=True).select_related("user"):
        if all(officer.user_id != user.pk for user, _ in recipients):
            recipients.append((officer.user, "officer"))
    AlarmNotice.objects.bulk_create(
        [AlarmNotice(alarm=alarm, event=event, recipient=user, reason=reason)
         for user, reason in recipients], ignore_conflicts=True)
    _deliver(alarm, event, [user for user, _ in recipients])
    return [user for user, _ in recipients]


def _deliver(alarm: Alarm, event: str, users: list[Any]) -> None:
    """Hand the notices to the notifications app (in-app, e-mail, SMS by each user's
    preferences), once per alarm, event and recipient."""
    from django.conf import settings

    from tinhso.notifications.services import notification_create, user_recipient

    base = str(getattr(settings, "TINHSO_PUBLIC_URL", "")).rstrip("/")
    context = {"alarm": alarm.rule.name, "severity": alarm.get_severity_display(),
               "farm": alarm.farm.name, "parcel": alarm.parcel.name,
               "crop": alarm.parcel.get_crop_display(), "advice": alarm.rule.advice}
    for user in users:
        notification_create(event_key=f"iot-alarm:{alarm.pk}:{event}",
                            kind=f"farm_alarm_{event}", recipient=user_recipient(user),
                            context=context,
                            link=f"{base}/ioc/nong-nghiep/thua/{alarm.parcel_id}/")


def _window_value(device_ids: list[int], cond: AlarmCondition, start: dt.datetime,
                  end: dt.datetime) -> tuple[float | None, int]:
    rows = Rollup.objects.filter(device_id__in=device_ids, key=cond.key, period="h",
                                 bucket__gte=start, bucket__lt=end)
    agg = rows.aggregate(n=Sum("count"), total=Sum("total"), low=Min("low"), high=Max("high"))
    hours = rows.values("bucket").distinct().count()
    if not agg["n"]:
        return None, 0
    value = {"avg": agg["total"] / agg["n"], "sum": agg["total"], "min": agg["low"],
             "max": agg["high"]}[cond.aggregate]
    return value, hours


def _holds(rule: AlarmRule, device_ids: list[int], end: dt.datetime
           ) -> tuple[bool | None, dict[str, float]]:
    """True/False, or None when the window has too little data to decide."""
    start = end - dt.timedelta(hours=rule.duration_hours)
    needed = max(1, int(rule.duration_hours * COVERAGE))
    seen: dict[str, float] = {}
    verdict: bool | None = True
    for cond in rule.conditions.all():
        value, hours = _window_value(device_ids, cond, start, end)
        if value is None or hours < needed:
            verdict = None if verdict is not False else False
            continue
        seen[f"{cond.aggregate}({cond.key})"] = round(value, 2)
        ok = value >= cond.threshold if cond.op == "ge" else value <= cond.threshold
        if not ok:
            verdict = False
    return verdict, seen


def _raise(rule: AlarmRule, parcel: Parcel, device: Device | None, at: dt.datetime,
           details: dict[str, Any]) -> tuple[Alarm, bool]:
    active = Alarm.objects.filter(rule=rule, parcel=parcel, device=device, active=True).first()
    if active is not None:
        Alarm.objects.filter(pk=active.pk).update(last_seen_at=max(active.last_seen_at, at),
                                                  details=details)
        return active, False
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                rule=rule, parcel=parcel, device=device, farm=parcel.farm,
                commune_id=parcel.farm.commune_id, crop=parcel.crop, severity=rule.severity,
                created_at=at, last_seen_at=at, details=details)
            notify_alarm(alarm, "raised")
            return alarm, True
    except IntegrityError:  # another evaluator raised it first: deduplicated
        return Alarm.objects.get(rule=rule, parcel=parcel, device=device, active=True), False


def _clear(rule: AlarmRule, parcel: Parcel, device: Device | None, at: dt.datetime) -> int:
    cleared = 0
    for alarm in Alarm.objects.select_for_update().filter(rule=rule, parcel=parcel,
                                                          device=device, active=True):
        alarm.active = False
        alarm.cleared_at = at
        alarm.save(update_fields=["active", "cleared_at"])
        notify_alarm(alarm, "cleared")
        cleared += 1
    return cleared


def evaluate_parcel(parcel: Parcel) -> dict[str, int]:
    """Check the parcel's threshold rules on its newest data; raise/refresh/clear alarms."""
    stats = {"raised": 0, "cleared": 0}
    device_ids = list(parcel.devices.filter(is_active=True).values_list("pk", flat=True))
    newest = (Rollup.objects.filter(device_id__in=device_ids, period="h")
              .aggregate(m=Max("bucket"))["m"])
    if newest is None:
        return stats
    end = newest + dt.timedelta(hours=1)
    rules = (AlarmRule.objects.filter(enabled=True, kind=AlarmRule.Kind.THRESHOLD)
             .filter(Q(crop="") | Q(crop=parcel.crop)).prefetch_related("conditions"))
    for rule in rules:
        if not rule.applies_to(parcel.crop, parcel.stage):
            continue
        verdict, seen = _holds(rule, device_ids, end)
        with transaction.atomic():
            if verdict is True:
                stats["raised"] += _raise(rule, parcel, None, newest,
                                          {"window_end": end.isoformat(), **seen})[1]
            elif verdict is False:
                stats["cleared"] += _clear(rule, parcel, None, newest)
    return stats


def evaluate_offline(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    stats = {"raised": 0, "cleared": 0}
    rules = list(AlarmRule.objects.filter(enabled=True, kind=AlarmRule.Kind.OFFLINE))
    devices = Device.objects.filter(is_active=True).select_related("parcel__farm")
    for device in devices.iterator():
        parcel = device.parcel
        for rule in rules:
            if not rule.applies_to(parcel.crop, parcel.stage):
                continue
            since = device.last_seen_at or device.created_at
            silent = since < now - dt.timedelta(hours=rule.duration_hours)
            with transaction.atomic():
                if silent:
                    stats["raised"] += _raise(rule, parcel, device, now,
                                              {"last_seen": since.isoformat()})[1]
                else:
                    stats["cleared"] += _clear(rule, parcel, device, now)
    return stats


def alarm_acknowledge(*, acting_user: Any, alarm_id: int) -> Alarm:
    alarm = Alarm.objects.select_related("farm").filter(pk=alarm_id).first()
    if alarm is None or not (
            (acting_user is not None and alarm.farm.owner_id == getattr(acting_user, "pk", -1))
            or (acting_user is not None and can_manage_commune(acting_user, alarm.commune_id))):
        raise NotFound("Không tìm thấy cảnh báo.", "Alarm not found.", code="IOT_ALARM_NOT_FOUND")
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update().get(pk=alarm.pk)
        if alarm.acknowledged_at is not None:
            raise Conflict("IOT_ALARM_ACKNOWLEDGED", "Cảnh báo đã được xác nhận.",
                           "The alarm was already acknowledged.")
        alarm.acknowledged_at = timezone.now()
        alarm.acknowledged_by = acting_user
        alarm.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return alarm
