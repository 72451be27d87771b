"""Scoped querysets (tinhso.core.scoping): subscriptions, their secrets and the delivery log
are the province's integration operators' (province admins, superusers) — an agency's
subscription is set up for it by them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tinhso.core.scoping import NOTHING, ScopedQuerySet, is_province_wide


class OperatorsQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return None if is_province_wide(user) else NOTHING
