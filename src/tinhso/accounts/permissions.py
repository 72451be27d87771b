"""The one choke point for row-level access by agency, and role checks.

Rule (issue 2): an official sees and acts only on dossiers of their own agency; province admins
see and act on all. Decision: a leader of a district People's Committee does NOT automatically
see the dossiers of the commune committees or branches under it — the issue scopes by "their
agency", and the one-stop rules make each agency answerable for its own dossiers. Supervision
across agencies goes through the aggregated dashboards (``dashboard_agency_ids``), not through
dossier lists.

Every selector that returns agency-owned rows filters with ``visible_agency_ids``::

    ids = visible_agency_ids(user)
    qs = Dossier.objects.all() if ids is None else Dossier.objects.filter(agency_id__in=ids)
"""

from __future__ import annotations

from typing import Any

from tinhso.accounts.models import AccountKind, Role
from tinhso.core.errors import PermissionDenied

# Roles that may manage other officials, their roles and API tokens.
ADMIN_ROLES = (Role.AGENCY_ADMIN, Role.PROVINCE_ADMIN)


def is_active_official(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "kind", None) == AccountKind.OFFICIAL
    )


def is_province_admin(user: Any) -> bool:
    return is_active_official(user) and user.has_role(Role.PROVINCE_ADMIN)


def visible_agency_ids(user: Any) -> set[int] | None:
    """Agencies whose dossiers the user may see and act on; ``None`` means all (province admin).

    Applicants (citizens, organisations), anonymous and inactive users, and officials without an
    agency get the empty set: applicants see their own dossiers through the applicant scope, not
    an agency scope.
    """
    if not is_active_official(user):
        return set()
    if user.has_role(Role.PROVINCE_ADMIN):
        return None
    if user.agency_id is None:
        return set()
    return {user.agency_id}


def can_act_on_agency(user: Any, agency_id: int | None) -> bool:
    """May the user see/act on rows owned by this agency?"""
    if agency_id is None:
        return False
    ids = visible_agency_ids(user)
    return ids is None or agency_id in ids


def dashboard_agency_ids(user: Any) -> set[int] | None:
    """Scope of aggregated (IOC) dashboards: all for province admins and IOC viewers.

    Aggregates reveal no personal data, so provincial leaders watching the IOC see the whole
    province; for everyone else it is the same as ``visible_agency_ids``.
    """
    if is_active_official(user) and user.has_role(Role.IOC_VIEWER):
        return None
    return visible_agency_ids(user)


def require_role(user: Any, *roles: str) -> None:
    """Raise ``PermissionDenied`` unless the user is an active official holding one of ``roles``.

    Roles are not implied by one another: a province admin who must also receive dossiers holds
    the receiver role too. Callers that want admins to pass list the admin roles explicitly.
    """
    if not is_active_official(user) or not user.has_role(*roles):
        raise PermissionDenied({"required_roles": sorted(str(r) for r in roles)})


def require_agency(user: Any, agency_id: int | None) -> None:
    """Raise ``PermissionDenied`` unless the user may act on rows of this agency."""
    if not can_act_on_agency(user, agency_id):
        raise PermissionDenied({"agency_id": agency_id})


# Roles that reach beyond one agency: only a province admin grants them or manages their holders.
PROVINCE_WIDE_ROLES = (Role.PROVINCE_ADMIN, Role.IOC_VIEWER)


def can_manage_user(acting_user: Any, user: Any) -> bool:
    """Province admins manage everyone; an agency admin manages the officials of their agency
    who are neither superusers nor holders of a province-wide role — else an agency admin could
    mint an API token for (or set the password of) a province admin of their agency and act
    with the province's rights."""
    if is_province_admin(acting_user):
        return True
    return bool(
        is_active_official(acting_user)
        and acting_user.has_role(Role.AGENCY_ADMIN)
        and acting_user.agency_id is not None
        and getattr(user, "kind", None) == AccountKind.OFFICIAL
        and user.agency_id == acting_user.agency_id
        and not user.is_superuser
        and (user.pk is None or not user.has_role(*PROVINCE_WIDE_ROLES))  # unsaved: no roles yet
    )


def can_grant_role(acting_user: Any, user: Any, role: str) -> bool:
    """Agency admins may grant the working roles in their agency (and agency admin itself);
    province-wide roles (province admin, IOC viewer) only a province admin may grant."""
    if role not in Role.values:
        return False
    if is_province_admin(acting_user):
        return True
    if role in PROVINCE_WIDE_ROLES:
        return False
    return can_manage_user(acting_user, user)
