"""Dossier events → messages: who is told what at each step.

``handle_event(event)`` is the "notifications" consumer of the outbox (see
/work contract: any object with event_id, type, occurred_at, aggregate_type, aggregate_id,
agency_id, actor_id, payload). It reads the dossier as it is now for contacts and names, and
keys every message on the DossierEvent id carried in the payload, so the outbox path and the
direct path (``notify_for_dossier_event``) can never announce one step twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tinhso.notifications import conf
from tinhso.notifications.services import Recipient, notification_create, user_recipient

# DossierEvent.action → outbox event type (the contract's mapping).
ACTION_TYPES: dict[str, str] = {
    "submit": "dossier.submitted", "create_direct": "dossier.received",
    "receive": "dossier.received", "refuse": "dossier.refused",
    "request_supplement": "dossier.supplement_requested", "supplement": "dossier.supplemented",
    "assign": "dossier.assigned", "forward": "dossier.forwarded",
    "return_to_step": "dossier.returned_to_step", "request_payment": "dossier.payment_requested",
    "pay": "dossier.paid", "approve": "dossier.approved",
    "return_result": "dossier.result_returned", "withdraw": "dossier.withdrawn",
    "stop": "dossier.stopped", "apologize": "dossier.apologized", "rate": "dossier.rated",
    "import": "dossier.imported",
}

# What the applicant is told, per event type.
APPLICANT_KINDS: dict[str, str] = {
    "dossier.received": "received",
    "dossier.supplement_requested": "supplement_requested",
    "dossier.payment_requested": "payment_requested",
    "dossier.approved": "result_ready",
    "dossier.apologized": "apologized",
    "dossier.refused": "refused",
    "dossier.withdrawn": "withdrawn",
    "dossier.stopped": "stopped",
}
# What the officials whose queue the dossier enters are told.
QUEUE_KINDS: dict[str, str] = {
    "dossier.submitted": "new_online",
    "dossier.received": "assigned",
    "dossier.assigned": "assigned",
    "dossier.forwarded": "assigned",
    "dossier.returned_to_step": "assigned",
    "dossier.supplemented": "back_in_queue",
    "dossier.paid": "back_in_queue",
}
TYPES: set[str] = set(APPLICANT_KINDS) | set(QUEUE_KINDS)


@dataclass(frozen=True)
class DossierEventMessage:
    """The contract's event shape, built from a DossierEvent (the direct path)."""

    event_id: str
    type: str
    occurred_at: dt.datetime
    aggregate_type: str
    aggregate_id: str
    agency_id: int | None
    actor_id: int | None
    payload: dict[str, Any]


def event_from_dossier_event(dossier_event: Any) -> DossierEventMessage:
    dossier = dossier_event.dossier
    payload = {
        "dossier_id": dossier.pk, "code": dossier.code, "agency_id": dossier.agency_id,
        "dossier_event_id": dossier_event.pk, "action": dossier_event.action,
        "from_status": dossier_event.from_status, "to_status": dossier_event.to_status,
        "at": dossier_event.at.isoformat(),
        "due_at": dossier_event.due_at.isoformat() if dossier_event.due_at else None,
        "note": dossier_event.note, "actor_id": dossier_event.actor_id,
        "data": dossier_event.data or {}, "step": dossier.current_step,
    }
    return DossierEventMessage(
        event_id=f"dossier-event-{dossier_event.pk}",
        type=ACTION_TYPES.get(dossier_event.action, ""), occurred_at=dossier_event.at,
        aggregate_type="dossier", aggregate_id=str(dossier.pk), agency_id=dossier.agency_id,
        actor_id=dossier_event.actor_id, payload=payload)


def notify_for_dossier_event(dossier_event: Any) -> int:
    """The direct path: announce one DossierEvent; returns how many messages were written."""
    return handle_event(event_from_dossier_event(dossier_event))


def handle_event(event: Any) -> int:
    """Announce one event to everyone concerned, at most once each (idempotent)."""
    if not conf.enabled() or event.type not in TYPES:
        return 0
    from tinhso.dossiers.models import Dossier

    payload = event.payload or {}
    dossier = (Dossier.objects.select_related("procedure", "agency", "applicant", "assignee")
               .filter(pk=payload.get("dossier_id") or 0).first())
    if dossier is None:
        return 0
    key = f"dossier-event:{payload.get('dossier_event_id') or event.event_id}"
    written = 0
    kind = APPLICANT_KINDS.get(event.type)
    if kind:
        recipient = _applicant(dossier)
        context = _context(dossier, payload, kind, recipient.language)
        written += _create(key, kind, recipient, context, _applicant_link(dossier), dossier)
    kind = QUEUE_KINDS.get(event.type)
    if kind:
        if kind == "assigned" and not _personal(dossier, event.type, payload):
            kind = "new_in_queue"  # everyone holding the step's role, nobody assigned yet
        for user in _queue_holders(dossier, event.type, payload):
            if user.pk == event.actor_id:
                continue  # nobody is told about their own act
            recipient = user_recipient(user)
            context = _context(dossier, payload, kind, recipient.language)
            written += _create(key, kind, recipient, context, _official_link(dossier), dossier,
                               sms=False)
    return written


