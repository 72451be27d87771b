"""Scoped querysets of the IOC tables (see tinhso.core.scoping).

Facts are aggregates without personal data, read within the user's IOC reach
(``tinhso.ioc.scopes.user_reach``: province admins and IOC viewers everything, a district
committee's leaders their district, other officials their agency and the agencies under it).
A notification is its recipient's alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from tinhso.core.scoping import NOTHING, ScopedQuerySet, is_signed_in, owner_q

if TYPE_CHECKING:  # the models import these querysets: names for the type checker only
    from tinhso.ioc.models import DossierFactState, Notification  # noqa: F401


def reach_q(user: Any, agency_field: str, unit_field: str) -> Q | None:
    from tinhso.ioc.scopes import Directory, user_reach

    if not is_signed_in(user) or not getattr(user, "is_official", False):
        return NOTHING
    reach = user_reach(user, Directory())
    if reach.everything:
        return None
    if reach.nothing:
        return NOTHING
    return (Q(**{f"{agency_field}__in": sorted(reach.agency_ids)})
            | Q(**{f"{unit_field}__in": sorted(reach.unit_ids)}))


class FactQuerySet(ScopedQuerySet[Any]):
    """DailyFact, MonthlyFact and OpenMonthFact."""

    def scope(self, user: Any) -> Q | None:
        return reach_q(user, "agency_id", "unit_id")


class DossierFactStateQuerySet(ScopedQuerySet["DossierFactState"]):
    def scope(self, user: Any) -> Q | None:
        return reach_q(user, "agency_id_key", "unit_id_key")


class NotificationQuerySet(ScopedQuerySet["Notification"]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "recipient_id")
