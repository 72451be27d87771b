"""Rows of one parsed line: the dossier derived from its events, the events and payments.

Shared by both import paths (the row path writes the dicts of :func:`build_rows`; the COPY path
formats the same values as text), so the derivation — status, end of processing, the
appointment shifted by the applicant's pauses — is written once (docs/import-dossiers.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tinhso.dossiers.import_parse import ParsedDossier
from tinhso.dossiers.models import END_OF_PROCESSING, Action, Status
from tinhso.payments.models import PaymentStatus
from tinhso.workdays import calendar

# Statuses with which a paused clock starts again (an end or a withdrawal leaves it stopped).
RESUMING = frozenset({Status.RECEIVED, Status.PROCESSING})


# One event as both paths write it: (at, from_status, to_status, due_at or None, data).
Move = tuple[dt.datetime, int | None, int, dt.datetime | None, dict[str, Any]]
PAYMENT_DESCRIPTION = "Nhập từ hệ thống cũ"


def event_moves(p: ParsedDossier) -> tuple[list[Move], dt.datetime]:
    """The events to write, and the appointment after the applicant's pauses.

    As the live services do (dossiers.services._common.pause_clock/resume_clock): the office
    time left at a supplement request (and, where the procedure says so, at a request to carry
    out financial obligations) runs again from the applicant's answer, so the appointment
    ``due_at`` of the file moves by the time the applicant took. The 766 index judges the
    dossier against that shifted appointment, like a live one. A pause before reception, one
    that the dossier ends in, or one that starts after the appointment has passed moves nothing.
    """
    moves: list[Move] = []
    due = p.due_at
    received_at = p.received_at
    previous: int | None = None
    pause_start: dt.datetime | None = None
    for at, s in p.events:
        data: dict[str, Any] = {"status": s}
        if pause_start is not None and s not in (Status.SUPPLEMENT_REQUESTED,
                                                 Status.PAYMENT_REQUESTED):
            # The applicant's time does not count (766): keep it on the resuming event.
            data["paused_office_seconds"] = calendar.office_seconds_between(
                pause_start, at, agency=p.agency)
            if s in RESUMING and pause_start >= received_at and due > pause_start:
                left = calendar.office_seconds_between(pause_start, due, agency=p.agency)
                due = calendar.add_office_seconds(at, left, agency=p.agency)
                data["shifted_due_at"] = due.isoformat()
            pause_start = None
        if s == Status.SUPPLEMENT_REQUESTED or (
                s == Status.PAYMENT_REQUESTED and p.payment_pauses_clock):
            pause_start = pause_start or at
        moves.append((at, previous, s, due if at >= received_at else None, data))
        previous = s
    return moves, due


def dossier_values(p: ParsedDossier, code: str | None, dossier_id: int, due: dt.datetime
                   ) -> dict[str, Any]:
    """The dossier row ({attname: Python value}) derived from the line and its events;
    ``due`` is the appointment after the pauses (:func:`event_moves`)."""
    events = p.events
    status = events[-1][1]
    finished_at = next((at for at, s in events if s in END_OF_PROCESSING), None)
    returned_at = next((at for at, s in events if s == Status.RETURNED), None)
    # As the live services do: an online dossier was submitted at its first event, a counter
    # dossier at its reception.
    submitted_at = events[0][0] if events[0][1] == Status.NEW else p.received_at
    paused_at: dt.datetime | None = None
    remaining: int | None = None
    if status in (Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED) and \
            len(events) > 1 and events[-2][1] != Status.NEW and \
            (status == Status.SUPPLEMENT_REQUESTED or p.payment_pauses_clock):
        # Awaiting the applicant: the clock is stopped with this much office time left.
        paused_at = events[-1][0]
        remaining = calendar.office_seconds_between(paused_at, due, agency=p.agency)
    return {
        "id": dossier_id, "code": code, "procedure_id": p.procedure_id,
        "agency_id": p.agency.pk, "unit_id": p.agency.unit_id, "channel": p.channel,
        "status": status, "applicant_kind": p.applicant_kind,
        "applicant_id_number": p.applicant_id_number, "applicant_name": p.applicant_name,
        "submitted_at": submitted_at, "received_at": p.received_at, "due_at": due,
        "original_due_at": due, "finished_at": finished_at, "returned_at": returned_at,
        "paused_at": paused_at, "remaining_office_seconds": remaining,
        "supplement_count": sum(1 for _, s in events if s == Status.SUPPLEMENT_REQUESTED),
        "fee_amount": sum(amount for _, amount, _ in p.payments),
        "paid_online": any(online for _, _, online in p.payments),
        "result_electronic": p.result_electronic,
        "components_digitized": p.components_digitized, "rating": p.rating,
        "is_imported": True, "version": len(events),
    }


def build_rows(p: ParsedDossier, code: str, dossier_id: int
               ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The dossier, its events and payments as {attname: Python value} rows (row path)."""
    moves, due = event_moves(p)
    dossier = dossier_values(p, code, dossier_id, due)
    action = Action.IMPORT.value
    rows = [{"dossier_id": dossier_id, "at": at, "actor_id": None, "action": action,
             "from_status": before, "to_status": after, "note": "", "due_at": due_at,
             "data": data}
            for at, before, after, due_at, data in moves]
    payments = [
        {"dossier_id": dossier_id, "amount": amount, "status": PaymentStatus.PAID.value,
         "online": online, "method": "online" if online else "counter",
         "description": PAYMENT_DESCRIPTION, "requested_at": at, "paid_at": at,
         "requested_by_id": None, "reference": ""}
        for at, amount, online in p.payments
    ]
    return dossier, rows, payments
