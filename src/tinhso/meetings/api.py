"""/api/v1/meetings: schedule meetings, agenda, papers, check-in, opinions, votes, minutes.

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import AwareDatetime, StrictBool

from tinhso.core.errors import ValidationFailed
from tinhso.core.paging import bounded_pagination
from tinhso.meetings import checkin, minutes, permissions, selectors, services
from tinhso.meetings.models import Meeting, ParticipantRole, VoteChoice

router = Router(tags=["meetings"])

_TEXT = r"\S"
UserId = Annotated[int, Field(ge=1, le=2_147_483_647)]
Slug = Annotated[str, Field(max_length=40)]


class MeetingScheduleIn(Schema):
    agency_code: str | None = Field(None, max_length=40,
                                    description="default: the organiser's agency")
    title: str = Field(..., max_length=services.MAX_TITLE, json_schema_extra={"pattern": _TEXT})
    description: str = Field("", max_length=services.MAX_TEXT)
    place: str = Field("", max_length=300)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    chair_id: UserId
    secretary_id: UserId
    participant_ids: list[UserId] = Field(default_factory=list,
                                          max_length=services.MAX_PARTICIPANTS)
    invite: StrictBool = True


class MeetingItemOut(Schema):
    id: int
    position: int
    title: str
    presenter: str
    voting: bool
    voting_open: bool
    results: dict[str, int] | None
    my_vote: str | None
    documents: list[dict[str, Any]]
    opinions: list[dict[str, Any]]


class MeetingParticipantOut(Schema):
    user_id: int
    name: str
    role: str
    role_label: str
    checked_in_at: dt.datetime | None


class MeetingOut(Schema):
    slug: str
    title: str
    description: str
    agency: str
    agency_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    video_url: str
    status: str
    chair_id: int
    secretary_id: int
    closed_at: dt.datetime | None
    minutes_generated_at: dt.datetime | None
    minutes_signed_at: dt.datetime | None
    minutes_url: str | None


class MeetingDetailOut(MeetingOut):
    my_role: str | None
    my_role_label: str | None
    can_manage: bool
    items: list[MeetingItemOut]
    participants: list[MeetingParticipantOut]


class MeetingCancelIn(Schema):
    reason: str = Field(..., max_length=2000, json_schema_extra={"pattern": _TEXT})


class MeetingParticipantIn(Schema):
    user_id: UserId
    role: str = Field(ParticipantRole.MEMBER, json_schema_extra={
        "enum": [ParticipantRole.MEMBER, ParticipantRole.GUEST]})


class MeetingItemIn(Schema):
    title: str = Field(..., max_length=services.MAX_TITLE, json_schema_extra={"pattern": _TEXT})
    presenter: str = Field("", max_length=200)
    voting: StrictBool = False


class MeetingOpinionIn(Schema):
    text: str = Field(..., max_length=services.MAX_TEXT, json_schema_extra={"pattern": _TEXT})


class MeetingVoteIn(Schema):
    choice: str = Field(..., json_schema_extra={"enum": list(VoteChoice.values)})


class MeetingCheckInIn(Schema):
    token: str = Field(..., max_length=300)


class MeetingMinutesIn(Schema):
    text: str = Field(..., max_length=services.MAX_MINUTES, json_schema_extra={"pattern": _TEXT})


def out(meeting: Meeting) -> dict[str, Any]:
    return {
        "slug": meeting.slug, "title": meeting.title, "description": meeting.description,
        "agency": meeting.agency.code, "agency_name": meeting.agency.name,
        "starts_at": meeting.starts_at, "ends_at": meeting.ends_at, "place": meeting.place,
        "video_url": meeting.video_url, "status": meeting.status,
        "chair_id": meeting.chair_id, "secretary_id": meeting.secretary_id,
        "closed_at": meeting.closed_at, "minutes_generated_at": meeting.minutes_generated_at,
        "minutes_signed_at": meeting.minutes_signed_at,
        "minutes_url": reverse("meetings:minutes", args=[meeting.slug])
        if meeting.minutes_file else None,
    }


def detail_out(user: Any, meeting: Meeting) -> dict[str, Any]:
    seat = permissions.seat(user, meeting)
    documents: dict[int, list[dict[str, Any]]] = {}
    for d in selectors.documents_of(user, meeting):
        documents.setdefault(d.item_id, []).append({
            "id": d.pk, "name": d.name, "size": d.size, "sha256": d.sha256,
            "url": reverse("meetings:document", args=[meeting.slug, d.pk])})
    opinions: dict[int, list[dict[str, Any]]] = {}
    for o in selectors.opinions_of(user, meeting):
        opinions.setdefault(o.item_id, []).append({"author": str(o.author), "text": o.text,
                                                   "at": o.created_at.isoformat()})
    mine = dict(selectors.votes_of(user, meeting).filter(voter_id=getattr(user, "pk", None))
                .values_list("item_id", "choice"))
    items = []
    for item in selectors.items_of(user, meeting):
        items.append({
            "id": item.pk, "position": item.position, "title": item.title,
            "presenter": item.presenter, "voting": item.voting, "voting_open": item.voting_open,
            "results": services.vote_results(item) if item.voting and seat else None,
            "my_vote": mine.get(item.pk), "documents": documents.get(item.pk, []),
            "opinions": opinions.get(item.pk, [])})
    return {**out(meeting), "my_role": seat.role if seat else None,
            "my_role_label": seat.get_role_display() if seat else None,
            "can_manage": permissions.can_manage(user, meeting), "items": items,
            "participants": [{"user_id": p.user_id, "name": str(p.user), "role": p.role,
                              "role_label": p.get_role_display(),
                              "checked_in_at": p.checked_in_at}
                             for p in selectors.participants_of(user, meeting)]}


@router.get("/", response=list[MeetingOut], summary="Cuộc họp tôi được xem")
@paginate(bounded_pagination(100, default=100))
def meeting_list(request: HttpRequest, status: str | None = None) -> Any:
    qs = selectors.meetings_visible_to(request.user)
    if status:
        qs = qs.filter(status=status)
    return [out(m) for m in qs[:1000]]


@router.post("/", response={201: MeetingDetailOut}, summary="Lên lịch cuộc họp")
def schedule(request: HttpRequest, payload: MeetingScheduleIn) -> Any:
    from tinhso.units.selectors import agency_choices

    user = request.user
    agency = None
    if payload.agency_code:
        agency = agency_choices().filter(code=payload.agency_code).first()
    else:
        agency = getattr(user, "agency", None)
    if agency is None:
        raise ValidationFailed("AGENCY_REQUIRED", "Không xác định được cơ quan tổ chức.",
                               "Unknown organising agency.", {"field": "agency_code"})
    meeting = services.meeting_schedule(
        acting_user=user, agency=agency, title=payload.title, description=payload.description,
        place=payload.place, starts_at=payload.starts_at, ends_at=payload.ends_at,
        chair_id=payload.chair_id, secretary_id=payload.secretary_id,
        participant_ids=payload.participant_ids, invite=payload.invite)
    return Status(201, detail_out(user, selectors.meeting_get_for_user(user, meeting.slug)))


@router.get("/{slug}", response=MeetingDetailOut, summary="Chi tiết cuộc họp")
def detail(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    return detail_out(request.user, selectors.meeting_get_for_user(request.user, slug))


def _reload(request: HttpRequest, slug: str) -> dict[str, Any]:
    return detail_out(request.user, selectors.meeting_get_for_user(request.user, slug))


@router.post("/{slug}/cancel", response=MeetingDetailOut, summary="Hủy cuộc họp")
def cancel(request: HttpRequest, slug: Slug, payload: MeetingCancelIn) -> dict[str, Any]:
    meeting = selectors.meeting_get_for_user(request.user, slug)
    services.meeting_cancel(acting_user=request.user, meeting=meeting, reason=payload.reason)
    return _reload(request, slug)


@router.post("/{slug}/participants", response=MeetingDetailOut, summary="Thêm thành phần")
def add_participant(request: HttpRequest, slug: Slug,
                    payload: MeetingParticipantIn) -> dict[str, Any]:
    meeting = selectors.meeting_get_for_user(request.user, slug)
    services.participant_add(acting_user=request.user, meeting=meeting,
                             user_id=payload.user_id, role=payload.role)
    return _reload(request, slug)


@router.post("/{slug}/items", response=MeetingDetailOut, summary="Thêm nội dung họp")
def add_item(request: HttpRequest, slug: Slug, payload: MeetingItemIn) -> dict[str, Any]:
    meeting = selectors.meeting_get_for_user(request.user, slug)
    services.agenda_item_add(acting_user=request.user, meeting=meeting, title=payload.title,
                             presenter=payload.presenter, voting=payload.voting)
    return _reload(request, slug)


ItemId = Annotated[int, Field(ge=1, le=2_147_483_647)]


@router.post("/{slug}/items/{item_id}/documents", response=MeetingDetailOut,
             summary="Tải lên tài liệu họp")
def add_document(request: HttpRequest, slug: Slug, item_id: ItemId,
                 file: File[UploadedFile]) -> dict[str, Any]:
    from django.conf import settings

    meeting = selectors.meeting_get_for_user(request.user, slug)
    item = selectors.item_get(request.user, meeting, item_id)
    if file.size is not None and file.size > settings.TINHSO_MAX_UPLOAD_BYTES:
        raise ValidationFailed("FILE_TOO_LARGE", "Tệp quá lớn.", "The file is too large.",
                               {"limit": settings.TINHSO_MAX_UPLOAD_BYTES})
    services.item_document_add(acting_user=request.user, item=item, name=file.name or "",
                               content=file.read())
    return _reload(request, slug)


@router.post("/{slug}/items/{item_id}/opinions", response=MeetingDetailOut,
             summary="Góp ý kiến")
def add_opinion(request: HttpRequest, slug: Slug, item_id: ItemId,
                payload: MeetingOpinionIn) -> dict[str, Any]:
    meeting = selectors.meeting_get_for_user(request.user, slug)
    services.opinion_add(acting_user=request.user,
                         item=selectors.item_get(request.user, meeting, item_id),
                         text=payload.text)
    return _reload(request, slug)


@router.post("/{slug}/items/{item_id}/vote", response=MeetingDetailOut, summary="Biểu quyết")
def vote(request: HttpRequest, slug: Slug, item_id: ItemId,
         payload: MeetingVoteIn) -> dict[str, Any]:
    meeting = selectors.meeting_get_for_user(request.user, slug)
    services.vote_cast(acting_user=request.user,
                       item=selectors.item_get(request.user, meeting, item_id),
                       choice=payload.choice)
    return _reload(request, slug)


@router.post("/{slug}/items/{item_id}/close-voting", response=MeetingDetailOut,
             summary="Kết thúc biểu quyết")
def close_voting(request: HttpRequest, slug: Slug, item_id: ItemId) -> dict[str, Any]:
    meeting = selectors.meeting_get_for_user(request.user, slug)
    services.item_voting_close(acting_user=request.user,
                               item=selectors.item_get(request.user, meeting, item_id))
    return _reload(request, slug)


@router.post("/{slug}/check-in", response=MeetingDetailOut, summary="Điểm danh (mã QR)")
def check_in(request: HttpRequest, slug: Slug, payload: MeetingCheckInIn) -> dict[str, Any]:
    meeting = selectors.meeting_get_for_user(request.user, slug)
    services.meeting_check_in(acting_user=request.user, meeting=meeting, token=payload.token)
    return _reload(request, slug)


@router.get("/{slug}/check-in-code", response=dict[str, str],
            summary="Mã QR điểm danh tại cửa phòng họp")
def check_in_code(request: HttpRequest, slug: Slug) -> dict[str, str]:
    meeting = selectors.meeting_get_for_user(request.user, slug)
    permissions.require_manager(request.user, meeting)
    return {"url": checkin.checkin_url(meeting), "token": checkin.token_for(meeting)}


@router.post("/{slug}/close", response=MeetingDetailOut, summary="Kết thúc cuộc họp")
def close(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    meeting = selectors.meeting_get_for_user(request.user, slug)
    services.meeting_close(acting_user=request.user, meeting=meeting)
    return _reload(request, slug)


@router.post("/{slug}/minutes", response=MeetingDetailOut, summary="Lập biên bản (thư ký)")
def write_minutes(request: HttpRequest, slug: Slug, payload: MeetingMinutesIn) -> dict[str, Any]:
    meeting = selectors.meeting_get_for_user(request.user, slug)
    minutes.minutes_generate(acting_user=request.user, meeting=meeting, text=payload.text)
    return _reload(request, slug)


@router.post("/{slug}/minutes/sign", response=MeetingDetailOut,
             summary="Ký số biên bản (chủ trì)")
def sign_minutes(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    meeting = selectors.meeting_get_for_user(request.user, slug)
    minutes.minutes_sign(acting_user=request.user, meeting=meeting)
    return _reload(request, slug)

