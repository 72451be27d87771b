"""Who may do what with correspondence.

- Drafting: any active official of the agency (specialists usually).
- Head of unit: the ``head`` of the drafting ``OrgUnit`` (a phòng/ban of the agency). When the
  draft has no unit, the unit has no head, or the author is the head, that step is skipped.
- Leader: an official of the agency with the ``leader`` role approves and signs personally.
- Clerk (văn thư): the ``clerk`` role seals (agency signature), releases, registers incoming
  documents; leaders and clerks assign incoming documents; the assigned unit's head and the
  handler handle them.
"""

from __future__ import annotations

from typing import Any

from tinhso.accounts.models import Role
from tinhso.accounts.permissions import is_active_official
from tinhso.core.errors import PermissionDenied


def official_of(user: Any, agency_id: int | None) -> bool:
    return is_active_official(user) and agency_id is not None and user.agency_id == agency_id


def require_official_of(user: Any, agency_id: int | None) -> None:
    if not official_of(user, agency_id):
        raise PermissionDenied({"reason": "not_an_official_of_the_agency"})


def require_role(user: Any, agency_id: int | None, *roles: str) -> None:
    require_official_of(user, agency_id)
    if not user.has_role(*roles):
        raise PermissionDenied({"required_roles": list(roles)})


def is_leader(user: Any, agency_id: int | None) -> bool:
    return official_of(user, agency_id) and user.has_role(Role.LEADER)


def is_clerk(user: Any, agency_id: int | None) -> bool:
    return official_of(user, agency_id) and user.has_role(Role.CLERK)
