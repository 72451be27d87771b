"""Build dossiers and their event logs directly (no dossier services), following the lifecycle
contract (/tmp/dossier-contract.md): each event updates the dossier row the way the services do,
writes a DossierEvent and applies it to the facts, as the "ioc" outbox consumer does."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tinhso.core import hooks
from tinhso.dossiers.models import Action, Channel, Dossier, DossierEvent, Status
from tinhso.ioc import facts
from tinhso.workdays.calendar import add_office_seconds, add_working_days, office_seconds_between

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_seq = itertools.count(1)


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


# Status an action leads to (None: depends on the dossier, handled below).
TARGET: dict[str, int | None] = {
    Action.SUBMIT: Status.NEW,
    Action.CREATE_DIRECT: Status.RECEIVED,
    Action.RECEIVE: Status.RECEIVED,
    Action.REFUSE: Status.REFUSED,
    Action.REQUEST_SUPPLEMENT: Status.SUPPLEMENT_REQUESTED,
    Action.SUPPLEMENT: None,
    Action.ASSIGN: Status.PROCESSING,
    Action.FORWARD: Status.PROCESSING,
    Action.RETURN_TO_STEP: Status.PROCESSING,
    Action.REQUEST_PAYMENT: Status.PAYMENT_REQUESTED,
    Action.PAY: Status.PROCESSING,
    Action.APPROVE: Status.PROCESSED,
    Action.RETURN_RESULT: Status.RETURNED,
    Action.WITHDRAW: Status.WITHDRAWN,
    Action.STOP: Status.STOPPED,
    Action.APOLOGIZE: None,
    Action.RATE: None,
}
END = {Status.REFUSED, Status.STOPPED, Status.PROCESSED, Status.RETURNED}


def new_dossier(*, procedure: Any, agency: Any, channel: int = Channel.ONLINE,
                unit: Any = None, **fields: Any) -> Dossier:
    n = next(_seq)
    fields.setdefault("status", Status.NEW)
    fields.setdefault("applicant_kind", "citizen")
    fields.setdefault("applicant_id_number", "070090001234")
    fields.setdefault("applicant_name", "Nguyễn Văn An")
    return Dossier.objects.create(
        code=f"{agency.code}-T-{n:06d}", procedure=procedure, agency=agency,
        unit=unit or agency.unit, channel=channel, **fields,
    )


def apply_event(dossier: Dossier, when: dt.datetime, action: str, to_status: int | None = None,
                data: dict[str, Any] | None = None, *, due_days: Decimal | None = None,
                original_due_at: dt.datetime | None = None) -> DossierEvent:
    """One event: the row changes as the services would, then the event and the hooks."""
    data = dict(data or {})
    prev = dossier.status
    target = to_status if to_status is not None else TARGET.get(action)
    if action in (Action.RECEIVE, Action.CREATE_DIRECT):
        dossier.received_at = when
        if original_due_at is None:
            days = due_days if due_days is not None else dossier.procedure.processing_days
            original_due_at = add_working_days(when, days, agency=dossier.agency)
        dossier.original_due_at = dossier.due_at = original_due_at
        if dossier.submitted_at is None:
            dossier.submitted_at = when
    elif action == Action.SUBMIT:
        dossier.submitted_at = when
    elif action == Action.REQUEST_SUPPLEMENT:
        dossier.supplement_count += 1
        data.setdefault("resume_status", prev)
        if dossier.received_at is not None and dossier.original_due_at is not None:
            dossier.paused_at = when
            dossier.remaining_office_seconds = office_seconds_between(
                when, dossier.original_due_at, agency=dossier.agency)
    elif action == Action.SUPPLEMENT:
        if target is None:
            request = (DossierEvent.objects.filter(dossier=dossier,
                                                   action=Action.REQUEST_SUPPLEMENT)
                       .order_by("-at", "-id").first())
            target = request.from_status if request is not None else Status.PROCESSING
        if dossier.paused_at is not None:
            remaining = dossier.remaining_office_seconds or 0
            new_due = add_office_seconds(when, remaining, agency=dossier.agency)
            shift = new_due - (dossier.original_due_at or new_due)
            dossier.original_due_at = new_due
            dossier.due_at = (dossier.due_at or new_due) + shift
            dossier.paused_at = None
            dossier.remaining_office_seconds = None
    elif action == Action.REQUEST_PAYMENT:
        if dossier.procedure.payment_pauses_clock and dossier.original_due_at is not None \
                and dossier.paused_at is None:
            # As payments.services: the clock pauses while the applicant pays (land).
            data["pauses_clock"] = True
            dossier.paused_at = when
            dossier.remaining_office_seconds = office_seconds_between(
                when, dossier.original_due_at, agency=dossier.agency)
    elif action == Action.PAY:
        dossier.paid_online = bool(data.get("online", True))
        if dossier.paused_at is not None:
            remaining = dossier.remaining_office_seconds or 0
            new_due = add_office_seconds(when, remaining, agency=dossier.agency) \
                if remaining else dossier.original_due_at
            shift = new_due - (dossier.original_due_at or new_due)
            dossier.original_due_at = new_due
            dossier.due_at = (dossier.due_at or new_due) + shift
            dossier.paused_at = None
            dossier.remaining_office_seconds = None
    elif action == Action.APPROVE:
        dossier.result_electronic = bool(data.get("electronic", dossier.result_electronic))
    elif action == Action.RETURN_RESULT:
        dossier.returned_at = when
    elif action == Action.APOLOGIZE:
        dossier.due_at = data["new_due_at"]
        dossier.apology_count += 1
        data["new_due_at"] = data["new_due_at"].isoformat()
    elif action == Action.RATE:
        dossier.rating = data["rating"]
    if target is None:
        target = prev
    if target in END and dossier.finished_at is None:
        dossier.finished_at = when
    dossier.status = target
    dossier.version += 1
    dossier.save()
    event = DossierEvent.objects.create(
        dossier=dossier, at=when, action=action, from_status=prev, to_status=target,
        due_at=dossier.due_at, data=data,
    )
    # The effect of the "ioc" outbox consumer, applied at once (the builder has no outbox).
    facts.on_dossier_event(dossier, event)
    return event


def make_dossier(*, procedure: Any, agency: Any, events: Sequence[tuple[Any, ...]],
                 channel: int = Channel.ONLINE, due_days: Decimal | None = None,
                 original_due_at: dt.datetime | None = None, **fields: Any) -> Dossier:
    """``events``: (at, action[, to_status[, data]]) in time order."""
    dossier = new_dossier(procedure=procedure, agency=agency, channel=channel, **fields)
    for item in events:
        when, action = item[0], item[1]
        to_status = item[2] if len(item) > 2 else None
        data = item[3] if len(item) > 3 else None
        apply_event(dossier, when, action, to_status, data, due_days=due_days,
                    original_due_at=original_due_at)
    return dossier


# --------------------------------------------------------------------------------------------
# Random dossiers that follow the lifecycle (for the facts == raw property tests)
# --------------------------------------------------------------------------------------------

NEXT: dict[int, list[str]] = {
    Status.NEW: [Action.RECEIVE, Action.RECEIVE, Action.REFUSE, Action.REQUEST_SUPPLEMENT,
                 Action.WITHDRAW],
    Status.RECEIVED: [Action.ASSIGN, Action.REQUEST_SUPPLEMENT, Action.WITHDRAW, Action.STOP],
    Status.PROCESSING: [Action.FORWARD, Action.APPROVE, Action.APPROVE, Action.APPROVE,
                        Action.REQUEST_SUPPLEMENT, Action.REQUEST_PAYMENT, Action.STOP,
                        Action.WITHDRAW, Action.APOLOGIZE],
    Status.SUPPLEMENT_REQUESTED: [Action.SUPPLEMENT, Action.SUPPLEMENT, Action.SUPPLEMENT,
                                  Action.WITHDRAW, Action.STOP],
    Status.PAYMENT_REQUESTED: [Action.PAY, Action.PAY, Action.WITHDRAW, Action.STOP],
    Status.PROCESSED: [Action.RETURN_RESULT],
    Status.RETURNED: [Action.RATE],
}


def random_dossier(rng: Any, *, procedure: Any, agency: Any, start: dt.datetime) -> Dossier:
    """A dossier walked through a random path of the lifecycle, stopping anywhere."""
    online = rng.random() < 0.6
    dossier = new_dossier(
        procedure=procedure, agency=agency,
        channel=Channel.ONLINE if online else rng.choice([Channel.DIRECT, Channel.POSTAL]),
        fee_amount=procedure.fee, components_digitized=rng.random() < 0.7,
    )
    when = start
    apply_event(dossier, when, Action.SUBMIT if online else Action.CREATE_DIRECT)
    for _ in range(rng.randint(0, 9)):
        options = NEXT.get(dossier.status)
        if not options:
            break
        action = rng.choice(options)
        when = when + dt.timedelta(hours=rng.choice([1, 2, 5, 20, 26, 50, 75, 120, 170]),
                                   minutes=rng.randint(1, 59))
        data: dict[str, Any] = {}
        if action == Action.PAY:
            data["online"] = rng.random() < 0.6
        elif action == Action.APPROVE:
            data["electronic"] = rng.random() < 0.7
        elif action == Action.RATE:
            data["rating"] = rng.choice([-1, 0, 1])
        elif action == Action.APOLOGIZE:
            if dossier.due_at is None or dossier.due_at >= when:
                continue
            data["new_due_at"] = when + dt.timedelta(days=3)
        apply_event(dossier, when, action, None, data)
        if action == Action.RATE:
            break
    return dossier


def imported_dossier(rng: Any, *, procedure: Any, agency: Any, start: dt.datetime) -> Dossier:
    """A historical dossier written in one go with a single ``import`` event (bulk hook)."""
    status = rng.choice([Status.RETURNED, Status.RETURNED, Status.PROCESSING,
                         Status.SUPPLEMENT_REQUESTED, Status.WITHDRAWN, Status.STOPPED])
    received = start
    due = add_working_days(received, procedure.processing_days, agency=agency)
    finished = None
    if status in (Status.RETURNED, Status.STOPPED):
        finished = received + dt.timedelta(days=rng.choice([1, 3, 6, 12]))
    dossier = new_dossier(
        procedure=procedure, agency=agency, channel=rng.choice([Channel.ONLINE, Channel.DIRECT]),
        status=status, received_at=received, submitted_at=received, original_due_at=due,
        due_at=due, finished_at=finished, returned_at=finished if status == Status.RETURNED
        else None, supplement_count=rng.choice([0, 0, 1, 2]), fee_amount=procedure.fee,
        paid_online=rng.random() < 0.5, result_electronic=rng.random() < 0.5,
        components_digitized=rng.random() < 0.5, is_imported=True,
        rating=rng.choice([None, -1, 0, 1]) if status == Status.RETURNED else None,
    )
    event = DossierEvent.objects.create(dossier=dossier, at=start + dt.timedelta(days=400),
                                        action=Action.IMPORT, from_status=None,
                                        to_status=status, due_at=due)
    hooks.dossier_events_bulk_recorded([event])
    return dossier
