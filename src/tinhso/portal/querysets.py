"""Scoped querysets of the portal's own tables (see tinhso.core.scoping): a draft, its files
and a sign-in link belong to one account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from tinhso.core.scoping import ScopedQuerySet, owner_q

if TYPE_CHECKING:  # the models import these querysets: names for the type checker only
    from tinhso.portal.models import Draft, DraftFile, OidcIdentity  # noqa: F401


class DraftQuerySet(ScopedQuerySet["Draft"]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "owner_id")


class DraftFileQuerySet(ScopedQuerySet["DraftFile"]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "draft__owner_id")


class OidcIdentityQuerySet(ScopedQuerySet["OidcIdentity"]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "user_id")
