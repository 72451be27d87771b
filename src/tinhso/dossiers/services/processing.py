"""Processing through the procedure's steps, payment requests, approval, return, stop, apology."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.conf import settings
from django.db import transaction

from tinhso.accounts.models import User
from tinhso.core.errors import ValidationFailed
from tinhso.dossiers import lifecycle as lc
from tinhso.dossiers.events import record_event
from tinhso.dossiers.models import Action, Dossier, Status
from tinhso.dossiers.paperwork import issue_after_commit
from tinhso.dossiers.services import _common as c
from tinhso.dossiers.templates import effective_template
from tinhso.workdays import calendar


def _check_assignee(dossier: Dossier, assignee: User | None, role: str) -> None:
    if assignee is None:
        return
    if not assignee.is_official or assignee.agency_id != dossier.agency_id or \
            not assignee.has_role(role):
        raise ValidationFailed(
            "INVALID_ASSIGNEE",
            "Người được giao phải là cán bộ của cơ quan và có vai trò phù hợp với bước xử lý.",
            "The assignee must be an official of the agency holding the step's role.",
            {"assignee": assignee.pk, "role": role},
        )


def _current_role(dossier: Dossier) -> str:
    steps = effective_template(dossier.procedure)
    index = dossier.current_step if dossier.current_step is not None else 0
    return str(steps[index]["role"])


@transaction.atomic
def dossier_assign(*, acting_user: User, dossier: Dossier, assignee: User, note: str = "",
                   expected_version: int | None = None) -> Dossier:
    """Give the current step to an officer of its role (leaders and receivers distribute work)."""
    dossier = c.lock_dossier(dossier, expected_version)
    at = c.now()
    lc.guard(Action.ASSIGN, acting_user, dossier, at)
    _check_assignee(dossier, assignee, _current_role(dossier))
    from tinhso.dossiers.models import DossierStep

    # For the stubs only (they refuse None here): with no current step no row matches, as before.
    DossierStep.objects.filter(dossier=dossier, index=cast(int, dossier.current_step),
                               finished_at__isnull=True).update(assignee=assignee)
    from_status = dossier.status
    dossier.assignee = assignee
    dossier.status = Status.PROCESSING
    c.save(dossier, "assignee", "status")
    record_event(dossier, actor=acting_user, action=Action.ASSIGN, from_status=from_status,
                 to_status=Status.PROCESSING, note=note.strip(), at=at,
                 data={"assignee": assignee.pk, "step": dossier.current_step})
    return dossier


@transaction.atomic
def dossier_forward(*, acting_user: User, dossier: Dossier, assignee: User | None = None,
                    note: str = "", expected_version: int | None = None) -> Dossier:
    """Complete the current step and pass the dossier to the next one."""
    dossier = c.lock_dossier(dossier, expected_version)
    at = c.now()
    lc.guard(Action.FORWARD, acting_user, dossier, at)
    steps = effective_template(dossier.procedure)
    current = dossier.current_step or 0
    nxt = current + 1
    _check_assignee(dossier, assignee, str(steps[nxt]["role"]))
    c.finish_current_step(dossier, at)
    c.start_step(dossier, nxt, at, assignee=assignee)
    from_status = dossier.status
    dossier.status = Status.PROCESSING
    c.save(dossier, "status", "current_step", "current_role", "assignee")
    record_event(dossier, actor=acting_user, action=Action.FORWARD, from_status=from_status,
                 to_status=Status.PROCESSING, note=note.strip(), at=at,
                 data={"from_step": current, "to_step": nxt,
                       "assignee": assignee.pk if assignee else None})
    return dossier


@transaction.atomic
def dossier_return_to_step(*, acting_user: User, dossier: Dossier, step_index: int, reason: str,
                           expected_version: int | None = None) -> Dossier:
    """Send the dossier back to an earlier processing step (e.g. a leader rejects a draft)."""
    reason = lc.clean_reason(Action.RETURN_TO_STEP, reason)
    dossier = c.lock_dossier(dossier, expected_version)
    at = c.now()
    lc.guard(Action.RETURN_TO_STEP, acting_user, dossier, at)
    current = dossier.current_step or 0
    if not 1 <= step_index < current:
        raise ValidationFailed(
            "INVALID_STEP", "Chỉ có thể trả về một bước xử lý trước bước hiện tại.",
            "Only an earlier processing step can be chosen.",
            {"step_index": step_index, "current_step": current},
        )
    c.finish_current_step(dossier, at)
    c.start_step(dossier, step_index, at)
    c.save(dossier, "current_step", "current_role", "assignee")
    record_event(dossier, actor=acting_user, action=Action.RETURN_TO_STEP,
                 from_status=Status.PROCESSING, to_status=Status.PROCESSING, note=reason, at=at,
                 data={"from_step": current, "to_step": step_index})
    return dossier


@transaction.atomic
def dossier_approve(*, acting_user: User, dossier: Dossier, note: str = "",
                    expected_version: int | None = None) -> Dossier:
    """The leader approves the result: processing ends (status 9)."""
    dossier = c.lock_dossier(dossier, expected_version)
    at = c.now()
    lc.guard(Action.APPROVE, acting_user, dossier, at)
    steps = effective_template(dossier.procedure)
    c.finish_current_step(dossier, at)
    c.start_step(dossier, len(steps) - 1, at)
    dossier.status = Status.PROCESSED
    dossier.finished_at = at
    dossier.result_electronic = dossier.procedure.result_type == "electronic"
    c.save(dossier, "status", "finished_at", "current_step", "current_role", "assignee",
           "result_electronic")
    record_event(dossier, actor=acting_user, action=Action.APPROVE, from_status=Status.PROCESSING,
                 to_status=Status.PROCESSED, note=note.strip(), at=at)
    if dossier.result_electronic:
        issue_after_commit(acting_user=acting_user, dossier=dossier, form="result")
    return dossier


@transaction.atomic
def dossier_return_result(*, acting_user: User, dossier: Dossier, note: str = "",
                          expected_version: int | None = None) -> Dossier:
    dossier = c.lock_dossier(dossier, expected_version)
    at = c.now()
    lc.guard(Action.RETURN_RESULT, acting_user, dossier, at)
    c.finish_current_step(dossier, at)
    dossier.status = Status.RETURNED
    dossier.returned_at = at
    c.save(dossier, "status", "returned_at")
    record_event(dossier, actor=acting_user, action=Action.RETURN_RESULT,
                 from_status=Status.PROCESSED, to_status=Status.RETURNED, note=note.strip(), at=at)
    # The completed processing control sheet (form 06) goes into the dossier.
    issue_after_commit(acting_user=acting_user, dossier=dossier, form="06")
    return dossier


@transaction.atomic
def dossier_stop(*, acting_user: User, dossier: Dossier, reason: str,
                 expected_version: int | None = None) -> Dossier:
    """Stop processing (form 05): ends processing with a reason."""
    reason = lc.clean_reason(Action.STOP, reason)
    dossier = c.lock_dossier(dossier, expected_version)
    at = c.now()
    lc.guard(Action.STOP, acting_user, dossier, at)
    from_status = dossier.status
    c.finish_current_step(dossier, at)
    dossier.status = Status.STOPPED
    dossier.finished_at = at
    dossier.paused_at = None
    c.save(dossier, "status", "finished_at", "paused_at")
    record_event(dossier, actor=acting_user, action=Action.STOP, from_status=from_status,
                 to_status=Status.STOPPED, note=reason, at=at)
    # Form 05 tells the applicant; form 06 closes the control sheet (Circular 03/2025 annex).
    issue_after_commit(acting_user=acting_user, dossier=dossier, form="05",
                       extra={"reason": reason})
    issue_after_commit(acting_user=acting_user, dossier=dossier, form="06")
    return dossier


def _notice_in_time(dossier: Dossier, at: dt.datetime) -> bool:
    """Sent at least TINHSO_APOLOGY_LEAD_WORKING_DAYS working days before the due moment.

    Decree 61/2018 art. 17 as amended by Decree 107/2021: the apology goes out "chậm nhất 01
    ngày trước ngày hết hạn" (common reading; see docs/dossiers.md for what is UNCONFIRMED).
    """
    if dossier.due_at is None or at >= dossier.due_at:
        return False
    lead = int(getattr(settings, "TINHSO_APOLOGY_LEAD_WORKING_DAYS", 1))
    needed = lead * calendar.office_seconds_per_day(dossier.agency)
    return calendar.office_seconds_between(at, dossier.due_at, agency=dossier.agency) >= needed


@transaction.atomic
def dossier_apologize(*, acting_user: User, dossier: Dossier, new_due_at: dt.datetime,
                      reason: str, expected_version: int | None = None) -> Dossier:
    """Apology and new appointment for a dossier that will be (or is) late (form 04).

    The law wants it sent before the deadline, so it is accepted before the due moment; one
    sent later (or less than the lead time before) is still accepted — refusing it would leave
    the applicant without any notice — but recorded with ``notice_in_time = false``. The new
    appointment may be set at most TINHSO_APOLOGY_MAX times (default once). The legal date
    (``original_due_at``) never moves: the 766 index still counts the dossier late.
    """
    reason = lc.clean_reason(Action.APOLOGIZE, reason)
    dossier = c.lock_dossier(dossier, expected_version)
    at = c.now()
    lc.guard(Action.APOLOGIZE, acting_user, dossier, at)
    current_due = dossier.due_at
    if new_due_at.tzinfo is None or new_due_at <= at or \
            (current_due is not None and new_due_at <= current_due):
        raise ValidationFailed(
            "INVALID_NEW_APPOINTMENT",
            "Ngày hẹn mới phải ở tương lai, sau ngày hẹn hiện tại (kèm múi giờ).",
            "The new appointment must be in the future and after the current one "
            "(with an offset).",
            {"new_due_at": new_due_at.isoformat(),
             "due_at": current_due.isoformat() if current_due else None})
    in_time = _notice_in_time(dossier, at)
    dossier.due_at = new_due_at
    dossier.apology_count += 1
    c.save(dossier, "due_at", "apology_count")
    record_event(dossier, actor=acting_user, action=Action.APOLOGIZE, from_status=dossier.status,
                 to_status=dossier.status, note=reason, at=at,
                 data={"old_due_at": current_due.isoformat() if current_due else None,
                       "new_due_at": new_due_at.isoformat(), "notice_in_time": in_time})
    issue_after_commit(acting_user=acting_user, dossier=dossier, form="04",
                       extra={"reason": reason, "new_due_at": new_due_at})
    return dossier
