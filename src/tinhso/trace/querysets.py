"""Scoped querysets of the trace app (see tinhso.core.scoping).

A trace party's account, locations, GTIN prefixes and capture jobs are its own (and the province's
admins'). Captured events, their EPC index, products, certificates and the ledger are public by
design (docs/decisions/0012): the traceability ledger is there for anyone to check, and capture
refuses nothing that is personal (see docs/trace.md#what-is-public).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tinhso.core.scoping import ScopedQuerySet, either, is_province_wide, owner_q


class PartyQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return None if is_province_wide(user) else owner_q(user, "user_id")


class PartyChildQuerySet(ScopedQuerySet[Any]):
    """Rows of one party (its locations, prefixes, capture jobs)."""

    def scope(self, user: Any) -> Q | None:
        return either(None if is_province_wide(user) else owner_q(user, "party__user_id"))
