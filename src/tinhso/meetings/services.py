"""Every write of the meetings app: keyword-only arguments, an acting user, one transaction,
one ``MeetingEvent`` row (and an outbox event where other systems care); bad input changes
nothing.

Lifecycle: ``meeting_schedule`` → scheduled → ``meeting_close`` → closed (votes frozen) →
``minutes_generate`` (secretary, PDF) → ``minutes_sign`` (chair, PAdES); or
``meeting_cancel`` → cancelled.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.core import blobs
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.core.text import nfc
from tinhso.meetings import permissions as perms
from tinhso.meetings.models import (
    AgendaItem,
    ItemDocument,
    Meeting,
    MeetingEvent,
    MeetingStatus,
    Opinion,
    Participant,
    ParticipantRole,
    Vote,
    VoteChoice,
)

MAX_TITLE = 300
MAX_TEXT = 10_000
MAX_MINUTES = 50_000
MAX_PARTICIPANTS = 500
MAX_DURATION = dt.timedelta(days=3)


def _now() -> dt.datetime:
    return timezone.now()


def _text(value: Any, field: str, max_len: int, required: bool = True) -> str:
    cleaned = nfc(value if isinstance(value, str) else "").strip()
    if (required and not cleaned) or len(cleaned) > max_len:
        raise ValidationFailed(
            "INVALID_FIELD", f"Trường «{field}» không được để trống và tối đa {max_len} ký tự.",
            f"The field {field!r} must not be empty and has at most {max_len} characters.",
            {"field": field})
    return cleaned


def _event(meeting: Meeting, action: str, *, actor: Any, data: dict[str, Any] | None = None,
           at: dt.datetime | None = None) -> MeetingEvent:
    return MeetingEvent.objects.create(
        meeting=meeting, at=at or _now(), actor=actor if getattr(actor, "pk", None) else None,
        action=action, data=data or {})


def _publish(type_: str, meeting: Meeting, *, actor: Any, at: dt.datetime,
             extra: dict[str, Any] | None = None) -> None:
    from tinhso.outbox.services import event_publish

    event_publish(
        type=type_, aggregate_type="meeting", aggregate_id=meeting.pk,
        agency_id=meeting.agency_id, actor_id=getattr(actor, "pk", None), occurred_at=at,
        payload={"meeting_id": meeting.pk, "slug": meeting.slug, "agency_id": meeting.agency_id,
                 "title": meeting.title, "starts_at": meeting.starts_at.isoformat(),
                 "ends_at": meeting.ends_at.isoformat(), "status": meeting.status,
                 "at": at.isoformat(), **(extra or {})})


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def _require_status(meeting: Meeting, *allowed: str) -> None:
    if meeting.status not in allowed:
        raise Conflict("MEETING_STATUS",
                       f"Cuộc họp đang ở trạng thái «{meeting.get_status_display()}».",
                       f"The meeting is {meeting.status}.",
                       {"status": meeting.status, "allowed": list(allowed)})


def _user(user_id: int, field: str) -> Any:
    from tinhso.accounts.models import User

    found = User.objects.filter(pk=user_id, is_active=True).first()
    if found is None:
        raise ValidationFailed("UNKNOWN_USER", "Không tìm thấy người dùng.", "Unknown user.",
                               {"field": field, "user_id": user_id})
    return found


def new_slug() -> str:
    """Also the video room's name: hard to guess, since Jitsi rooms are open to who knows it."""
    return f"hop-{secrets.token_hex(6)}"


