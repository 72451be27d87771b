"""Row scoping by construction (NetBox's ``restrict()``): ``Model.objects.visible_to(user)``.

Every model that holds personal or agency data has a default manager built from a
``ScopedQuerySet`` subclass whose ``visible_to(user)`` returns exactly the rows that user may see
(see docs/security.md#row-scoping). Selectors start from it; views and APIs call selectors.
``tests/core/test_scoping.py`` lists every model of the tinhso apps and fails when one without an
explicit, commented exemption lacks ``visible_to``.

The rules are written once here as ``Q`` builders with a path prefix, so a child row (a dossier's
event, a payment's attempt) is scoped by the same rule as its parent, in the same SQL query:

- ``dossier_q``: officials see their agency's dossiers (province admins all, through
  ``tinhso.accounts.permissions.visible_agency_ids``, the one choke point); applicants their own.
- ``agency_q``: rows an agency owns (issued documents, the certification register): officials of
  that agency, province admins and superusers.
- ``owner_q``: rows that belong to one account (drafts, notifications, sign-in links).

Anonymous and inactive users see nothing anywhere.
"""

from __future__ import annotations

from typing import Any, Self, TypeVar

from django.db import models
from django.db.models import Q

_M = TypeVar("_M", bound=models.Model)

# A condition no row satisfies (``pk IN ()``: Django answers it without querying).
NOTHING = Q(pk__in=[])


def is_signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and getattr(user, "is_active", False))


def is_province_wide(user: Any) -> bool:
    """Superusers and province admins read every agency's rows (no personal exception)."""
    return is_signed_in(user) and bool(
        user.is_superuser or getattr(user, "is_province_admin", False))


def dossier_q(user: Any, prefix: str = "") -> Q | None:
    """Rows of dossiers the user may see; ``None`` means every row (province admins)."""
    from tinhso.accounts.permissions import visible_agency_ids

    if not is_signed_in(user):
        return NOTHING
    if getattr(user, "is_official", False):
        ids = visible_agency_ids(user)
        return None if ids is None else Q(**{f"{prefix}agency_id__in": sorted(ids)})
    return Q(**{f"{prefix}applicant_id": user.pk})


def agency_q(user: Any, field: str = "agency_id") -> Q | None:
    """Rows owned by an agency: its officials, province admins and superusers."""
    if not is_signed_in(user):
        return NOTHING
    if is_province_wide(user):
        return None
    if getattr(user, "is_official", False) and user.agency_id is not None:
        return Q(**{field: user.agency_id})
    return NOTHING


def owner_q(user: Any, field: str) -> Q:
    """Rows that belong to one account (``field`` names the foreign key's column)."""
    if not is_signed_in(user):
        return NOTHING
    return Q(**{field: user.pk})


def either(*conditions: Q | None) -> Q | None:
    """OR of scopes; ``None`` (everything) wins."""
    result = NOTHING
    for condition in conditions:
        if condition is None:
            return None
        if condition is not NOTHING:
            result = condition if result is NOTHING else result | condition
    return result


class ScopedQuerySet(models.QuerySet[_M]):
    """Base of every scoped queryset: subclasses define ``scope(user)``."""

    def scope(self, user: Any) -> Q | None:  # pragma: no cover - always overridden
        raise NotImplementedError

    def visible_to(self, user: Any) -> Self:
        """The rows ``user`` may see (an empty queryset for anonymous or inactive users)."""
        condition = self.scope(user)
        if condition is None:
            return self
        if condition is NOTHING:
            return self.none()
        return self.filter(condition)
