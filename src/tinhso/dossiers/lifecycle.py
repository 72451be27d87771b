"""The dossier lifecycle in one place: a declarative transition table and its guard.

Every row says: this action may be taken from these statuses, by these roles (or by the
applicant), leads to this status, and needs (or not) a reason. A few actions also carry named
preconditions (``checks``) that depend on more than the status — the current step, a previous
payment, the apology rule. The same table is read by

* the services' guards (``guard``: the service raises exactly what the guard raises),
* ``allowed_actions`` (an action is offered exactly when ``guard`` would let it through),
* the one dispatcher (``tinhso.dossiers.dispatch``) used by the API and the back office,
* the documentation (``markdown_table`` renders docs/dossiers.md's table; a test compares).

Order of the guard's checks (so every caller gets the same error code): who the user is and
whether they may see the dossier (403/404), then the status (409 ``ILLEGAL_TRANSITION``), then
the role (403 ``FORBIDDEN``), then the named preconditions (409, each its own code), then the
lateness rule (409 ``APOLOGY_REQUIRED``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from tinhso.accounts.models import User
from tinhso.core.errors import Conflict, DomainError, PermissionDenied
from tinhso.dossiers.models import Action, Dossier, Status
from tinhso.dossiers.services import _common as c
from tinhso.dossiers.templates import effective_template, last_processing_index

APPLICANT = "applicant"  # the dossier's own applicant, not an official role
STEP_ROLE = "step"  # the role of the dossier's current processing step

S = Status
OPEN = (S.NEW, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED)
HANDLING = (S.RECEIVED, S.PROCESSING)
CLOCK_RUNNING = (S.RECEIVED, S.PROCESSING, S.PAYMENT_REQUESTED)


@dataclass(frozen=True)
class Transition:
    """One row of the table. ``to_status`` None: the status does not change (apology) or goes
    back to the one before the pause (a supplement)."""

    action: Action
    from_statuses: tuple[Status, ...]
    roles: tuple[str, ...]
    to_status: Status | None
    reason_required: bool = False
    checks: tuple[str, ...] = ()
    blocked_when_late: bool = False
    label_en: str = ""


TABLE: tuple[Transition, ...] = (
    Transition(Action.RECEIVE, (S.NEW,), ("receiver",), S.RECEIVED, label_en="receive"),
    Transition(Action.REFUSE, (S.NEW,), ("receiver",), S.REFUSED, reason_required=True,
               label_en="refuse"),
    Transition(Action.REQUEST_SUPPLEMENT, (S.NEW,), ("receiver",), S.SUPPLEMENT_REQUESTED,
               reason_required=True, label_en="request supplement"),
    Transition(Action.REQUEST_SUPPLEMENT, HANDLING, ("receiver", "specialist"),
               S.SUPPLEMENT_REQUESTED, reason_required=True, blocked_when_late=True,
               label_en="request supplement"),
    Transition(Action.SUPPLEMENT, (S.SUPPLEMENT_REQUESTED,), (APPLICANT,), None,
               label_en="supplement"),
    Transition(Action.ASSIGN, HANDLING, ("leader", "receiver"), S.PROCESSING,
               blocked_when_late=True, label_en="assign"),
    Transition(Action.FORWARD, HANDLING, (STEP_ROLE,), S.PROCESSING,
               checks=("has_next_step",), blocked_when_late=True, label_en="forward"),
    Transition(Action.RETURN_TO_STEP, (S.PROCESSING,), (STEP_ROLE,), S.PROCESSING,
               reason_required=True, checks=("has_earlier_step",), blocked_when_late=True,
               label_en="return to step"),
    Transition(Action.REQUEST_PAYMENT, HANDLING, ("receiver", "specialist"),
               S.PAYMENT_REQUESTED, checks=("not_paid_yet",), blocked_when_late=True,
               label_en="request payment"),
    Transition(Action.PAY, (S.PAYMENT_REQUESTED,), ("receiver", "specialist"), S.PROCESSING,
               label_en="pay"),
    Transition(Action.APPROVE, (S.PROCESSING,), ("leader",), S.PROCESSED,
               checks=("at_approval_step",), blocked_when_late=True, label_en="approve"),
    Transition(Action.RETURN_RESULT, (S.PROCESSED,), ("receiver",), S.RETURNED,
               label_en="return result"),
    Transition(Action.STOP, (S.RECEIVED, S.PROCESSING, S.SUPPLEMENT_REQUESTED,
                             S.PAYMENT_REQUESTED), ("leader",), S.STOPPED,
               reason_required=True, label_en="stop"),
    Transition(Action.WITHDRAW, OPEN, (APPLICANT,), S.WITHDRAWN, reason_required=True,
               label_en="withdraw"),
    Transition(Action.APOLOGIZE, CLOCK_RUNNING, ("receiver", "specialist", "leader"), None,
               reason_required=True, checks=("has_due_date", "apology_left"),
               label_en="apologise"),
    Transition(Action.RATE, (S.RETURNED,), (APPLICANT,), None, checks=("not_rated",),
               label_en="rate"),
)

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(str(t.action) for t in TABLE))


def rows_for(action: str) -> tuple[Transition, ...]:
    return tuple(t for t in TABLE if t.action == action)


def is_applicant_action(action: str) -> bool:
    return any(APPLICANT in t.roles for t in rows_for(action))


def reason_required(action: str) -> bool:
    return any(t.reason_required for t in rows_for(action))


def clean_reason(action: str, reason: str) -> str:
    """The reason, stripped; REASON_REQUIRED (422) when the table requires one and it is empty."""
    return c.require_reason(reason) if reason_required(action) else (reason or "").strip()


# --- named preconditions -----------------------------------------------------------------------

def _step(dossier: Dossier) -> tuple[list[dict[str, object]], int]:
    steps = effective_template(dossier.procedure)
    return steps, dossier.current_step or 0


def _has_next_step(dossier: Dossier, at: dt.datetime) -> None:
    steps, current = _step(dossier)
    if current >= last_processing_index(steps):
        raise Conflict("NO_NEXT_STEP",
                       "Đây là bước cuối của quy trình xử lý: hãy phê duyệt kết quả.",
                       "This is the last processing step: approve the result instead.",
                       {"step": current})


def _has_earlier_step(dossier: Dossier, at: dt.datetime) -> None:
    _, current = _step(dossier)
    if current <= 1:
        raise Conflict("NO_EARLIER_STEP", "Không có bước xử lý nào trước bước hiện tại.",
                       "There is no earlier processing step to return to.",
                       {"current_step": current})


def _at_approval_step(dossier: Dossier, at: dt.datetime) -> None:
    steps, current = _step(dossier)
    if current != last_processing_index(steps):
        raise Conflict("NOT_AT_APPROVAL_STEP", "Hồ sơ chưa đến bước phê duyệt.",
                       "The dossier has not reached the approval step.",
                       {"current_step": dossier.current_step})


def _not_paid_yet(dossier: Dossier, at: dt.datetime) -> None:
    from tinhso.payments.models import Payment, PaymentStatus

    paid = (Payment.objects.filter(dossier_id=dossier.pk, status=PaymentStatus.PAID)
            .values_list("pk", flat=True).first())
    if paid is not None:
        raise Conflict("PAYMENT_ALREADY_PAID",
                       "Hồ sơ đã nộp phí, lệ phí; không yêu cầu thanh toán lại.",
                       "The fees of this dossier are already paid; no second request.",
                       {"payment_id": paid})


def apology_limit() -> int:
    return int(getattr(settings, "TINHSO_APOLOGY_MAX", 1))


def _apology_left(dossier: Dossier, at: dt.datetime) -> None:
    limit = apology_limit()
    if limit and dossier.apology_count >= limit:
        raise Conflict(
            "APOLOGY_LIMIT_REACHED",
            f"Hồ sơ đã được hẹn lại ngày trả kết quả {dossier.apology_count} lần; theo quy định "
            f"chỉ được hẹn lại không quá {limit} lần.",
            f"The return date was already re-appointed {dossier.apology_count} time(s); at "
            f"most {limit} new appointment(s) are allowed.",
            {"apology_count": dossier.apology_count, "max": limit},
        )


def _has_due_date(dossier: Dossier, at: dt.datetime) -> None:
    if dossier.due_at is None:
        raise Conflict("NO_APPOINTMENT", "Hồ sơ chưa có ngày hẹn trả để hẹn lại.",
                       "The dossier has no return date to re-appoint.", {})


def _not_rated(dossier: Dossier, at: dt.datetime) -> None:
    if dossier.rating is not None:
        raise Conflict("ALREADY_RATED", "Hồ sơ này đã được đánh giá.",
                       "This dossier has already been rated.", {"rating": dossier.rating})


CHECKS: dict[str, Callable[[Dossier, dt.datetime], None]] = {
    "has_next_step": _has_next_step,
    "has_earlier_step": _has_earlier_step,
    "at_approval_step": _at_approval_step,
    "not_paid_yet": _not_paid_yet,
    "apology_left": _apology_left,
    "has_due_date": _has_due_date,
    "not_rated": _not_rated,
}
CHECK_DOC = {
    "has_next_step": "not at the last processing step (`NO_NEXT_STEP`)",
    "has_earlier_step": "an earlier processing step exists (`NO_EARLIER_STEP`)",
    "at_approval_step": "at the last processing step (`NOT_AT_APPROVAL_STEP`)",
    "not_paid_yet": "no payment of the dossier is paid (`PAYMENT_ALREADY_PAID`)",
    "apology_left": "fewer than TINHSO_APOLOGY_MAX apologies (`APOLOGY_LIMIT_REACHED`)",
    "has_due_date": "the dossier has a return date (`NO_APPOINTMENT`)",
    "not_rated": "not rated yet (`ALREADY_RATED`)",
}


# --- the guard ---------------------------------------------------------------------------------

def _roles_needed(row: Transition, dossier: Dossier) -> set[str]:
    roles = set(row.roles)
    if STEP_ROLE in roles:
        roles.discard(STEP_ROLE)
        steps, current = _step(dossier)
        roles.add(str(steps[min(current, len(steps) - 1)]["role"]))
    return roles


def guard(action: str, user: User, dossier: Dossier, at: dt.datetime | None = None
          ) -> Transition:
    """Raise what the service raises when ``user`` may not take ``action`` now; else the row.

    Pure: reads the (locked, in services) dossier and at most one query (a paid payment).
    """
    rows = rows_for(action)
    if not rows:
        from tinhso.core.errors import NotFound

        raise NotFound("Thao tác không tồn tại.", "Unknown action.", {"action": action},
                       code="UNKNOWN_ACTION")
    at = at or c.now()
    label = f"{Action(action).label} / {rows[0].label_en}"
    if is_applicant_action(action):
        c.require_applicant(user, dossier)
    else:
        c.require_official_on(user, dossier)
    matching = [t for t in rows if dossier.status in t.from_statuses]
    if not matching:
        allowed = sorted({int(s) for t in rows for s in t.from_statuses})
        c.require_status(dossier, label, *allowed)
    row = matching[0]
    if not is_applicant_action(action):
        needed = _roles_needed(row, dossier)
        if not user.has_role(*needed):
            raise PermissionDenied({"required_roles": sorted(needed)})
    for name in row.checks:
        CHECKS[name](dossier, at)
    if row.blocked_when_late:
        c.require_not_late(dossier, at)
    return row


def permits(action: str, user: User, dossier: Dossier, at: dt.datetime | None = None) -> bool:
    try:
        guard(action, user, dossier, at)
    except DomainError:
        return False
    return True


def allowed_actions(user: User, dossier: Dossier, at: dt.datetime | None = None) -> list[str]:
    """Every action of the table that ``guard`` lets through, in the table's order."""
    if not getattr(user, "is_authenticated", False):
        return []
    at = at or c.now()
    return [a for a in ACTIONS if permits(a, user, dossier, at)]


# --- documentation -----------------------------------------------------------------------------

def _status_list(statuses: tuple[Status, ...]) -> str:
    return ", ".join(f"{int(s)} {s.label}" for s in statuses)


def markdown_table() -> str:
    """The table as Markdown, for docs/dossiers.md (tests/dossiers/test_lifecycle_table.py)."""
    lines = [
        "| Action | Thao tác | From status | Who | To status | Reason | Also requires |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in TABLE:
        who = ", ".join("the applicant" if r == APPLICANT else
                        "role of the current step" if r == STEP_ROLE else r for r in t.roles)
        to = (f"{int(t.to_status)} {t.to_status.label}" if t.to_status is not None
              else "status before the pause" if t.action == Action.SUPPLEMENT else "unchanged")
        extra = [CHECK_DOC[name] for name in t.checks]
        if t.blocked_when_late:
            extra.append("not late without an apology (`APOLOGY_REQUIRED`)")
        lines.append(f"| `{t.action}` | {Action(t.action).label} | {_status_list(t.from_statuses)}"
                     f" | {who} | {to} | {'yes' if t.reason_required else 'no'} | "
                     f"{'; '.join(extra) or '—'} |")
    return "\n".join(lines) + "\n"