@transaction.atomic
def meeting_schedule(*, acting_user: Any, agency: Any, title: str, starts_at: dt.datetime,
                     ends_at: dt.datetime, chair_id: int, secretary_id: int, place: str = "",
                     description: str = "", participant_ids: list[int] | None = None,
                     invite: bool = True) -> Meeting:
    """An official of ``agency`` schedules a meeting; the chair and secretary take part."""
    if not perms.can_organise(acting_user, getattr(agency, "pk", None)):
        raise PermissionDenied({"agency": getattr(agency, "code", None)})
    title = _text(title, "title", MAX_TITLE)
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValidationFailed("INVALID_TIME", "Thời gian phải có múi giờ.",
                               "Times must carry a time zone.", {"field": "starts_at"})
    if not (2000 <= starts_at.year <= 2100 and 2000 <= ends_at.year <= 2100):
        raise ValidationFailed("INVALID_TIME", "Thời gian họp không hợp lệ.",
                               "The meeting's times are out of range.", {"field": "starts_at"})
    if not (starts_at < ends_at <= starts_at + MAX_DURATION):
        raise ValidationFailed("INVALID_TIME",
                               "Giờ kết thúc phải sau giờ bắt đầu (tối đa 3 ngày).",
                               "The end must follow the start (at most 3 days).",
                               {"field": "ends_at"})
    if starts_at < _now() - dt.timedelta(minutes=5):
        raise ValidationFailed("MEETING_IN_PAST", "Không thể lên lịch cuộc họp đã qua.",
                               "Cannot schedule a meeting in the past.", {"field": "starts_at"})
    ids = list(dict.fromkeys(participant_ids or []))
    if len(ids) > MAX_PARTICIPANTS:
        raise ValidationFailed("TOO_MANY_PARTICIPANTS", "Quá nhiều thành phần tham dự.",
                               "Too many participants.", {"max": MAX_PARTICIPANTS})
    chair, secretary = _user(chair_id, "chair_id"), _user(secretary_id, "secretary_id")
    if chair.pk == secretary.pk:
        raise ValidationFailed("CHAIR_IS_SECRETARY", "Chủ trì và thư ký phải là hai người khác "
                               "nhau.", "The chair and the secretary must differ.",
                               {"field": "secretary_id"})
    meeting = Meeting.objects.create(
        agency=agency, slug=new_slug(), title=title,
        description=_text(description, "description", MAX_TEXT, required=False),
        starts_at=starts_at, ends_at=ends_at, place=_text(place, "place", 300, required=False),
        chair=chair, secretary=secretary, created_by=acting_user)
    Participant.objects.create(meeting=meeting, user=chair, role=ParticipantRole.CHAIR)
    Participant.objects.create(meeting=meeting, user=secretary, role=ParticipantRole.SECRETARY)
    for user_id in ids:
        if user_id not in (chair.pk, secretary.pk):
            Participant.objects.create(meeting=meeting, user=_user(user_id, "participant_ids"))
    at = _now()
    _event(meeting, "schedule", actor=acting_user, at=at,
           data={"participants": meeting.participants.count()})
    _publish("meeting.scheduled", meeting, actor=acting_user, at=at)
    if invite:
        from tinhso.meetings.invitations import invitations_send

        invitations_send(meeting=meeting, acting_user=acting_user)
    return meeting


@transaction.atomic
def meeting_cancel(*, acting_user: Any, meeting: Meeting, reason: str) -> Meeting:
    perms.require_manager(acting_user, meeting)
    meeting = _lock(meeting)
    _require_status(meeting, MeetingStatus.SCHEDULED)
    reason = _text(reason, "reason", 2000)
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status"])
    at = _now()
    _event(meeting, "cancel", actor=acting_user, at=at, data={"reason": reason})
    _publish("meeting.cancelled", meeting, actor=acting_user, at=at, extra={"reason": reason})
    return meeting


@transaction.atomic
def participant_add(*, acting_user: Any, meeting: Meeting, user_id: int,
                    role: str = ParticipantRole.MEMBER) -> Participant:
    perms.require_manager(acting_user, meeting)
    _require_status(meeting, MeetingStatus.SCHEDULED)
    if role not in (ParticipantRole.MEMBER, ParticipantRole.GUEST):
        raise ValidationFailed("INVALID_ROLE", "Vai trò không hợp lệ.", "Invalid role.",
                               {"allowed": [ParticipantRole.MEMBER, ParticipantRole.GUEST]})
    user = _user(user_id, "user_id")
    try:
        with transaction.atomic():
            participant = Participant.objects.create(meeting=meeting, user=user, role=role)
    except IntegrityError:
        raise Conflict("ALREADY_PARTICIPANT", "Người này đã có trong thành phần tham dự.",
                       "Already a participant.", {"user_id": user_id}) from None
    _event(meeting, "participant_add", actor=acting_user, data={"user_id": user.pk,
                                                                "role": role})
    return participant


@transaction.atomic
def agenda_item_add(*, acting_user: Any, meeting: Meeting, title: str, presenter: str = "",
                    voting: bool = False) -> AgendaItem:
    perms.require_manager(acting_user, meeting)
    meeting = _lock(meeting)
    _require_status(meeting, MeetingStatus.SCHEDULED)
    last = meeting.items.order_by("-position").values_list("position", flat=True).first()
    item = AgendaItem.objects.create(
        meeting=meeting, position=(last or 0) + 1, title=_text(title, "title", MAX_TITLE),
        presenter=_text(presenter, "presenter", 200, required=False), voting=bool(voting))
    _event(meeting, "item_add", actor=acting_user, data={"item_id": item.pk})
    return item


@transaction.atomic
def item_document_add(*, acting_user: Any, item: AgendaItem, name: str,
                      content: bytes) -> ItemDocument:
    """A paper for one agenda item (PDF/JPEG/PNG, checked by content like dossier files)."""
    from tinhso.dossiers.uploads import check_upload

    meeting = item.meeting
    perms.require_manager(acting_user, meeting)
    _require_status(meeting, MeetingStatus.SCHEDULED)
    from django.core.files.uploadedfile import SimpleUploadedFile

    checked = check_upload("meeting", SimpleUploadedFile(name or "tai-lieu", content))
    blob = blobs.put(checked.content, area="meetings", sha256=checked.sha256)
    document = ItemDocument.objects.create(
        item=item, name=_text(checked.original_name, "name", 200), file=blob.name,
        content_type=checked.content_type, sha256=blob.sha256, size=blob.size,
        uploaded_by=acting_user)
    _event(meeting, "document_add", actor=acting_user,
           data={"item_id": item.pk, "document_id": document.pk, "sha256": blob.sha256})
    return document


