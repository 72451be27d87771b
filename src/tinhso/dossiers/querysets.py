"""Scoped querysets of the dossier tables (see tinhso.core.scoping)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from tinhso.core.scoping import ScopedQuerySet, dossier_q, owner_q

if TYPE_CHECKING:  # the models import these querysets: names for the type checker only
    from tinhso.dossiers.models import Dossier, IdempotencyRecord  # noqa: F401


class DossierQuerySet(ScopedQuerySet["Dossier"]):
    def scope(self, user: Any) -> Q | None:
        return dossier_q(user)


class DossierPartQuerySet(ScopedQuerySet[Any]):
    """Steps, events and attachments: visible with their dossier, never on their own."""

    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "dossier__")


class IdempotencyRecordQuerySet(ScopedQuerySet["IdempotencyRecord"]):
    """A submission's retry key is its submitter's alone."""

    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "user_id")
