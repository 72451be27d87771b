"""Scoped querysets of payments (see tinhso.core.scoping): a payment, its attempts and their
events are visible exactly when their dossier is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from tinhso.core.scoping import ScopedQuerySet, dossier_q

if TYPE_CHECKING:  # the models import these querysets: names for the type checker only
    from tinhso.payments.models import Payment, PaymentAttempt, PaymentAttemptEvent  # noqa: F401


class PaymentQuerySet(ScopedQuerySet["Payment"]):
    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "dossier__")


class PaymentAttemptQuerySet(ScopedQuerySet["PaymentAttempt"]):
    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "payment__dossier__")


class PaymentAttemptEventQuerySet(ScopedQuerySet["PaymentAttemptEvent"]):
    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "attempt__payment__dossier__")
