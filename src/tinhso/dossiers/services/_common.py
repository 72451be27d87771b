"""What every dossier service shares: locking, state and permission checks, the clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tinhso.accounts.models import User
from tinhso.accounts.permissions import can_act_on_agency
from tinhso.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from tinhso.dossiers.models import Dossier, DossierStep, Status
from tinhso.workdays import calendar

STATUS_VI = {s.value: s.label for s in Status}
STATUS_EN = {
    1: "newly registered", 2: "received", 3: "refused", 4: "processing",
    5: "awaiting supplement", 6: "awaiting payment", 7: "withdrawn", 8: "stopped",
    9: "processed", 10: "result returned",
}
# Statuses in which the legal clock runs (it stops while a supplement is awaited).
CLOCK_RUNNING = frozenset({Status.RECEIVED, Status.PROCESSING, Status.PAYMENT_REQUESTED})


def now() -> dt.datetime:
    return timezone.now()


def lock_dossier(dossier: Dossier, expected_version: int | None = None) -> Dossier:
    """Re-read the dossier under a row lock; the loser of a race sees the winner's state.

    PostgreSQL: SELECT … FOR NO KEY UPDATE OF the dossier alone. Not plain FOR UPDATE joined
    with its procedure and agency: that locked those two shared rows too, so every reception
    blocked the foreign-key checks (FOR KEY SHARE) of every new dossier of the same procedure
    or agency until it committed, and the load test saw deadlocks at COMMIT (a 500 each).
    SQLite: transactions are IMMEDIATE (settings), so writers are already serialised and the
    re-read is enough.
    """
    locked = (
        Dossier.objects.select_for_update(of=("self",), no_key=True)
        .select_related("procedure", "agency", "agency__unit")  # the unit: the reform check
        .get(pk=dossier.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            "STALE_VERSION",
            "Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại và thử lại.",
            "The dossier was changed by someone else. Reload and try again.",
            {"expected_version": expected_version, "current_version": locked.version},
        )
    return locked


def require_status(dossier: Dossier, action: str, *allowed: int) -> None:
    if dossier.status not in allowed:
        raise Conflict(
            "ILLEGAL_TRANSITION",
            f"Không thể thực hiện “{action}” khi hồ sơ đang ở trạng thái "
            f"“{STATUS_VI[dossier.status]}”.",
            f"Cannot '{action}' a dossier that is {STATUS_EN[dossier.status]}.",
            {"action": action, "status": dossier.status, "allowed_from": list(allowed)},
        )


def require_reason(reason: str, field: str = "reason") -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ValidationFailed(
            "REASON_REQUIRED", "Vui lòng nêu rõ lý do.", "A reason is required.",
            {"field": field},
        )
    return cleaned


def dossier_not_found(code: str) -> NotFound:
    return NotFound("Không tìm thấy hồ sơ.", "Dossier not found.", {"code": code},
                    code="DOSSIER_NOT_FOUND")


def require_official_on(user: User, dossier: Dossier, *roles: str) -> None:
    """The user is an official of the dossier's agency (or a province admin) holding a role.

    An official of another agency gets 404, not 403: the dossier's existence is not revealed.
    """
    if not user.is_authenticated or not user.is_official:
        raise PermissionDenied({"required_roles": list(roles)})
    if not can_act_on_agency(user, dossier.agency_id):
        raise dossier_not_found(dossier.code)
    if roles and not user.has_role(*roles):
        raise PermissionDenied({"required_roles": list(roles)})


def require_applicant(user: User, dossier: Dossier) -> None:
    if not user.is_authenticated or dossier.applicant_id != user.pk:
        raise dossier_not_found(dossier.code)


def is_overdue(dossier: Dossier, at: dt.datetime) -> bool:
    # A paused clock (awaiting the applicant's financial obligations where the procedure
    # says so) cannot run late.
    return (
        dossier.due_at is not None
        and dossier.status in CLOCK_RUNNING
        and dossier.paused_at is None
        and at > dossier.due_at
    )


def _remaining(at: dt.datetime, due: dt.datetime | None, dossier: Dossier) -> int | None:
    """Office seconds left to ``due``; None once it has passed (a late dossier stays late)."""
    if due is None or due <= at:
        return None
    return calendar.office_seconds_between(at, due, agency=dossier.agency)


def pause_clock(dossier: Dossier, at: dt.datetime) -> dict[str, Any]:
    """Stop the legal clock at ``at`` (the applicant's time does not count).

    Returns what the event must keep to resume it: the office time left to the legal
    appointment (``original_due_at``) and to the promised one (``due_at``). The caller saves
    ``paused_at`` and ``remaining_office_seconds``.
    """
    data = {"remaining_original": _remaining(at, dossier.original_due_at, dossier),
            "remaining_due": _remaining(at, dossier.due_at, dossier)}
    dossier.paused_at = at
    dossier.remaining_office_seconds = data["remaining_original"]
    return data


def resume_clock(dossier: Dossier, at: dt.datetime, info: dict[str, Any]) -> None:
    """Restart a paused clock: both appointments move by the time spent waiting, and so does
    the deadline of the step in progress (form 06 judges each step against it)."""
    if dossier.paused_at is not None:
        step = (DossierStep.objects.filter(dossier=dossier, index=dossier.current_step,
                                           finished_at__isnull=True,
                                           due_at__gt=dossier.paused_at)
                .order_by("-started_at", "-id").first()
                if dossier.current_step is not None else None)
        if step is not None and step.due_at is not None:
            left = calendar.office_seconds_between(dossier.paused_at, step.due_at,
                                                   agency=dossier.agency)
            step.due_at = calendar.add_office_seconds(at, left, agency=dossier.agency)
        if info.get("remaining_original") is not None:
            dossier.original_due_at = calendar.add_office_seconds(
                at, info["remaining_original"], agency=dossier.agency)
        if info.get("remaining_due") is not None:
            dossier.due_at = calendar.add_office_seconds(
                at, info["remaining_due"], agency=dossier.agency)
        if step is not None and step.due_at is not None:
            step.due_at = cap_step_due(dossier, step.due_at)
            step.save(update_fields=["due_at"])
    dossier.paused_at = None
    dossier.remaining_office_seconds = None


def require_not_late(dossier: Dossier, at: dt.datetime) -> None:
    """A late dossier needs an apology with a new appointment (form 04) before it continues.

    Once the allowed new appointments are used up (TINHSO_APOLOGY_MAX, default one: Decree
    61/2018 art. 17 as amended by Decree 107/2021), a dossier late again is not blocked: the
    law offers no further appointment, and holding the work up would only make it later.
    """
    from django.conf import settings

    limit = int(getattr(settings, "TINHSO_APOLOGY_MAX", 1))
    if limit and dossier.apology_count >= limit:
        return
    if is_overdue(dossier, at):
        raise Conflict(
            "APOLOGY_REQUIRED",
            "Hồ sơ đã quá hạn: cần lập phiếu xin lỗi và hẹn lại ngày trả kết quả trước.",
            "The dossier is overdue: issue an apology with a new appointment first.",
            {"due_at": dossier.due_at.isoformat() if dossier.due_at else None},
        )


def total_office_seconds(dossier: Dossier) -> int:
    """The office time the steps share: the legal time actually given to this dossier.

    For a same-day or hours procedure that is the office time from reception to its due
    moment, not ``processing_days`` (a 16:00 copy has 9.5 office hours, a 08:00 one 9).
    """
    kind = getattr(dossier.procedure, "deadline_kind", "working_days")
    if kind != "working_days" and dossier.received_at and dossier.original_due_at:
        return calendar.office_seconds_between(dossier.received_at, dossier.original_due_at,
                                               agency=dossier.agency)
    days = Decimal(dossier.procedure.processing_days)
    return int(round(days * calendar.office_seconds_per_day(dossier.agency)))


def cap_step_due(dossier: Dossier, due: dt.datetime) -> dt.datetime:
    """A step's deadline never falls after the dossier's: the steps share the dossier's time,
    so a step started late (after an earlier step overran) gets what is left, not its full
    share past the return date."""
    limit = dossier.due_at
    return min(due, limit) if limit is not None else due


def template_steps(dossier: Dossier) -> list[dict[str, Any]]:
    from tinhso.dossiers.templates import effective_template

    return effective_template(dossier.procedure)


def start_step(dossier: Dossier, index: int, at: dt.datetime, assignee: User | None = None
               ) -> DossierStep:
    steps = template_steps(dossier)
    spec = steps[index]
    share = Decimal(str(spec.get("share", 0)))
    seconds = int(round(share * total_office_seconds(dossier)))
    due = cap_step_due(dossier, calendar.add_office_seconds(at, seconds, agency=dossier.agency))
    dossier.current_step = index
    dossier.current_role = spec["role"]
    dossier.assignee = assignee
    return DossierStep.objects.create(
        dossier=dossier, index=index, code=spec["code"], name=spec["name"], role=spec["role"],
        assignee=assignee, started_at=at, due_at=due,
    )


def open_reception_steps(dossier: Dossier, at: dt.datetime, receiver: User) -> None:
    """Step 0 (reception, done by ``receiver`` at ``at``) and step 1 started at ``at``, in ONE
    insert: what ``start_step(0)``, ``finish_current_step`` and ``start_step(1)`` write with
    three statements (counter reception and the acceptance of an online dossier, issue 12)."""
    rows = []
    for index, assignee in ((0, receiver), (1, None)):
        spec = template_steps(dossier)[index]
        share = Decimal(str(spec.get("share", 0)))
        seconds = int(round(share * total_office_seconds(dossier)))
        due = cap_step_due(dossier, calendar.add_office_seconds(at, seconds,
                                                                agency=dossier.agency))
        rows.append(DossierStep(
            dossier=dossier, index=index, code=spec["code"], name=spec["name"],
            role=spec["role"], assignee=assignee, started_at=at, due_at=due,
            finished_at=at if index == 0 else None))
        dossier.current_step, dossier.current_role = index, spec["role"]
    dossier.assignee = None
    DossierStep.objects.bulk_create(rows)


def finish_current_step(dossier: Dossier, at: dt.datetime) -> None:
    if dossier.current_step is None:
        return
    DossierStep.objects.filter(
        dossier=dossier, index=dossier.current_step, finished_at__isnull=True
    ).update(finished_at=at)


def save(dossier: Dossier, *fields: str) -> None:
    dossier.version += 1
    dossier.save(update_fields=[*fields, "version", "updated_at"])


def domain_error_from_validation(field: str, vi: str, en: str, **details: Any) -> DomainError:
    return ValidationFailed("VALIDATION_ERROR", vi, en, {"field": field, **details})
