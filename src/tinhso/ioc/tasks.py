"""Periodic IOC job: ``scan_alerts()`` (every few minutes; also ``tinhso ioc scan-alerts``).

It creates notifications (in the app and by e-mail) for:

* dossiers due within one working day (near due) and dossiers past their promised date
  (overdue), to the assignee and the agency's leaders;
* units whose 766 indicator fell under its threshold this month, to the unit's People's
  Committee leaders and the province admins;
* petitions past their handling deadline, to the agency's leaders.

Each notification names its event in ``key`` (e.g. ``overdue:<dossier>:<due moment>``): the
unique constraint turns a repeated scan into a no-op, and an apology's new appointment is a new
event that is announced again. So the scan may run in several job consumers at once: it is a
Huey periodic task (every ``TINHSO_ALERT_SCAN_SECONDS``, rounded up to whole minutes), and
``tinhso ioc scan-alerts`` runs it once by hand.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from tinhso.accounts.models import Role, User
from tinhso.dossiers.models import Dossier, Status
from tinhso.ioc.models import Notification, NotificationKind
from tinhso.ioc.notifications import notify
from tinhso.units.models import AgencyKind, Level, Structure
from tinhso.workdays.calendar import add_working_days

logger = logging.getLogger(__name__)

# Statuses in which the clock runs (not waiting for the applicant, not finished).
RUNNING = [Status.RECEIVED, Status.PROCESSING, Status.PAYMENT_REQUESTED]
# Overdue dossiers are announced when they become overdue; the scan looks this far back so a
# job that did not run for a while still catches up.
OVERDUE_LOOKBACK = dt.timedelta(days=30)
THRESHOLDS: dict[str, float] = getattr(settings, "TINHSO_IOC_THRESHOLDS", {
    "ON_TIME_RATE": 0.95,
    "ONLINE_SUBMISSION_RATE": 0.5,
    "ONLINE_PAYMENT_RATE": 0.3,
})
# Below this many dossiers behind a ratio, a low value is noise, not an alert.
MIN_DENOMINATOR: int = getattr(settings, "TINHSO_IOC_ALERT_MIN_DOSSIERS", 5)


def _leaders_by_agency(agency_ids: set[int]) -> dict[int, list[User]]:
    out: dict[int, list[User]] = defaultdict(list)
    for user in (User.objects.filter(agency_id__in=agency_ids, is_active=True,
                                     role_assignments__role=Role.LEADER).distinct()):
        out[user.agency_id].append(user)
    return out


def _province_admins() -> list[User]:
    return list(User.objects.filter(Q(role_assignments__role=Role.PROVINCE_ADMIN),
                                    is_active=True).distinct())


def _already(kind: str, keys: list[str]) -> set[str]:
    return set(Notification.objects.filter(kind=kind, key__in=keys)
               .values_list("key", flat=True).distinct())


def _dossier_alerts(now: dt.datetime) -> dict[str, int]:
    horizon = add_working_days(now, 1)
    counts = {"near_due": 0, "overdue": 0}
    candidates = list(
        Dossier.objects.filter(status__in=RUNNING, due_at__isnull=False, paused_at__isnull=True)
        .filter(Q(due_at__gte=now, due_at__lte=horizon)
                | Q(due_at__lt=now, due_at__gte=now - OVERDUE_LOOKBACK))
        .select_related("agency", "assignee")
        .only("id", "code", "due_at", "agency__id", "agency__name", "assignee__id",
              "assignee__email", "assignee__username", "assignee__full_name", "status")
    )
    keyed = []
    for d in candidates:
        kind = NotificationKind.OVERDUE if d.due_at < now else NotificationKind.NEAR_DUE
        keyed.append((kind, f"{kind}:{d.pk}:{d.due_at.isoformat()}", d))
    done = (_already(NotificationKind.OVERDUE, [k for kind, k, _ in keyed
                                                 if kind == NotificationKind.OVERDUE])
            | _already(NotificationKind.NEAR_DUE, [k for kind, k, _ in keyed
                                                   if kind == NotificationKind.NEAR_DUE]))
    fresh = [(kind, key, d) for kind, key, d in keyed if key not in done]
    leaders = _leaders_by_agency({d.agency_id for _, _, d in fresh})
    tz = timezone.get_current_timezone()
    for kind, key, d in fresh:
        recipients = {u.pk: u for u in leaders.get(d.agency_id, [])}
        if d.assignee is not None:
            recipients[d.assignee.pk] = d.assignee
        due = d.due_at.astimezone(tz).strftime("%H:%M %d/%m/%Y")
        if kind == NotificationKind.OVERDUE:
            title = f"Hồ sơ {d.code} đã quá hạn (hẹn trả {due})"
            body = (f"Hồ sơ {d.code} của {d.agency.name} đã quá hạn giải quyết. Cần xin lỗi và "
                    "hẹn lại ngày trả kết quả (mẫu 04) trước khi xử lý tiếp.")
        else:
            title = f"Hồ sơ {d.code} sắp đến hạn ({due})"
            body = f"Hồ sơ {d.code} của {d.agency.name} đến hạn trả kết quả trong 1 ngày làm việc."
        made = notify(recipients=recipients.values(), kind=kind, key=key, title=title,
                      body=body, url=reverse("ioc:dossier", args=[d.code]), dossier_id=d.pk,
                      agency_id=d.agency_id)
        counts["near_due" if kind == NotificationKind.NEAR_DUE else "overdue"] += len(made)
    return counts


def _indicator_alerts(now: dt.datetime) -> int:
    from tinhso.ioc.dashboard import ranking
    from tinhso.ioc.scopes import Directory
    from tinhso.ioc.selectors import IndexContext

    ctx = IndexContext.load()
    directory: Directory = ctx.directory
    day = timezone.localdate(now)
    start = day.replace(day=1)
    month = start.strftime("%Y-%m")
    admin = _system_reader()
    plans: list[tuple[str, str]] = []
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
    admins = _province_admins()
    created = 0
    for scope_code, by in plans:
        result = ranking(admin, scope_code, start, day, by=by, ctx=ctx)
        unit_rows = result["rows"]
        low: list[tuple[dict[str, Any], str, float, dict[str, Any]]] = []
        for row in unit_rows:
            doc = _indicators_of(row)
            for code, threshold in THRESHOLDS.items():
                indicator = doc.get(code)
                if (indicator and indicator["ratio"] is not None
                        and (indicator["denominator"] or 0) >= MIN_DENOMINATOR
                        and indicator["ratio"] < threshold):
                    low.append((row, code, threshold, indicator))
        if not low:
            continue
        unit_ids = {directory.unit_by_code(r["code"], r["scope"].split(":")[0]).id  # type: ignore[union-attr]
                    for r, *_ in low}
        leaders = _leaders_by_agency({a for u in unit_ids for a in committee_units.get(u, [])})
        for row, code, threshold, indicator in low:
            unit = directory.unit_by_code(row["code"], row["scope"].split(":")[0])
            assert unit is not None
            recipients = {u.pk: u for u in admins}
            for agency_id in committee_units.get(unit.id, []):
                recipients.update({u.pk: u for u in leaders.get(agency_id, [])})
            title = (f"{row['name']}: {indicator['name_vi']} {indicator['ratio']:.1%} "
                     f"dưới ngưỡng {threshold:.0%} (tháng {start:%m/%Y})")
            made = notify(
                recipients=recipients.values(), kind=NotificationKind.INDICATOR_LOW,
                key=f"indicator_low:{row['scope']}:{code}:{month}", title=title,
                body=(f"{indicator['numerator']}/{indicator['denominator']} hồ sơ. Xem chi tiết "
                      "trên bảng điều hành IOC."),
                url=f"{reverse('ioc:overview')}?scope={row['scope']}",
            )
            created += len(made)
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
    keyed = [(f"petition_overdue:{f.pk}:{f.handle_due_at.isoformat()}", f) for f in overdue]
    done = _already(NotificationKind.PETITION_OVERDUE, [k for k, _ in keyed])
    fresh = [(k, f) for k, f in keyed if k not in done]
    leaders = _leaders_by_agency({f.agency_id for _, f in fresh})
    created = 0
    for key, f in fresh:
        made = notify(recipients=leaders.get(f.agency_id, []),
                      kind=NotificationKind.PETITION_OVERDUE, key=key,
                      title=f"Phản ánh, kiến nghị {f.code} đã quá hạn xử lý",
                      body=f"{f.title} — {f.agency.name}",
                      url=reverse("feedback:detail", args=[f.code]), agency_id=f.agency_id)
        created += len(made)
    return created


def scan_alerts(now: dt.datetime | None = None) -> dict[str, int]:
    """Create the notifications due now; returns how many of each kind were created."""
    now = now or timezone.now()
    counts = _dossier_alerts(now)
    counts["indicator_low"] = _indicator_alerts(now)
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
