"""Scoped querysets of payments (see tinhso.core.scoping): a payment, its attempts and their
events are visible exactly when their dossier is."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tinhso.core.scoping import ScopedQuerySet, dossier_q


class PaymentQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "dossier__")


class PaymentAttemptQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "payment__dossier__")


class PaymentAttemptEventQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "attempt__payment__dossier__")
