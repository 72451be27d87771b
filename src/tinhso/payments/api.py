"""/api/v1/payments: a dossier's fees, paying online through VNPAY, VietQR for bank transfers.

The gateway's own calls (IPN) and the citizen's return page are plain Django views under
/thanh-toan/ (``payments/views.py``): they are not authenticated API calls.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus

from tinhso.accounts.models import User
from tinhso.core.api_schema import PARAMS_KEY, ErrorOut
from tinhso.core.errors import Conflict, ValidationFailed
from tinhso.core.paging import check_limit, limit_param
from tinhso.dossiers.selectors import dossier_get_for_user
from tinhso.payments import gateway, selectors, services, vietqr
from tinhso.payments.api_fees import router as fees_router
from tinhso.payments.api_receipts import router as receipts_router
from tinhso.payments.api_settlements import router as settlements_router
from tinhso.payments.api_statements import router as statements_router
from tinhso.payments.models import Payment, PaymentAttempt, PaymentStatus, Refund

router = Router(tags=["payments"])
router.add_router("/statements", statements_router)
router.add_router("/receipts", receipts_router)
router.add_router("/settlements", settlements_router)
router.add_router("/fees", fees_router)

MAX_PAGE = 100


class PaymentOut(Schema):
    id: int
    dossier: str
    amount: int
    description: str
    status: str
    status_name: str
    online: bool
    method: str
    reference: str
    requested_at: dt.datetime
    paid_at: dt.datetime | None


class AttemptOut(Schema):
    txn_ref: str
    gateway: str
    amount: int
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime
    ipn_received_at: dt.datetime | None
    response_code: str
    transaction_no: str
    needs_refund: bool


class RefundOut(Schema):
    id: int
    amount: int
    full: bool
    reason: str
    status: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    response_code: str
    message: str
    transaction_no: str


class AttemptDetailOut(AttemptOut):
    refunds: list[RefundOut]


class PaymentDetailOut(PaymentOut):
    attempts: list[AttemptDetailOut]


class RefundIn(Schema):
    reason: str = Field(min_length=5, max_length=500)
    amount: int | None = Field(default=None, ge=1, le=10**12)


class PaymentPage(Schema):
    items: list[PaymentOut]
    next_cursor: str | None


class VnpayStartIn(Schema):
    locale: Literal["vn", "en"] = "vn"


class VnpayStartOut(Schema):
    payment_url: str
    txn_ref: str
    expires_at: dt.datetime


class VietQROut(Schema):
    payload: str
    svg: str
    bank_bin: str
    account: str
    account_name: str
    amount: int
    note: str


def payment_out(p: Payment) -> dict[str, Any]:
    return {
        "id": p.pk, "dossier": p.dossier.code, "amount": p.amount, "description": p.description,
        "status": p.status, "status_name": PaymentStatus(p.status).label, "online": p.online,
        "method": p.method, "reference": p.reference, "requested_at": p.requested_at,
        "paid_at": p.paid_at,
    }


def refund_out(r: Refund) -> dict[str, Any]:
    return {"id": r.pk, "amount": r.amount, "full": r.full, "reason": r.reason,
            "status": r.status, "requested_at": r.requested_at, "decided_at": r.decided_at,
            "response_code": r.response_code, "message": r.message,
            "transaction_no": r.transaction_no}


def attempt_out(a: PaymentAttempt) -> dict[str, Any]:
    return {
        "txn_ref": a.txn_ref, "gateway": a.gateway, "amount": a.amount, "status": a.status,
        "created_at": a.created_at, "expires_at": a.expires_at,
        "ipn_received_at": a.ipn_received_at, "response_code": a.response_code,
        "transaction_no": a.transaction_no, "needs_refund": a.needs_refund,
    }


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: forwarded headers are client-controlled unless a trusted proxy sets them.
    return str(request.META.get("REMOTE_ADDR") or "127.0.0.1")


@router.get("/", response=PaymentPage,
            summary="Khoản phí, lệ phí của hồ sơ / payments (scoped to the user)",
            openapi_extra={PARAMS_KEY: {
                "limit": limit_param(MAX_PAGE, 50),
                "cursor": {"schema": {"type": "string", "pattern": "^[0-9]{0,18}$"}},
                "status": {"schema": {"type": "string", "enum": list(PaymentStatus.values)}},
                "dossier": {"schema": {"type": "string", "maxLength": 40}}}})
def list_payments(request: HttpRequest, dossier: str | None = None, status: str | None = None,
                  limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
    """Applicants see their own dossiers' payments, officials their agency's. Newest first."""
    user: User = request.user  # type: ignore[assignment]
    check_limit(limit, MAX_PAGE)
    qs = selectors.payments_visible_to(user)
    if dossier:
        qs = qs.filter(dossier=dossier_get_for_user(user, dossier))  # 404 outside the scope
    if status:
        if status not in PaymentStatus.values:
            raise ValidationFailed("INVALID_STATUS", "Trạng thái thanh toán không hợp lệ.",
                                   "Unknown payment status.",
                                   {"status": status, "allowed": list(PaymentStatus.values)})
        qs = qs.filter(status=status)
    qs = qs.order_by("-id")
    if cursor:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
            raise ValidationFailed("INVALID_CURSOR", "Tham số cursor không hợp lệ.",
                                   "Invalid cursor.", {"cursor": cursor})
        qs = qs.filter(id__lt=int(cursor))
    rows = list(qs[: limit + 1])
    next_cursor = str(rows[limit - 1].pk) if len(rows) > limit else None
    return {"items": [payment_out(p) for p in rows[:limit]], "next_cursor": next_cursor}


@router.get("/{payment_id}", response=PaymentDetailOut,
            summary="Chi tiết khoản thanh toán / payment with its gateway attempts")
def detail(request: HttpRequest, payment_id: int) -> dict[str, Any]:
    payment = selectors.payment_get_for_user(request.user, payment_id)  # type: ignore[arg-type]
    return {**payment_out(payment),
            "attempts": [{**attempt_out(a), "refunds": [refund_out(r) for r in a.refunds.all()]}
                         for a in selectors.payment_attempts(payment).prefetch_related(
                             "refunds")]}


# 502 PAYMENT_GATEWAY_UNAVAILABLE: VNPAY could not be reached or answered nonsense.
@router.post("/attempts/{txn_ref}/query", response={200: AttemptOut, 502: ErrorOut},
             summary="Hỏi cổng VNPAY trạng thái giao dịch (querydr) / query the gateway")
def attempt_query(request: HttpRequest, txn_ref: str) -> dict[str, Any]:
    """For an attempt whose IPN never came: the gateway's signed answer confirms or fails it
    (or leaves it pending while the citizen may still pay)."""
    attempt = selectors.attempt_get_for_user(request.user, txn_ref)  # type: ignore[arg-type]
    gateway.payment_attempt_query(attempt=attempt)
    attempt.refresh_from_db()
    return attempt_out(attempt)


@router.post("/attempts/{txn_ref}/refunds", response={201: RefundOut, 502: ErrorOut},
             summary="Hoàn tiền qua VNPAY (cán bộ tiếp nhận, lãnh đạo) / refund through VNPAY")
def attempt_refund(request: HttpRequest, txn_ref: str,
                   body: RefundIn) -> HttpStatus[dict[str, Any]]:
    """Money the dossier could not use (a second payment) or the fee of a refused, withdrawn or
    stopped dossier; whole by default. The refund's state is the gateway's answer."""
    user: User = request.user  # type: ignore[assignment]
    attempt = selectors.attempt_get_for_user(user, txn_ref)
    refund = gateway.payment_refund(acting_user=user, attempt=attempt, reason=body.reason,
                                    amount=body.amount)
    return HttpStatus(201, refund_out(refund))


@router.post("/{payment_id}/vnpay", response={201: VnpayStartOut},
             summary="Thanh toán trực tuyến qua VNPAY (người nộp hồ sơ) / pay online")
def vnpay_start(request: HttpRequest, payment_id: int,
                body: VnpayStartIn | None = None) -> HttpStatus[dict[str, Any]]:
    """Returns the signed URL of the gateway's payment page; send the citizen's browser there.
    The payment is confirmed only by the gateway's signed notification (IPN)."""
    user: User = request.user  # type: ignore[assignment]
    payment = selectors.payment_get_for_user(user, payment_id)
    started = services.payment_vnpay_start(
        acting_user=user, payment=payment, ip_addr=client_ip(request),
        locale=body.locale if body else "vn",
    )
    return HttpStatus(201, {"payment_url": started.payment_url,
                            "txn_ref": started.attempt.txn_ref,
                            "expires_at": started.attempt.expires_at})


@router.get("/{payment_id}/vietqr", response=VietQROut,
            summary="Mã VietQR chuyển khoản / VietQR (EMVCo) payload and SVG")
def vietqr_code(request: HttpRequest, payment_id: int) -> dict[str, Any]:
    payment = selectors.payment_get_for_user(request.user, payment_id)  # type: ignore[arg-type]
    if payment.status != PaymentStatus.REQUESTED:
        raise Conflict("PAYMENT_NOT_PENDING", "Khoản thanh toán này không còn chờ thanh toán.",
                       "This payment is not awaiting payment.", {"status": payment.status})
    code = vietqr.for_payment(payment)
    return {"payload": code.payload, "svg": code.svg, "bank_bin": code.bank_bin,
            "account": code.account, "account_name": code.account_name,
            "amount": code.amount, "note": code.note}
