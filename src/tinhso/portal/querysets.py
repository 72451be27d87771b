"""Scoped querysets of the portal's own tables (see tinhso.core.scoping): a draft, its files
and a sign-in link belong to one account."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tinhso.core.scoping import ScopedQuerySet, owner_q


class DraftQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "owner_id")


class DraftFileQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "draft__owner_id")


class OidcIdentityQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "user_id")
