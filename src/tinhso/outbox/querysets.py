"""The outbox's events are agency data: an agency's officials (and province admins) may read
their own agency's events — the later LGSP subscribers of an agency see only their records."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tinhso.core.scoping import ScopedQuerySet, agency_q


class OutboxEventQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return agency_q(user, "agency_id")
