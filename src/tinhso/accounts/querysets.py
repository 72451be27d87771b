"""Scoped querysets of accounts (see tinhso.core.scoping).

A user sees their own account; an official also the officials of their agency (colleagues to
assign a dossier to); province admins and superusers everyone. Roles and API tokens follow their
account (tokens: only the holder and the admins who manage them). The audit log: province-wide
admins all of it, others the entries of their own actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db.models import Q

from tinhso.core.scoping import (
    NOTHING,
    ScopedQuerySet,
    is_province_wide,
    is_signed_in,
    owner_q,
)

if TYPE_CHECKING:  # the models import these querysets: names for the type checker only
    from tinhso.accounts.models import (  # noqa: F401
        ApiToken,
        AuditLog,
        RecoveryCode,
        RoleAssignment,
        TotpDevice,
        User,
    )


def user_q(user: Any, prefix: str = "") -> Q | None:
    if not is_signed_in(user):
        return NOTHING
    if is_province_wide(user):
        return None
    own = Q(**{f"{prefix}pk": user.pk})
    if getattr(user, "is_official", False) and user.agency_id is not None:
        return own | Q(**{f"{prefix}agency_id": user.agency_id, f"{prefix}kind": "official"})
    return own


class UserQuerySet(ScopedQuerySet["User"]):
    def scope(self, user: Any) -> Q | None:
        return user_q(user)


class UserManager(DjangoUserManager["User"]):
    """Django's user manager (create_user, …) over the scoped queryset."""

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def visible_to(self, user: Any) -> UserQuerySet:
        return self.get_queryset().visible_to(user)


class RoleAssignmentQuerySet(ScopedQuerySet["RoleAssignment"]):
    def scope(self, user: Any) -> Q | None:
        return user_q(user, "user__")


class ApiTokenQuerySet(ScopedQuerySet["ApiToken"]):
    def scope(self, user: Any) -> Q | None:
        from tinhso.accounts.permissions import ADMIN_ROLES, is_active_official

        if not is_signed_in(user):
            return NOTHING
        if is_province_wide(user):
            return None
        own = Q(user_id=user.pk)
        if is_active_official(user) and user.has_role(*ADMIN_ROLES) and user.agency_id:
            return own | Q(user__agency_id=user.agency_id, user__kind="official")
        return own


class AuditLogQuerySet(ScopedQuerySet["AuditLog"]):
    def scope(self, user: Any) -> Q | None:
        if not is_signed_in(user):
            return NOTHING
        if is_province_wide(user):
            return None
        return Q(actor_id=user.pk)


class TotpDeviceQuerySet(ScopedQuerySet["TotpDevice"]):
    """A second factor is its holder's business only (admins reset it, they do not read it)."""

    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "user_id")


class RecoveryCodeQuerySet(ScopedQuerySet["RecoveryCode"]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "user_id")
