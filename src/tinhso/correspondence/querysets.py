"""Scoped querysets (tinhso.core.scoping): correspondence is visible to the agency that holds
it — the sender's register, the recipient's register — and to province-wide roles."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tinhso.core.scoping import ScopedQuerySet, agency_q


class AgencyHeldQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return agency_q(user)


class ViaOutgoingQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return agency_q(user, "document__agency_id")


class ViaIncomingQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return agency_q(user, "incoming__agency_id")
