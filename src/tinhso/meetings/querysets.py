"""Scoped querysets of meetings (see tinhso.core.scoping).

A meeting's people (its participants — the chair and the secretary are participant rows too)
see it; so do the officials of the organising agency and province admins, who see the meeting,
its agenda and its attendance list. The papers of a meeting (documents per item), the opinions
and the votes are for its people only: not even a province admin reads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from tinhso.core.scoping import NOTHING, ScopedQuerySet, agency_q, either, is_signed_in

if TYPE_CHECKING:  # the models import these querysets
    from tinhso.meetings.models import (  # noqa: F401
        AgendaItem,
        ItemDocument,
        Meeting,
        MeetingEvent,
        Opinion,
        Participant,
        Vote,
    )


def attendee_q(user: Any, prefix: str = "") -> Q:
    """Rows of meetings the user takes part in (as member, chair or secretary)."""
    if not is_signed_in(user):
        return NOTHING
    from tinhso.meetings.models import Participant

    mine = Participant.objects.filter(user_id=user.pk).values("meeting_id")
    return Q(**{f"{prefix}id__in": mine}) if not prefix else Q(**{f"{prefix}_id__in": mine})


def meeting_q(user: Any, prefix: str = "") -> Q | None:
    """Attendees, the organising agency's officials, province admins."""
    field = f"{prefix}__agency_id" if prefix else "agency_id"
    return either(attendee_q(user, prefix), agency_q(user, field))


class MeetingQuerySet(ScopedQuerySet["Meeting"]):
    def scope(self, user: Any) -> Q | None:
        return meeting_q(user)


class AgendaItemQuerySet(ScopedQuerySet["AgendaItem"]):
    def scope(self, user: Any) -> Q | None:
        return meeting_q(user, "meeting")


class ParticipantQuerySet(ScopedQuerySet["Participant"]):
    def scope(self, user: Any) -> Q | None:
        return meeting_q(user, "meeting")


class MeetingEventQuerySet(ScopedQuerySet["MeetingEvent"]):
    def scope(self, user: Any) -> Q | None:
        return meeting_q(user, "meeting")


class ItemDocumentQuerySet(ScopedQuerySet["ItemDocument"]):
    def scope(self, user: Any) -> Q | None:
        return attendee_q(user, "item__meeting")


class OpinionQuerySet(ScopedQuerySet["Opinion"]):
    def scope(self, user: Any) -> Q | None:
        return attendee_q(user, "item__meeting")


class VoteQuerySet(ScopedQuerySet["Vote"]):
    def scope(self, user: Any) -> Q | None:
        return attendee_q(user, "item__meeting")
