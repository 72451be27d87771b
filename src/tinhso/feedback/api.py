"""/api/v1/feedback: file feedback/petitions, handle them, publish and rate the answers.

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from tinhso.core.errors import NotFound, ValidationFailed
from tinhso.core.paging import bounded_pagination
from tinhso.feedback import selectors, services
from tinhso.feedback.models import Feedback, FeedbackAction, FeedbackKind

router = Router(tags=["feedback"])


# Free text must hold a visible character (the service strips blanks and refuses empty text).
_TEXT = r"\S"


class FeedbackIn(Schema):
    kind: str = Field(FeedbackKind.REFLECTION, description="reflection | petition",
                      json_schema_extra={"enum": list(FeedbackKind.values)})
    title: str = Field(..., max_length=services.MAX_TITLE,
                       json_schema_extra={"pattern": _TEXT})
    content: str = Field(..., max_length=services.MAX_CONTENT,
                         json_schema_extra={"pattern": _TEXT})
    agency_code: str | None = Field(None, max_length=40)
    dossier_code: str | None = Field(None, max_length=40)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    allow_publish: bool = True


class FeedbackOut(Schema):
    code: str
    kind: str
    title: str
    content: str
    agency: str
    agency_name: str
    dossier: str | None
    status: str
    status_label: str
    submitted_at: dt.datetime
    refuse_due_at: dt.datetime
    supplement_due_at: dt.datetime
    handle_due_at: dt.datetime
    handled_at: dt.datetime | None
    handled_on_time: bool | None
    resolution: str
    refusal_reason: str
    publish_due_at: dt.datetime | None
    published_at: dt.datetime | None
    rating: int | None
    version: int
    allowed_actions: list[str]


class PublishedOut(Schema):
    code: str
    kind: str
    title: str
    content: str
    agency_name: str
    submitted_at: dt.datetime
    handled_at: dt.datetime | None
    resolution: str
    published_at: dt.datetime | None


class FeedbackEventOut(Schema):
    at: dt.datetime
    action: str
    from_status: str
    to_status: str
    note: str
    actor: str | None


class FeedbackActionIn(Schema):
    reason: str = Field("", max_length=2000)
    content: str = Field("", max_length=services.MAX_CONTENT)
    resolution: str = Field("", max_length=services.MAX_CONTENT)
    rating: int | None = Field(None, description="-1, 0 or 1",
                               json_schema_extra={"minimum": -1, "maximum": 1})


def out(feedback: Feedback, user: Any) -> dict[str, Any]:
    return {
        "code": feedback.code, "kind": feedback.kind, "title": feedback.title,
        "content": feedback.content, "agency": feedback.agency.code,
        "agency_name": feedback.agency.name,
        "dossier": feedback.dossier.code if feedback.dossier is not None else None,
        "status": feedback.status, "status_label": feedback.get_status_display(),
        "submitted_at": feedback.submitted_at, "refuse_due_at": feedback.refuse_due_at,
        "supplement_due_at": feedback.supplement_due_at,
        "handle_due_at": feedback.handle_due_at, "handled_at": feedback.handled_at,
        "handled_on_time": feedback.handled_on_time, "resolution": feedback.resolution,
        "refusal_reason": feedback.refusal_reason, "publish_due_at": feedback.publish_due_at,
        "published_at": feedback.published_at, "rating": feedback.rating,
        "version": feedback.version,
        "allowed_actions": services.allowed_actions(user, feedback),
    }


@router.post("/", response={201: FeedbackOut}, summary="Gửi phản ánh, kiến nghị")
def submit(request: HttpRequest, payload: FeedbackIn) -> Any:
    feedback = services.feedback_submit(acting_user=request.user, **payload.dict())
    return Status(201, out(feedback, request.user))


@router.get("/", response=list[FeedbackOut], summary="Phản ánh, kiến nghị tôi được xem")
@paginate(bounded_pagination(100, default=100))
def feedback_list(request: HttpRequest, status: str | None = None,
                  queue: str | None = None) -> Any:
    qs = (selectors.feedback_queue(request.user, queue, timezone.now()) if queue
          else selectors.feedback_visible_to(request.user))
    if status:
        qs = qs.filter(status=status)
    return _Lazy(qs, request.user)


class _Lazy:
    """Sliced by the paginator, then serialised (allowed_actions needs the user)."""

    def __init__(self, qs: Any, user: Any) -> None:
        self.qs, self.user = qs, user

    def __len__(self) -> int:
        return self.qs.count()

    def count(self) -> int:
        return self.qs.count()

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [out(f, self.user) for f in self.qs[item]]


@router.get("/published", response=list[PublishedOut], auth=None,
            summary="Kết quả xử lý phản ánh, kiến nghị đã công khai")
@paginate(bounded_pagination(100, default=100))
def published(request: HttpRequest) -> Any:
    return [
        {"code": f.code, "kind": f.kind, "title": f.title, "content": f.content,
         "agency_name": f.agency.name, "submitted_at": f.submitted_at,
         "handled_at": f.handled_at, "resolution": f.resolution,
         "published_at": f.published_at}
        for f in selectors.feedback_published()[:500]
    ]


@router.get("/{code}", response=FeedbackOut, summary="Chi tiết phản ánh, kiến nghị")
def detail(request: HttpRequest, code: str) -> dict[str, Any]:
    return out(selectors.feedback_get_for_user(request.user, code), request.user)


@router.get("/{code}/events", response=list[FeedbackEventOut], summary="Nhật ký xử lý")
def events(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    feedback = selectors.feedback_get_for_user(request.user, code)
    return [{"at": e.at, "action": e.action, "from_status": e.from_status,
             "to_status": e.to_status, "note": e.note,
             "actor": str(e.actor) if e.actor_id else None}
            for e in selectors.feedback_events(feedback)]


@router.post("/{code}/actions/{action}", response=FeedbackOut, summary="Thực hiện thao tác")
def act(request: HttpRequest, code: str, action: str, payload: FeedbackActionIn) -> dict[str, Any]:
    user = request.user
    feedback = selectors.feedback_get_for_user(user, code)
    version = _if_match(request)
    if action == FeedbackAction.REFUSE:
        feedback = services.feedback_refuse(acting_user=user, feedback=feedback,
                                            reason=payload.reason, expected_version=version)
    elif action == FeedbackAction.REQUEST_SUPPLEMENT:
        feedback = services.feedback_request_supplement(
            acting_user=user, feedback=feedback, reason=payload.reason, expected_version=version)
    elif action == FeedbackAction.SUPPLEMENT:
        feedback = services.feedback_supplement(acting_user=user, feedback=feedback,
                                                content=payload.content)
    elif action == FeedbackAction.RESOLVE:
        feedback = services.feedback_resolve(acting_user=user, feedback=feedback,
                                             resolution=payload.resolution,
                                             expected_version=version)
    elif action == FeedbackAction.PUBLISH:
        feedback = services.feedback_publish(acting_user=user, feedback=feedback,
                                             expected_version=version)
    elif action == FeedbackAction.RATE:
        feedback = services.feedback_rate(acting_user=user, feedback=feedback,
                                          rating=payload.rating)  # type: ignore[arg-type]
    else:
        raise NotFound("Không có thao tác này.", "No such action.", {"action": action})
    feedback.refresh_from_db()
    return out(feedback, user)


def _if_match(request: HttpRequest) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    try:
        return int(raw.strip().strip('"'))
    except ValueError:
        raise ValidationFailed("INVALID_IF_MATCH", "Tiêu đề If-Match phải là số phiên bản.",
                               "If-Match must be a version number.") from None
