"""Reads of payments, scoped to the user: applicants see their own dossiers' payments, officials
their agency's (``visible_agency_ids``), province admins all."""

from __future__ import annotations

from django.db.models import QuerySet

from tinhso.accounts.models import User
from tinhso.accounts.permissions import is_active_official, visible_agency_ids
from tinhso.core.errors import NotFound
from tinhso.payments.models import (
    REVIEW_STATUSES,
    Payment,
    PaymentAttempt,
    Receipt,
    StatementLine,
)


def payments_visible_to(user: User) -> QuerySet[Payment]:
    qs = Payment.objects.select_related("dossier", "dossier__procedure")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_active_official(user):
        ids = visible_agency_ids(user)
        return qs if ids is None else qs.filter(dossier__agency_id__in=ids)
    return qs.filter(dossier__applicant=user)


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
    attempt = (PaymentAttempt.objects.select_related("payment", "payment__dossier")
               .filter(txn_ref=txn_ref, payment__in=payments_visible_to(user)).first())
    if attempt is None:
        raise NotFound("Không tìm thấy lượt thanh toán.", "Payment attempt not found.",
                       {"txn_ref": txn_ref}, code="PAYMENT_ATTEMPT_NOT_FOUND")
    return attempt


def statement_lines_visible_to(user: User) -> QuerySet[StatementLine]:
    """Bank statement lines of the agencies the user's scope covers (officials only)."""
    qs = StatementLine.objects.select_related("payment", "payment__dossier")
    if not user.is_authenticated or not is_active_official(user):
        return qs.none()
    ids = visible_agency_ids(user)
    return qs if ids is None else qs.filter(agency_id__in=ids)


def review_queue(user: User) -> QuerySet[StatementLine]:
    """Lines waiting for an officer's decision, oldest first."""
    return (statement_lines_visible_to(user).filter(status__in=REVIEW_STATUSES)
            .order_by("booked_at", "id"))


def receipts_visible_to(user: User) -> QuerySet[Receipt]:
    """Applicants see their dossiers' receipts; officials their agencies'; province admins all."""
    qs = Receipt.objects.select_related("document", "payment__dossier", "agency")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_active_official(user):
        ids = visible_agency_ids(user)
        return qs if ids is None else qs.filter(agency_id__in=ids)
    return qs.filter(payment__dossier__applicant=user)


def receipt_get_for_user(user: User, receipt_id: int) -> Receipt:
    receipt = receipts_visible_to(user).filter(pk=receipt_id).first()
    if receipt is None:
        raise NotFound("Không tìm thấy biên lai.", "Receipt not found.",
                       {"receipt": receipt_id}, code="RECEIPT_NOT_FOUND")
    return receipt
