"""Reminders of incoming documents: assigned (to the handler or the unit head), nearly due
(within TINHSO_REMINDER_DAYS working days) and overdue — once per document, kind and day —
through the notifications app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from tinhso.correspondence.models import IncomingDocument, InState

BATCH = 5000
OPEN = (InState.REGISTERED, InState.ASSIGNED, InState.PROCESSING)


def _link(doc: IncomingDocument) -> str:
    base = str(getattr(settings, "TINHSO_PUBLIC_URL", "")).rstrip("/")
    return f"{base}/van-ban/den/{doc.pk}/"


def _holders(doc: IncomingDocument) -> list[Any]:
    if doc.handler is not None:
        return [doc.handler]
    if doc.handling_unit is not None and doc.handling_unit.head is not None:
        return [doc.handling_unit.head]
    return []


def _context(doc: IncomingDocument) -> dict[str, str]:
    return {"code": doc.notation or f"số đến {doc.incoming_number}", "procedure": doc.subject,
            "agency": doc.sender_name,
            "due": doc.due_on.strftime("%d/%m/%Y") if doc.due_on else "",
            "step": doc.handling_unit.name if doc.handling_unit else ""}


def _send(doc: IncomingDocument, kind: str, key: str) -> int:
    from tinhso.notifications.services import notification_create, user_recipient

    sent = 0
    for user in _holders(doc):
        created = notification_create(event_key=key, kind=kind, recipient=user_recipient(user),
                                      context=_context(doc), link=_link(doc))
        sent += created is not None
    return sent


def notify_assigned(incoming_id: int) -> int:
    doc = (IncomingDocument.objects.select_related("handler", "handling_unit__head")
           .filter(pk=incoming_id).first())
    if doc is None or not doc.is_open:
        return 0
    holder = doc.handler_id or (doc.handling_unit.head_id if doc.handling_unit else 0)
    return _send(doc, "corr_assigned", f"corr:assigned:{doc.pk}:{holder}")


def reminders_send(*, today: dt.date | None = None) -> dict[str, int]:
    from tinhso.notifications import conf
    from tinhso.workdays.calendar import add_working_days

    now = timezone.now()
    today = today or timezone.localdate(now)
    horizon = timezone.localtime(add_working_days(now, conf.reminder_days())).date()
    counts = {"corr_near_due": 0, "corr_overdue": 0}
    docs = (IncomingDocument.objects.filter(state__in=OPEN, due_on__isnull=False,
                                            due_on__lte=horizon)
            .select_related("handler", "handling_unit__head").order_by("due_on", "pk")[:BATCH])
    for doc in docs:
        kind = "corr_overdue" if doc.due_on < today else "corr_near_due"
        counts[kind] += _send(doc, kind, f"corr:{kind}:{doc.pk}:{today.isoformat()}")
    return counts
