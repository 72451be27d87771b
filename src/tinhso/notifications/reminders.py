"""Deadline reminders: dossiers due within ``TINHSO_REMINDER_DAYS`` working days, and overdue
ones, told to whoever holds them and to the agency's leaders who subscribe to that alert
(``notifications/alerts.py``) — once per dossier, kind, recipient and local day.

This is the only place that announces near-due and overdue dossiers (the IOC's alert scan
announces indicators and petitions only), so an official never gets the same reminder twice."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from tinhso.notifications import conf
from tinhso.notifications.alerts import leaders_subscribed
from tinhso.notifications.handlers import _context, _official_link, _queue_holders
from tinhso.notifications.services import notification_create, user_recipient

# Statuses in which the legal clock runs (not waiting for the applicant, not finished).
RUNNING = (2, 4, 6)
BATCH = 5000
# Dossiers overdue for longer than this are the IOC's and the leaders' matter, not a daily
# reminder (and old imported backlogs must not crowd out the fresh ones).
OVERDUE_LOOKBACK = dt.timedelta(days=30)


def reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    from tinhso.dossiers.models import Dossier
    from tinhso.workdays.calendar import add_working_days

    now = now or timezone.now()
    horizon = add_working_days(now, conf.reminder_days())
    day = timezone.localdate(now).isoformat()
    counts = {"near_due": 0, "overdue": 0}
    dossiers = list(Dossier.objects.filter(status__in=RUNNING, due_at__isnull=False)
                    .filter(Q(due_at__lte=horizon, due_at__gte=now - OVERDUE_LOOKBACK))
                    .select_related("procedure", "agency", "assignee")
                    .order_by("due_at", "pk")[:BATCH])
    agencies = {d.agency_id for d in dossiers}
    leaders = {kind: leaders_subscribed(kind, agencies) for kind in ("near_due", "overdue")}
    for dossier in dossiers:
        due_at = dossier.due_at
        assert due_at is not None  # filtered above
        kind = "overdue" if due_at < now else "near_due"
        payload = {"at": now.isoformat(), "due_at": due_at.isoformat()}
        holders = {u.pk: u for u in _queue_holders(dossier, "reminder", payload)}
        # Those holding the dossier are reminded every day; a leader is told once per promised
        # moment (an apology's new appointment is a new event).
        keyed = [(u, f"reminder:{kind}:{dossier.pk}:{day}") for u in holders.values()]
        keyed += [(u, f"alert:{kind}:{dossier.pk}:{due_at.isoformat()}")
                  for u in leaders[kind].get(dossier.agency_id, []) if u.pk not in holders]
        for user, event_key in keyed:
            recipient = user_recipient(user)
            created = notification_create(
                event_key=event_key, kind=kind, recipient=recipient,
                context=_context(dossier, payload, kind, recipient.language),
                link=_official_link(dossier), dossier_id=dossier.pk)
            counts[kind] += created is not None
    return counts
