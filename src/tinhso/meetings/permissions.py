"""Who may do what in a meeting.

- Organise (schedule a meeting): officials of the agency (or province admins).
- Manage (agenda, papers, participants, voting, closing): the organiser, the chair, the
  secretary.
- Attend (read the papers, give opinions, check in): the meeting's participants.
- Vote: participants whose role votes (members and the chair).
- Write the minutes: the secretary; sign them: the chair.
"""

from __future__ import annotations

from typing import Any

from tinhso.accounts.permissions import can_act_on_agency
from tinhso.core.errors import PermissionDenied
from tinhso.meetings.models import VOTING_ROLES, Meeting, Participant


def seat(user: Any, meeting: Meeting) -> Participant | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Participant.objects.filter(meeting=meeting, user_id=user.pk).first()


def can_organise(user: Any, agency_id: int | None) -> bool:
    return bool(getattr(user, "is_official", False)) and can_act_on_agency(user, agency_id)


def can_manage(user: Any, meeting: Meeting) -> bool:
    pk = getattr(user, "pk", None)
    return pk is not None and pk in {meeting.created_by_id, meeting.chair_id, meeting.secretary_id}


def require_manager(user: Any, meeting: Meeting) -> None:
    if not can_manage(user, meeting):
        raise PermissionDenied({"meeting": meeting.slug, "need": "organiser, chair or secretary"})


def require_attendee(user: Any, meeting: Meeting) -> Participant:
    found = seat(user, meeting)
    if found is None:
        raise PermissionDenied({"meeting": meeting.slug, "need": "participant"})
    return found


def can_vote(participant: Participant | None) -> bool:
    return participant is not None and participant.role in VOTING_ROLES
