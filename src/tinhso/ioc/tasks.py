"""Periodic IOC job: ``scan_alerts()`` (every few minutes; also ``tinhso ioc scan-alerts``).

It announces, through the notifications app to the leaders who subscribe to each alert
(``tinhso.notifications.alerts``: inbox, e-mail and SMS as each one's preferences say):

* units whose 766 indicator fell under its threshold this month, to the unit's People's
  Committee leaders and the province admins and IOC viewers;
* petitions past their handling deadline, to the agency's leaders.

Near-due and overdue dossiers are announced by the notifications app's deadline reminders (to
the officials holding them and the subscribed leaders): one place, so nobody is told twice.

Each message names its event (e.g. ``indicator_low:<scope>:<code>:<month>``): the unique
(event, recipient) key turns a repeated scan into a no-op, so the scan may run in several job
consumers at once. It is a Huey periodic task (every ``TINHSO_ALERT_SCAN_SECONDS``, rounded up
to whole minutes), and ``tinhso ioc scan-alerts`` runs it once by hand.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tinhso.notifications.alerts import (
    alert_send,
    leaders_subscribed,
    province_watchers_subscribed,
)
from tinhso.notifications.conf import public_url
from tinhso.units.models import AgencyKind, Level, Structure

logger = logging.getLogger(__name__)

# Overdue petitions are announced when they become overdue; the scan looks this far back so a
# job that did not run for a while still catches up.
OVERDUE_LOOKBACK = dt.timedelta(days=30)
THRESHOLDS: dict[str, float] = getattr(settings, "TINHSO_IOC_THRESHOLDS", {
    "ON_TIME_RATE": 0.95,
    "ONLINE_SUBMISSION_RATE": 0.5,
    "ONLINE_PAYMENT_RATE": 0.3,
})
# Below this many dossiers behind a ratio, a low value is noise, not an alert.
MIN_DENOMINATOR: int = getattr(settings, "TINHSO_IOC_ALERT_MIN_DOSSIERS", 5)


def _indicator_alerts(now: dt.datetime) -> int:
    from tinhso.ioc.dashboard import ranking
    from tinhso.ioc.scopes import Directory, UnitRow
    from tinhso.ioc.selectors import IndexContext

    ctx = IndexContext.load()
    directory: Directory = ctx.directory
    day = timezone.localdate(now)
    start = day.replace(day=1)
    month = start.strftime("%Y-%m")
    admin = _system_reader()
    plans: list[tuple[str, str]] = []
    unit: UnitRow | None  # here every unit; below the unit of a ranking row, if found
    for unit in directory.units.values():
        if unit.level == Level.PROVINCE:
            if unit.structure == Structure.LEGACY_3:
                plans += [(f"legacy3:{unit.code}", "district"), (f"legacy3:{unit.code}", "commune")]
            else:
                plans.append((f"current2:{unit.code}", "commune"))
    committee_units: dict[int, list[int]] = defaultdict(list)
    for agency in directory.agencies.values():
        if agency.kind == AgencyKind.PEOPLES_COMMITTEE:
            committee_units[agency.unit_id].append(agency.id)
    watchers = province_watchers_subscribed("indicator_low")
    created = 0
    for scope_code, by in plans:
        result = ranking(admin, scope_code, start, day, by=by, ctx=ctx)
        low: list[tuple[dict[str, Any], str, float, dict[str, Any]]] = []
        for row in result["rows"]:
            doc = _indicators_of(row)
            for code, threshold in THRESHOLDS.items():
                indicator = doc.get(code)
                if (indicator and indicator["ratio"] is not None
                        and (indicator["denominator"] or 0) >= MIN_DENOMINATOR
                        and indicator["ratio"] < threshold):
                    low.append((row, code, threshold, indicator))
        if not low:
            continue
        units = {id(r): directory.unit_by_code(r["code"], r["scope"].split(":")[0])
                 for r, *_ in low}
        leaders = leaders_subscribed("indicator_low", {
            a for u in units.values() if u is not None for a in committee_units.get(u.id, [])})
        link = f"{public_url()}{reverse('ioc:overview')}"
        for row, code, threshold, indicator in low:
            unit = units[id(row)]
            assert unit is not None
            users = list(watchers)
            for agency_id in committee_units.get(unit.id, []):
                users += leaders.get(agency_id, [])
            created += alert_send(
                kind="indicator_low", event_key=f"indicator_low:{row['scope']}:{code}:{month}",
                users=users, link=f"{link}?scope={row['scope']}", context={
                    "unit": row["name"], "indicator": indicator["name_vi"],
                    "indicator_en": code.replace("_", " ").lower(),
                    "ratio": f"{indicator['ratio']:.1%}", "threshold": f"{threshold:.0%}",
                    "month": f"{start:%m/%Y}", "numerator": indicator["numerator"],
                    "denominator": indicator["denominator"]})
    return created


def _indicators_of(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return row.get("indicators", {})


def _system_reader() -> Any:
    """A reader that sees everything (the job acts for the province)."""

    class _System:
        is_authenticated = True
        is_superuser = True
        is_province_admin = True

    return _System()


def _petition_alerts(now: dt.datetime) -> int:
    from tinhso.feedback.models import Feedback, FeedbackStatus

    overdue = list(Feedback.objects.filter(
        status__in=[FeedbackStatus.NEW, FeedbackStatus.PROCESSING], handle_due_at__lt=now,
        handle_due_at__gte=now - OVERDUE_LOOKBACK).select_related("agency"))
    leaders = leaders_subscribed("petition_overdue", {f.agency_id for f in overdue})
    tz = timezone.get_current_timezone()
    created = 0
    for f in overdue:
        created += alert_send(
            kind="petition_overdue",
            event_key=f"petition_overdue:{f.pk}:{f.handle_due_at.isoformat()}",
            users=leaders.get(f.agency_id, []),
            link=f"{public_url()}{reverse('feedback:detail', args=[f.code])}",
            context={"code": f.code, "title": f.title, "agency": f.agency.name,
                     "due": f.handle_due_at.astimezone(tz).strftime("%H:%M %d/%m/%Y")})
    return created


def scan_alerts(now: dt.datetime | None = None) -> dict[str, int]:
    """Create the notifications due now; returns how many of each kind were created."""
    now = now or timezone.now()
    counts = {"indicator_low": _indicator_alerts(now)}
    counts["petition_overdue"] = _petition_alerts(now)
    counts["total"] = sum(counts.values())
    return counts


def scan_alerts_logged() -> dict[str, int]:
    report = scan_alerts()
    logger.info("IOC alert scan: %s", report)
    return report


def _alert_scan_crontab() -> Any:
    from huey import crontab

    minutes = max(1, -(-settings.TINHSO_ALERT_SCAN_SECONDS // 60))
    return crontab(minute=f"*/{minutes}" if minutes < 60 else "0")


if settings.TINHSO_ALERT_SCAN_SECONDS > 0:
    from huey.contrib.djhuey import db_periodic_task

    # Idempotent (notifications are unique per event): two consumers may both run it.
    scan_alerts_periodic = db_periodic_task(_alert_scan_crontab())(scan_alerts_logged)
