"""Scoped querysets of the trace app (see tinhso.core.scoping).

A trace party's account, locations, GTIN prefixes and capture jobs are its own (and the province's
admins'). Full events (quantities, trading partners) are the capturing party's and the
province's, or anyone's when the party opted in (docs/decisions/0020); the ledger's hashes and
proofs, products, certificates and the lots' journeys stay public (decision 0012).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tinhso.core.scoping import (
    NOTHING,
    ScopedQuerySet,
    either,
    is_province_wide,
    is_signed_in,
    owner_q,
)


class PartyQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return None if is_province_wide(user) else owner_q(user, "user_id")


class PartyChildQuerySet(ScopedQuerySet[Any]):
    """Rows of one party (its locations, prefixes, capture jobs)."""

    def scope(self, user: Any) -> Q | None:
        return either(None if is_province_wide(user) else owner_q(user, "party__user_id"))


class EventQuerySet(ScopedQuerySet[Any]):
    """Captured events: the capturing party's, the province's, and those of parties that made
    their events public (decision 0020)."""

    def scope(self, user: Any) -> Q | None:
        if is_province_wide(user):
            return None
        from tinhso.trace.models import TraceParty

        parties = Q(events_public=True)
        if is_signed_in(user):
            parties |= Q(user_id=user.pk)
        # The parties' ids first (a few hundred rows at most): no party → no query at all, and
        # the planner sees the exact ids instead of scanning a time window to filter them.
        ids = list(TraceParty.objects.filter(parties).values_list("pk", flat=True))
        return Q(party_id__in=ids) if ids else NOTHING


class NamedQueryQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return either(None if is_province_wide(user) else owner_q(user, "owner_id"))


class SubscriptionQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return either(None if is_province_wide(user) else owner_q(user, "query__owner_id"))