@transaction.atomic
def opinion_add(*, acting_user: Any, item: AgendaItem, text: str) -> Opinion:
    meeting = item.meeting
    perms.require_attendee(acting_user, meeting)
    _require_status(meeting, MeetingStatus.SCHEDULED)
    opinion = Opinion.objects.create(item=item, author=acting_user,
                                     text=_text(text, "text", MAX_TEXT))
    _event(meeting, "opinion", actor=acting_user, data={"item_id": item.pk,
                                                        "opinion_id": opinion.pk})
    return opinion


@transaction.atomic
def vote_cast(*, acting_user: Any, item: AgendaItem, choice: str) -> Vote:
    """One vote per voter and item; a new choice replaces the old one until voting closes."""
    item = (AgendaItem.objects.select_for_update(of=("self",))
            .select_related("meeting").get(pk=item.pk))
    meeting = item.meeting
    participant = perms.require_attendee(acting_user, meeting)
    if not perms.can_vote(participant):
        raise PermissionDenied({"role": participant.role, "need": "member or chair"})
    if choice not in VoteChoice.values:
        raise ValidationFailed("INVALID_CHOICE", "Lựa chọn biểu quyết không hợp lệ.",
                               "Invalid vote choice.", {"allowed": list(VoteChoice.values)})
    if not item.voting or not item.voting_open or meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict("VOTING_CLOSED", "Nội dung này không (còn) biểu quyết.",
                       "Voting on this item is not open.", {"item_id": item.pk})
    vote, created = Vote.objects.update_or_create(
        item=item, voter=acting_user, defaults={"choice": choice, "updated_at": _now()})
    _event(meeting, "vote" if created else "vote_change", actor=acting_user,
           data={"item_id": item.pk, "choice": choice})
    return vote


def _close_voting(item: AgendaItem, at: dt.datetime) -> None:
    if item.voting and item.voting_closed_at is None:
        item.voting_closed_at = at
        item.save(update_fields=["voting_closed_at"])


@transaction.atomic
def item_voting_close(*, acting_user: Any, item: AgendaItem) -> AgendaItem:
    item = (AgendaItem.objects.select_for_update(of=("self",))
            .select_related("meeting").get(pk=item.pk))
    perms.require_manager(acting_user, item.meeting)
    if not item.voting_open:
        raise Conflict("VOTING_CLOSED", "Nội dung này không (còn) biểu quyết.",
                       "Voting on this item is not open.", {"item_id": item.pk})
    at = _now()
    _close_voting(item, at)
    _event(item.meeting, "voting_close", actor=acting_user, at=at,
           data={"item_id": item.pk, "results": vote_results(item)})
    return item


def vote_results(item: AgendaItem) -> dict[str, int]:
    counts = {choice: 0 for choice in VoteChoice.values}
    for choice in item.votes.values_list("choice", flat=True):
        counts[choice] += 1
    return counts


@transaction.atomic
def meeting_check_in(*, acting_user: Any, meeting: Meeting, token: str,
                     now: dt.datetime | None = None) -> Participant:
    """The participant scanned the door's QR code: signed token, right meeting, time window."""
    from tinhso.meetings.checkin import check_window, token_meeting_slug

    if token_meeting_slug(token) != meeting.slug:
        raise ValidationFailed("CHECKIN_TOKEN_INVALID", "Mã QR điểm danh không hợp lệ.",
                               "The check-in code is invalid.", {"meeting": meeting.slug})
    _require_status(meeting, MeetingStatus.SCHEDULED)
    now = now or _now()
    check_window(meeting, now)
    participant = perms.require_attendee(acting_user, meeting)
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.checked_in_at is None:
        participant.checked_in_at = now
        participant.save(update_fields=["checked_in_at"])
        _event(meeting, "check_in", actor=acting_user, at=now,
               data={"participant_id": participant.pk})
    return participant


@transaction.atomic
def meeting_close(*, acting_user: Any, meeting: Meeting) -> Meeting:
    """The chair (or secretary/organiser) closes the meeting: every open vote is frozen."""
    perms.require_manager(acting_user, meeting)
    meeting = _lock(meeting)
    _require_status(meeting, MeetingStatus.SCHEDULED)
    at = _now()
    results = {}
    for item in meeting.items.select_for_update():
        _close_voting(item, at)
        if item.voting:
            results[str(item.pk)] = vote_results(item)
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = at
    meeting.save(update_fields=["status", "closed_at"])
    attended = meeting.participants.filter(checked_in_at__isnull=False).count()
    _event(meeting, "close", actor=acting_user, at=at, data={"results": results,
                                                             "attended": attended})
    _publish("meeting.closed", meeting, actor=acting_user, at=at,
             extra={"attended": attended, "participants": meeting.participants.count()})
    return meeting

