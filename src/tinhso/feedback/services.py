"""Writes on feedback/petitions. Every service: keyword-only arguments, an acting user, one
transaction, one FeedbackEvent row; bad input changes nothing.

Lifecycle: submit → new; (refuse → refused) | (request_supplement → supplement_requested →
supplement → processing) | resolve → resolved → publish → published; the submitter may rate a
resolved or published answer. Deadlines in working days from submission: refuse 2, request a
supplement 5, handle 15 (the wait for the citizen is excluded: the remaining office time is kept
at the request and the deadline moves when the citizen answers), publish 2 after handling.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tinhso.core.text import nfc
from tinhso.dossiers.models import Dossier
from tinhso.feedback.models import (
    HANDLED_STATUSES,
    OPEN_STATUSES,
    Feedback,
    FeedbackAction,
    FeedbackEvent,
    FeedbackKind,
    FeedbackStatus,
)
from tinhso.feedback.permissions import can_handle, require_handler
from tinhso.units.models import Agency
from tinhso.workdays.calendar import add_office_seconds, add_working_days, office_seconds_between

REFUSE_DAYS = 2
SUPPLEMENT_DAYS = 5
HANDLE_DAYS = 15
PUBLISH_DAYS = 2
MAX_TITLE = 300
MAX_CONTENT = 10_000


def _now() -> dt.datetime:
    return timezone.now()


def _text(value: Any, field: str, max_len: int, required: bool = True) -> str:
    cleaned = nfc(value if isinstance(value, str) else "").strip()
    if (required and not cleaned) or len(cleaned) > max_len:
        raise ValidationFailed(
            "INVALID_FIELD", f"Trường «{field}» không được để trống và tối đa {max_len} ký tự.",
            f"The field {field!r} must not be empty and has at most {max_len} characters.",
            {"field": field},
        )
    return cleaned


def _event(feedback: Feedback, *, actor: Any, action: str, from_status: str, note: str = "",
           data: dict[str, Any] | None = None, at: dt.datetime) -> FeedbackEvent:
    return FeedbackEvent.objects.create(
        feedback=feedback, at=at, actor=actor if getattr(actor, "pk", None) else None,
        action=action, from_status=from_status, to_status=feedback.status, note=note,
        data=data or {},
    )


def _lock(feedback: Feedback, expected_version: int | None) -> Feedback:
    locked = (Feedback.objects.select_for_update(of=("self",), no_key=True)
              .select_related("agency").get(pk=feedback.pk))
    if expected_version is not None and locked.version != expected_version:
        raise Conflict("STALE_VERSION", "Phản ánh đã được cập nhật bởi người khác; hãy tải lại.",
                       "The feedback was changed by someone else; reload it.",
                       {"expected": expected_version, "current": locked.version})
    return locked


def _require_status(feedback: Feedback, action: str, *allowed: str) -> None:
    if feedback.status not in allowed:
        raise Conflict(
            "ILLEGAL_TRANSITION",
            f"Không thể {action} khi phản ánh ở trạng thái «{feedback.get_status_display()}».",
            f"Cannot {action} feedback in status {feedback.status!r}.",
            {"status": feedback.status, "allowed": list(allowed)},
        )


def _save(feedback: Feedback, *fields: str) -> None:
    feedback.version += 1
    feedback.save(update_fields=[*fields, "version"])


def _publish(feedback: Feedback, type_: str, *, actor: Any, at: dt.datetime) -> None:
    """The domain event (outbox, same transaction). The IOC's "dossier with a complaint" flag
    follows feedback.received/refused through its consumer, no longer in this transaction."""
    from tinhso.outbox.services import event_publish

    event_publish(
        type=type_, aggregate_type="feedback", aggregate_id=feedback.pk,
        agency_id=feedback.agency_id, actor_id=getattr(actor, "pk", None), occurred_at=at,
        payload={"feedback_id": feedback.pk, "code": feedback.code, "kind": feedback.kind,
                 "agency_id": feedback.agency_id, "dossier_id": feedback.dossier_id,
                 "status": feedback.status, "at": at.isoformat()})


@transaction.atomic
def feedback_submit(*, acting_user: Any, title: str, content: str,
                    kind: str = FeedbackKind.REFLECTION, agency_code: str | None = None,
                    dossier_code: str | None = None, phone: str = "", email: str = "",
                    allow_publish: bool = True) -> Feedback:
    """A citizen (or organisation) files feedback about one of their dossiers or an agency."""
    if acting_user is None or not acting_user.is_authenticated:
        raise PermissionDenied()
    if kind not in FeedbackKind.values:
        raise ValidationFailed("INVALID_FIELD", "Loại phản ánh không hợp lệ.",
                               "Unknown feedback kind.", {"field": "kind",
                                                         "allowed": list(FeedbackKind.values)})
    title = _text(title, "title", MAX_TITLE)
    content = _text(content, "content", MAX_CONTENT)
    dossier: Dossier | None = None
    if dossier_code:
        dossier = Dossier.objects.select_related("agency").filter(code=dossier_code).first()
        mine = dossier is not None and (
            dossier.applicant_id == acting_user.pk
            or (acting_user.id_number and dossier.applicant_id_number == acting_user.id_number)
            or (getattr(acting_user, "tax_code", "")
                and dossier.applicant_id_number == acting_user.tax_code))
        if not mine:
            # Someone else's dossier is indistinguishable from a missing one.
            raise NotFound("Không tìm thấy hồ sơ của bạn với mã này.",
                           "No dossier of yours has this code.", {"dossier_code": dossier_code})
        assert dossier is not None
        agency = dossier.agency
        if agency_code and agency_code != agency.code:
            raise ValidationFailed(
                "AGENCY_MISMATCH", "Hồ sơ thuộc cơ quan khác với cơ quan đã chọn.",
                "The dossier belongs to another agency.",
                {"agency_code": agency_code, "dossier_agency": agency.code})
    else:
        found = Agency.objects.filter(code=agency_code or "", is_active=True).first()
        if found is None:
            raise ValidationFailed("AGENCY_REQUIRED",
                                   "Vui lòng chọn cơ quan hoặc hồ sơ được phản ánh.",
                                   "Name the agency or the dossier the feedback is about.",
                                   {"field": "agency_code"})
        agency = found
    at = _now()
    feedback = Feedback.objects.create(
        code=f"PAKN-TMP-{acting_user.pk}-{at.timestamp()}", kind=kind, title=title,
        content=content, agency=agency, dossier=dossier, submitter=acting_user,
        submitter_name=getattr(acting_user, "full_name", "") or acting_user.get_username(),
        submitter_phone=_text(phone, "phone", 20, required=False) or getattr(
            acting_user, "phone", ""),
        submitter_email=_text(email, "email", 254, required=False) or acting_user.email,
        allow_publish=bool(allow_publish), status=FeedbackStatus.NEW, submitted_at=at,
        refuse_due_at=add_working_days(at, REFUSE_DAYS, agency=agency),
        supplement_due_at=add_working_days(at, SUPPLEMENT_DAYS, agency=agency),
        handle_due_at=add_working_days(at, HANDLE_DAYS, agency=agency),
    )
    # The primary key makes the code unique without a counter table.
    local = timezone.localtime(at)
    feedback.code = f"PAKN-{local:%y%m%d}-{feedback.pk:06d}"
    feedback.save(update_fields=["code"])
    _event(feedback, actor=acting_user, action=FeedbackAction.SUBMIT, from_status="", at=at,
           data={"agency": agency.code, "dossier": dossier.code if dossier else None})
    _publish(feedback, "feedback.received", actor=acting_user, at=at)
    return feedback


@transaction.atomic
def feedback_refuse(*, acting_user: Any, feedback: Feedback, reason: str,
                    expected_version: int | None = None) -> Feedback:
    """Refuse to handle (out of competence, anonymous abuse…); due within 2 working days."""
    reason = _text(reason, "reason", 2000)
    feedback = _lock(feedback, expected_version)
    require_handler(acting_user, feedback)
    _require_status(feedback, "từ chối / refuse", FeedbackStatus.NEW, FeedbackStatus.PROCESSING)
    at = _now()
    previous = feedback.status
    feedback.status = FeedbackStatus.REFUSED
    feedback.handled_at = at
    feedback.handled_by = acting_user
    feedback.handled_on_time = at <= feedback.refuse_due_at
    feedback.refusal_reason = reason
    _save(feedback, "status", "handled_at", "handled_by", "handled_on_time", "refusal_reason")
    _event(feedback, actor=acting_user, action=FeedbackAction.REFUSE, from_status=previous,
           note=reason, at=at)
    _publish(feedback, "feedback.refused", actor=acting_user, at=at)
    return feedback


@transaction.atomic
def feedback_request_supplement(*, acting_user: Any, feedback: Feedback, reason: str,
                                expected_version: int | None = None) -> Feedback:
    """Ask the citizen for more information (due within 5 working days); the handling clock
    stops until they answer."""
    reason = _text(reason, "reason", 2000)
    feedback = _lock(feedback, expected_version)
    require_handler(acting_user, feedback)
    _require_status(feedback, "yêu cầu bổ sung / request a supplement", FeedbackStatus.NEW,
                    FeedbackStatus.PROCESSING)
    at = _now()
    previous = feedback.status
    feedback.status = FeedbackStatus.SUPPLEMENT_REQUESTED
    feedback.paused_at = at
    feedback.remaining_office_seconds = office_seconds_between(at, feedback.handle_due_at,
                                                               agency=feedback.agency)
    feedback.supplement_count += 1
    _save(feedback, "status", "paused_at", "remaining_office_seconds", "supplement_count")
    _event(feedback, actor=acting_user, action=FeedbackAction.REQUEST_SUPPLEMENT,
           from_status=previous, note=reason, at=at,
           data={"late": at > feedback.supplement_due_at,
                 "remaining_office_seconds": feedback.remaining_office_seconds})
    return feedback


@transaction.atomic
def feedback_supplement(*, acting_user: Any, feedback: Feedback, content: str) -> Feedback:
    """The citizen adds the requested information; the clock resumes with the time it had."""
    content = _text(content, "content", MAX_CONTENT)
    feedback = _lock(feedback, None)
    if feedback.submitter_id != getattr(acting_user, "pk", None):
        raise PermissionDenied({"reason": "only the submitter may supplement"})
    _require_status(feedback, "bổ sung / supplement", FeedbackStatus.SUPPLEMENT_REQUESTED)
    at = _now()
    previous = feedback.status
    feedback.status = FeedbackStatus.PROCESSING
    feedback.handle_due_at = add_office_seconds(at, feedback.remaining_office_seconds or 0,
                                                agency=feedback.agency)
    feedback.paused_at = None
    feedback.remaining_office_seconds = None
    feedback.content = f"{feedback.content}\n\n— Bổ sung {timezone.localtime(at):%d/%m/%Y}:\n" \
                       f"{content}"
    _save(feedback, "status", "handle_due_at", "paused_at", "remaining_office_seconds",
          "content")
    _event(feedback, actor=acting_user, action=FeedbackAction.SUPPLEMENT,
           from_status=previous, note=content, at=at,
           data={"handle_due_at": feedback.handle_due_at.isoformat()})
    return feedback


@transaction.atomic
def feedback_resolve(*, acting_user: Any, feedback: Feedback, resolution: str,
                     expected_version: int | None = None) -> Feedback:
    """Answer the feedback (due within 15 working days of submission, supplement time
    excluded); the answer is to be published within 2 working days."""
    resolution = _text(resolution, "resolution", MAX_CONTENT)
    feedback = _lock(feedback, expected_version)
    require_handler(acting_user, feedback)
    _require_status(feedback, "xử lý / resolve", FeedbackStatus.NEW, FeedbackStatus.PROCESSING)
    at = _now()
    previous = feedback.status
    feedback.status = FeedbackStatus.RESOLVED
    feedback.handled_at = at
    feedback.handled_by = acting_user
    feedback.handled_on_time = at <= feedback.handle_due_at
    feedback.resolution = resolution
    feedback.publish_due_at = add_working_days(at, PUBLISH_DAYS, agency=feedback.agency)
    _save(feedback, "status", "handled_at", "handled_by", "handled_on_time", "resolution",
          "publish_due_at")
    _event(feedback, actor=acting_user, action=FeedbackAction.RESOLVE, from_status=previous,
           note=resolution, at=at)
    _publish(feedback, "feedback.answered", actor=acting_user, at=at)
    return feedback


@transaction.atomic
def feedback_publish(*, acting_user: Any, feedback: Feedback,
                     expected_version: int | None = None) -> Feedback:
    """Publish the answer (without the citizen's identity)."""
    feedback = _lock(feedback, expected_version)
    require_handler(acting_user, feedback)
    _require_status(feedback, "công khai / publish", FeedbackStatus.RESOLVED)
    if not feedback.allow_publish:
        raise Conflict("PUBLISH_NOT_ALLOWED",
                       "Người gửi không đồng ý công khai phản ánh này.",
                       "The submitter did not agree to publication.")
    at = _now()
    previous = feedback.status
    feedback.status = FeedbackStatus.PUBLISHED
    feedback.published_at = at
    _save(feedback, "status", "published_at")
    _event(feedback, actor=acting_user, action=FeedbackAction.PUBLISH, from_status=previous,
           at=at, data={"on_time": feedback.publish_due_at is None
                        or at <= feedback.publish_due_at})
    return feedback


@transaction.atomic
def feedback_rate(*, acting_user: Any, feedback: Feedback, rating: int) -> Feedback:
    """The submitter rates the answer: -1 dissatisfied, 0 acceptable, 1 satisfied (once)."""
    if rating not in (-1, 0, 1) or isinstance(rating, bool):
        raise ValidationFailed("INVALID_RATING", "Đánh giá phải là -1, 0 hoặc 1.",
                               "The rating must be -1, 0 or 1.", {"field": "rating"})
    feedback = _lock(feedback, None)
    if feedback.submitter_id != getattr(acting_user, "pk", None):
        raise PermissionDenied({"reason": "only the submitter may rate"})
    _require_status(feedback, "đánh giá / rate", *sorted(HANDLED_STATUSES))
    if feedback.rating is not None:
        raise Conflict("ALREADY_RATED", "Bạn đã đánh giá phản ánh này.",
                       "You have already rated this answer.", {"rating": feedback.rating})
    at = _now()
    feedback.rating = rating
    feedback.rated_at = at
    _save(feedback, "rating", "rated_at")
    _event(feedback, actor=acting_user, action=FeedbackAction.RATE,
           from_status=feedback.status, at=at, data={"rating": rating})
    return feedback


def allowed_actions(user: Any, feedback: Feedback) -> list[str]:
    """Actions the user may take now (for the UI and the API)."""
    actions: list[str] = []
    if can_handle(user, feedback):
        if feedback.status in (FeedbackStatus.NEW, FeedbackStatus.PROCESSING):
            actions += [FeedbackAction.REFUSE, FeedbackAction.REQUEST_SUPPLEMENT,
                        FeedbackAction.RESOLVE]
        if feedback.status == FeedbackStatus.RESOLVED and feedback.allow_publish:
            actions.append(FeedbackAction.PUBLISH)
    if feedback.submitter_id == getattr(user, "pk", None):
        if feedback.status == FeedbackStatus.SUPPLEMENT_REQUESTED:
            actions.append(FeedbackAction.SUPPLEMENT)
        if feedback.status in HANDLED_STATUSES and feedback.rating is None:
            actions.append(FeedbackAction.RATE)
    return [str(a) for a in actions]


__all__ = [
    "OPEN_STATUSES", "allowed_actions", "feedback_publish", "feedback_rate", "feedback_refuse",
    "feedback_request_supplement", "feedback_resolve", "feedback_submit", "feedback_supplement",
]
