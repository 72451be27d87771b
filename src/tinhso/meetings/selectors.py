"""Reads of meetings, already scoped (``visible_to``): views and the API start here."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from tinhso.core.errors import NotFound
from tinhso.meetings.models import (
    AgendaItem,
    ItemDocument,
    Meeting,
    MeetingEvent,
    Opinion,
    Participant,
    Vote,
)


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    return (Meeting.objects.visible_to(user).select_related("agency", "chair", "secretary")
            .annotate(n_participants=Count("participants", distinct=True),
                      n_present=Count("participants", distinct=True,
                                      filter=Q(participants__checked_in_at__isnull=False)))
            .order_by("-starts_at", "-id"))


def meeting_get_for_user(user: Any, slug: str) -> Meeting:
    meeting = meetings_visible_to(user).filter(slug=slug).first()
    if meeting is None:
        raise NotFound("Không tìm thấy cuộc họp.", "Meeting not found.", {"slug": slug})
    return meeting


def meeting_or_404(user: Any, slug: str) -> Meeting:
    try:
        return meeting_get_for_user(user, slug)
    except NotFound:
        raise Http404(slug) from None


def items_of(user: Any, meeting: Meeting) -> QuerySet[AgendaItem]:
    return AgendaItem.objects.visible_to(user).filter(meeting=meeting).order_by("position")


def item_get(user: Any, meeting: Meeting, item_id: int) -> AgendaItem:
    item = items_of(user, meeting).select_related("meeting").filter(pk=item_id).first()
    if item is None:
        raise NotFound("Không tìm thấy nội dung họp.", "Agenda item not found.",
                       {"item_id": item_id})
    return item


def participants_of(user: Any, meeting: Meeting) -> QuerySet[Participant]:
    return (Participant.objects.visible_to(user).filter(meeting=meeting)
            .select_related("user").order_by("id"))


def documents_of(user: Any, meeting: Meeting) -> QuerySet[ItemDocument]:
    """Papers: the meeting's participants only (empty for everyone else)."""
    return ItemDocument.objects.visible_to(user).filter(item__meeting=meeting).order_by("id")


def document_get(user: Any, meeting: Meeting, document_id: int) -> ItemDocument:
    document = documents_of(user, meeting).filter(pk=document_id).first()
    if document is None:
        raise NotFound("Không tìm thấy tài liệu.", "Document not found.",
                       {"document_id": document_id})
    return document


def opinions_of(user: Any, meeting: Meeting) -> QuerySet[Opinion]:
    return (Opinion.objects.visible_to(user).filter(item__meeting=meeting)
            .select_related("author").order_by("created_at", "id"))


def votes_of(user: Any, meeting: Meeting) -> QuerySet[Vote]:
    return Vote.objects.visible_to(user).filter(item__meeting=meeting)


def events_of(user: Any, meeting: Meeting) -> QuerySet[MeetingEvent]:
    return (MeetingEvent.objects.visible_to(user).filter(meeting=meeting)
            .select_related("actor").order_by("at", "id"))


def candidates(user: Any) -> QuerySet[Any]:
    """People an organiser may invite: the accounts the organiser may see (own agency's
    officials; every official for province admins)."""
    from tinhso.accounts.models import AccountKind, User

    return (User.objects.visible_to(user).filter(kind=AccountKind.OFFICIAL, is_active=True)
            .select_related("agency").order_by("full_name", "username"))
