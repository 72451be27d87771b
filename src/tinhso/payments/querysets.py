"""Scoped querysets of payments (see tinhso.core.scoping): a payment, its attempts and their
events are visible exactly when their dossier is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from tinhso.core.scoping import NOTHING, ScopedQuerySet, dossier_q

if TYPE_CHECKING:  # the models import these querysets: names for the type checker only
    from tinhso.payments.models import (  # noqa: F401
        BankStatement,
        LedgerEntry,
        Payment,
        PaymentAttempt,
        PaymentAttemptEvent,
        Receipt,
        Refund,
        StatementLine,
    )


class PaymentQuerySet(ScopedQuerySet["Payment"]):
    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "dossier__")


class PaymentAttemptQuerySet(ScopedQuerySet["PaymentAttempt"]):
    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "payment__dossier__")


class PaymentAttemptEventQuerySet(ScopedQuerySet["PaymentAttemptEvent"]):
    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "attempt__payment__dossier__")


def _agency_scope(user: Any, field: str = "agency_id") -> Q | None:
    """Officials see the rows of the agencies in their scope (province admins: all)."""
    from tinhso.accounts.permissions import is_active_official, visible_agency_ids

    if not is_active_official(user):
        return NOTHING
    ids = visible_agency_ids(user)
    return None if ids is None else Q(**{f"{field}__in": sorted(ids)})


class RefundQuerySet(ScopedQuerySet["Refund"]):
    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "attempt__payment__dossier__")


class ReceiptQuerySet(ScopedQuerySet["Receipt"]):
    """A receipt: the payer (the dossier's applicant) and the collecting agency's officials."""

    def scope(self, user: Any) -> Q | None:
        return dossier_q(user, "payment__dossier__")


class StatementLineQuerySet(ScopedQuerySet["StatementLine"]):
    def scope(self, user: Any) -> Q | None:
        return _agency_scope(user)


class BankStatementQuerySet(ScopedQuerySet["BankStatement"]):
    def scope(self, user: Any) -> Q | None:
        return _agency_scope(user, "imported_by__agency_id")


class LedgerEntryQuerySet(ScopedQuerySet["LedgerEntry"]):
    def scope(self, user: Any) -> Q | None:
        return _agency_scope(user)
