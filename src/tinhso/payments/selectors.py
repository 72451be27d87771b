"""Reads of payments, scoped to the user: applicants see their own dossiers' payments, officials
their agency's (``visible_agency_ids``), province admins all."""

from __future__ import annotations

from django.db.models import QuerySet

from tinhso.accounts.models import User
from tinhso.core.errors import NotFound
from tinhso.dossiers.models import Dossier
from tinhso.payments.models import Payment, PaymentAttempt


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


def payment_pending_for(user: User, dossier: Dossier, payment_id: int | None = None
                        ) -> Payment | None:
    """The dossier's payment awaiting payment (the newest, or ``payment_id``), if visible."""
    from tinhso.payments.models import PaymentStatus

    qs = Payment.objects.visible_to(user).filter(dossier=dossier,
                                                 status=PaymentStatus.REQUESTED)
    if payment_id:
        return qs.filter(pk=payment_id).first()
    return qs.order_by("-requested_at", "-id").first()
