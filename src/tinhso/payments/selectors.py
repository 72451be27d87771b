"""Reads of payments, scoped to the user: applicants see their own dossiers' payments, officials
their agency's (``visible_agency_ids``), province admins all."""

from __future__ import annotations

from django.db.models import QuerySet

from tinhso.accounts.models import User
from tinhso.core.errors import NotFound
from tinhso.dossiers.models import Dossier
from tinhso.payments.models import (
    REVIEW_STATUSES,
    FeeExemption,
    LedgerEntry,
    Payment,
    PaymentAttempt,
    Receipt,
    StatementLine,
)
from tinhso.units.models import Agency


def payments_visible_to(user: User) -> QuerySet[Payment]:
    return Payment.objects.visible_to(user).select_related("dossier", "dossier__procedure")


def payment_not_found(payment_id: object) -> NotFound:
    return NotFound("Không tìm thấy khoản thanh toán.", "Payment not found.",
                    {"payment_id": payment_id}, code="PAYMENT_NOT_FOUND")


def payment_get_for_user(user: User, payment_id: int) -> Payment:
    """The payment, or 404 when it does not exist or lies outside the user's scope."""
    payment = payments_visible_to(user).filter(pk=payment_id).first()
    if payment is None:
        raise payment_not_found(payment_id)
    return payment


def payment_attempts(payment: Payment) -> QuerySet[PaymentAttempt]:
    return PaymentAttempt.objects.filter(payment=payment).order_by("-created_at", "-id")


def attempt_by_txn_ref(txn_ref: str) -> PaymentAttempt | None:
    """For the return page: the gateway's signed redirect names the attempt."""
    return (PaymentAttempt.objects.select_related("payment", "payment__dossier")
            .filter(txn_ref=txn_ref).first())


def attempt_get_for_user(user: User, txn_ref: str) -> PaymentAttempt:
    """An attempt of a payment the user may see, or 404 (outside the scope looks missing)."""
    attempt = (PaymentAttempt.objects.visible_to(user)
               .select_related("payment", "payment__dossier").filter(txn_ref=txn_ref).first())
    if attempt is None:
        raise NotFound("Không tìm thấy lượt thanh toán.", "Payment attempt not found.",
                       {"txn_ref": txn_ref}, code="PAYMENT_ATTEMPT_NOT_FOUND")
    return attempt


def statement_lines_visible_to(user: User) -> QuerySet[StatementLine]:
    """Bank statement lines of the agencies the user's scope covers (officials only)."""
    return StatementLine.objects.visible_to(user).select_related("payment", "payment__dossier")


def review_queue(user: User) -> QuerySet[StatementLine]:
    """Lines waiting for an officer's decision, oldest first."""
    return (statement_lines_visible_to(user).filter(status__in=REVIEW_STATUSES)
            .order_by("booked_at", "id"))


def receipts_visible_to(user: User) -> QuerySet[Receipt]:
    """Applicants see their dossiers' receipts; officials their agencies'; province admins all."""
    return Receipt.objects.visible_to(user).select_related("document", "payment__dossier",
                                                             "agency")


def receipt_get_for_user(user: User, receipt_id: int) -> Receipt:
    receipt = receipts_visible_to(user).filter(pk=receipt_id).first()
    if receipt is None:
        raise NotFound("Không tìm thấy biên lai.", "Receipt not found.",
                       {"receipt": receipt_id}, code="RECEIPT_NOT_FOUND")
    return receipt

def payment_pending_for(user: User, dossier: Dossier, payment_id: int | None = None
                        ) -> Payment | None:
    """The dossier's payment awaiting payment (the newest, or ``payment_id``), if visible."""
    from tinhso.payments.models import PaymentStatus

    qs = Payment.objects.visible_to(user).filter(dossier=dossier,
                                                 status=PaymentStatus.REQUESTED)
    if payment_id:
        return qs.filter(pk=payment_id).first()
    return qs.order_by("-requested_at", "-id").first()


def fee_exemptions_for(procedure: object) -> QuerySet[FeeExemption]:
    """Exemption groups of a procedure and of every procedure (public catalogue data)."""
    from django.db.models import Q

    return (FeeExemption.objects.filter(Q(procedure=procedure) | Q(procedure__isnull=True))
            .order_by("group"))


def agency_by_code(code: str) -> Agency | None:
    """The agency with this code (public directory data), or None."""
    return Agency.objects.filter(code=code).first()


def ledger_for_dashboards(user: User) -> QuerySet[LedgerEntry]:
    """Money figures are aggregates without personal data: IOC viewers see the province
    (``dashboard_agency_ids``), other officials their scope."""
    from tinhso.accounts.permissions import dashboard_agency_ids, is_active_official

    if not is_active_official(user):
        return LedgerEntry.objects.none()
    ids = dashboard_agency_ids(user)
    qs = LedgerEntry.objects.all()
    return qs if ids is None else qs.filter(agency_id__in=ids)