def _create(key: str, kind: str, recipient: Recipient, context: dict[str, Any], link: str,
            dossier: Any, *, sms: bool = True) -> int:
    created = notification_create(event_key=key, kind=kind, recipient=recipient,
                                  context=context, link=link, dossier_id=dossier.pk, sms=sms)
    return 1 if created is not None else 0


def applicant_recipient(dossier: Any) -> Recipient:
    """The dossier's applicant as a recipient (for other apps: receipts, …)."""
    return _applicant(dossier)


def _applicant(dossier: Any) -> Recipient:
    if dossier.applicant_id is not None:
        return user_recipient(dossier.applicant, email=dossier.applicant_email,
                              phone=dossier.applicant_phone)
    # Received at the counter from someone without an account: the contacts on the dossier.
    return Recipient(key=f"applicant:{dossier.pk}", email=dossier.applicant_email,
                     phone=dossier.applicant_phone)


def _personal(dossier: Any, event_type: str, payload: dict[str, Any]) -> bool:
    """Whether the dossier goes to one named official (else to a role's queue)."""
    data = payload.get("data") or {}
    return (event_type == "dossier.assigned" or bool(data.get("assignee"))
            or dossier.assignee_id is not None)


def _queue_holders(dossier: Any, event_type: str, payload: dict[str, Any]) -> list[Any]:
    from tinhso.accounts.models import User

    data = payload.get("data") or {}
    if event_type == "dossier.assigned" or (event_type == "dossier.forwarded"
                                            and data.get("assignee")):
        return list(User.objects.filter(pk=data.get("assignee") or 0, is_active=True))
    if dossier.assignee_id is not None:
        return [dossier.assignee] if dossier.assignee.is_active else []
    role = "receiver" if event_type == "dossier.submitted" else dossier.current_role
    if not role:
        return []
    return list(User.objects.filter(agency_id=dossier.agency_id, is_active=True,
                                    role_assignments__role=role).distinct().order_by("pk"))


def _url(path: str) -> str:
    return f"{conf.public_url()}{path}"


def _applicant_link(dossier: Any) -> str:
    if dossier.applicant_id is not None:
        return _url(reverse("portal:my_dossier", kwargs={"code": dossier.code}))
    return _url(reverse("portal:track"))


def _official_link(dossier: Any) -> str:
    return _url(reverse("backoffice:dossier", kwargs={"code": dossier.code}))


def _when(value: Any, *, date_only: bool = False) -> str:
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return local.strftime("%d/%m/%Y") if date_only else local.strftime("%H:%M %d/%m/%Y")


def vnd(amount: int, *, ascii_only: bool = False) -> str:
    return f"{amount:,}".replace(",", ".") + (" dong" if ascii_only else " đồng")


def _context(dossier: Any, payload: dict[str, Any], kind: str, language: str
             ) -> dict[str, Any]:
    from tinhso.notifications import texts

    data = payload.get("data") or {}
    amount = int(data.get("amount") or dossier.fee_amount or 0)
    context: dict[str, Any] = {
        "code": dossier.code, "procedure": dossier.procedure.name, "agency": dossier.agency.name,
        "due": _when(dossier.due_at), "reason": payload.get("note") or "—",
        "amount": vnd(amount), "amount_ascii": vnd(amount, ascii_only=True),
        "new_due": _when(payload.get("due_at") or dossier.due_at),
        "short_link": _url(reverse("portal:track")),
        "step": _step_name(dossier),
    }
    if kind == "supplement_requested":
        context["deadline"] = _supplement_deadline(payload)
    if kind == "payment_requested" and data.get("payment"):
        context.update(_transfer(int(data["payment"])))
    if kind == "result_ready":
        how = texts.HOW_ELECTRONIC if dossier.result_electronic else texts.HOW_COUNTER
        context["how"] = (how.get(language) or how["vi"]).format(agency=dossier.agency.name)
    return context


def _transfer(payment_id: int) -> dict[str, str]:
    """The bank-transfer details a VietQR code carries, written out for e-mail and SMS."""
    from tinhso.payments import conf as payments_conf
    from tinhso.payments.vietqr import transfer_note

    bank_bin, account, name = payments_conf.vietqr_payee()
    return {"bank_bin": bank_bin, "account": account, "account_name": name,
            "transfer_note": transfer_note(payment_id)}


def _supplement_deadline(payload: dict[str, Any]) -> str:
    from tinhso.workdays.calendar import add_working_days

    at = parse_datetime(str(payload.get("at") or "")) or timezone.now()
    days = conf.supplement_days()
    if days <= 0:
        return "—"
    return _when(add_working_days(at, days), date_only=True)


def _step_name(dossier: Any) -> str:
    step = dossier.steps.filter(index=dossier.current_step).order_by("-started_at").first()
    return step.name if step else "—"
