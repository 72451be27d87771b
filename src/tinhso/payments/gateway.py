"""Services that talk to VNPAY's merchant web API: transaction query and refund.

The network call never happens inside a database transaction (no row stays locked while the
gateway thinks): each service writes what it is about to do, calls the gateway, then records the
answer in a second transaction. Every answer is checked (checksum, terminal, reference, amount)
before it changes anything; an unverifiable answer changes nothing and is reported.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.db import transaction
from django.utils import timezone

from tinhso.accounts.models import User
from tinhso.core.errors import Conflict, DomainError, ValidationFailed
from tinhso.core.observability import outgoing_headers
from tinhso.dossiers.models import Status
from tinhso.dossiers.services._common import require_official_on
from tinhso.outbox.services import event_publish
from tinhso.payments import conf, vnpay, vnpay_api
from tinhso.payments.ledger import ledger_refund
from tinhso.payments.models import (
    AttemptEventKind,
    AttemptStatus,
    Payment,
    PaymentAttempt,
    PaymentAttemptEvent,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from tinhso.payments.services import _apply_ipn

logger = logging.getLogger(__name__)

# Closed dossiers whose fee, once taken, must go back to the applicant.
REFUNDABLE_DOSSIER_STATUSES = frozenset({Status.REFUSED, Status.WITHDRAWN, Status.STOPPED})
REFUND_ROLES = ("receiver", "leader")


class GatewayUnavailable(DomainError):
    status = 502

    def __init__(self, reason: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(
            "PAYMENT_GATEWAY_UNAVAILABLE",
            "Không kết nối được cổng thanh toán, vui lòng thử lại sau.",
            f"The payment gateway could not be reached or answered badly ({reason}).",
            details or {},
        )


def _call(message: dict[str, str], command: str) -> dict[str, str]:
    """POST one message to the merchant web API; return its verified answer."""
    try:
        reply = httpx.post(conf.api_url(), json=message, timeout=conf.api_timeout(),
                           headers=outgoing_headers())
        data = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise GatewayUnavailable(type(exc).__name__, {"command": command}) from exc
    if not isinstance(data, dict):
        raise GatewayUnavailable("not a JSON object", {"command": command})
    answer = {str(k): str(v) for k, v in data.items()}
    if not vnpay_api.verify(answer, vnpay_api.response_fields(command), conf.hash_secret()):
        logger.error("VNPAY %s answer with a bad checksum for %s", command,
                     message.get("vnp_TxnRef"))
        raise GatewayUnavailable("bad checksum", {"command": command})
    if answer.get("vnp_TmnCode", message["vnp_TmnCode"]) != message["vnp_TmnCode"] or (
            answer.get("vnp_TxnRef", message["vnp_TxnRef"]) != message["vnp_TxnRef"]):
        raise GatewayUnavailable("answer for another transaction", {"command": command})
    return answer


def merchant_api_call(message: dict[str, str], command: str) -> dict[str, str]:
    """The merchant web API client for other apps (the marketplace's querydr and refunds)."""
    return _call(message, command)


# --- transaction query (querydr) --------------------------------------------------------------

def payment_attempt_query(*, attempt: PaymentAttempt, now: dt.datetime | None = None) -> str:
    """Ask the gateway about a pending attempt whose IPN did not come; apply its answer.

    Returns the attempt's status afterwards. A paid transaction confirms the payment exactly as
    its IPN would have (and a late IPN then answers "02"); a transaction the gateway does not
    know, or that is still unfinished after the attempt expired, fails the attempt.
    """
    now = now or timezone.now()
    if attempt.status != AttemptStatus.PENDING:
        return attempt.status
    request = vnpay_api.QueryRequest(
        tmn_code=conf.tmn_code(), txn_ref=attempt.txn_ref, transaction_date=attempt.created_at,
        ip_addr=attempt.ip_addr, order_info=f"Truy van giao dich {attempt.txn_ref}",
        created_at=now,
    )
    answer = _call(request.message(conf.hash_secret()), vnpay_api.COMMAND_QUERY)
    code = answer.get("vnp_ResponseCode", "")
    txn_status = answer.get("vnp_TransactionStatus", "")
    expired = attempt.expires_at <= now
    if code == vnpay_api.API_OK and txn_status == vnpay_api.TXN_SUCCESS:
        params = {**answer, "vnp_TmnCode": conf.tmn_code()}
    elif expired and (code == vnpay_api.API_NOT_FOUND or (
            code == vnpay_api.API_OK and txn_status != vnpay_api.TXN_SUCCESS)):
        # Not paid and no longer payable: fail it with the gateway's words.
        params = {"vnp_TxnRef": attempt.txn_ref, "vnp_TmnCode": conf.tmn_code(),
                  "vnp_Amount": str(attempt.amount * 100), "vnp_ResponseCode": code,
                  "vnp_TransactionStatus": txn_status or "02",
                  "vnp_TransactionNo": answer.get("vnp_TransactionNo", "")}
    else:
        _log_query(attempt, answer, now)
        return attempt.status
    reply = _apply_ipn(params, "", kind=AttemptEventKind.QUERY)
    if reply["RspCode"] not in ("00", "02"):
        logger.error("querydr answer for %s not applied: %s", attempt.txn_ref, reply)
    attempt.refresh_from_db()
    return attempt.status


@transaction.atomic
def _log_query(attempt: PaymentAttempt, answer: dict[str, str], at: dt.datetime) -> None:
    PaymentAttemptEvent.objects.create(
        attempt=attempt, at=at, kind=AttemptEventKind.QUERY, from_status=attempt.status,
        to_status=attempt.status, rsp_code=answer.get("vnp_ResponseCode", "")[:4],
        data={"answer": {k: v for k, v in answer.items() if k != "vnp_SecureHash"}},
    )


@dataclass
class ResolveSummary:
    queried: int = 0
    succeeded: int = 0
    failed: int = 0
    still_pending: int = 0
    errors: list[str] = field(default_factory=list)


def payments_resolve_pending(*, now: dt.datetime | None = None, limit: int = 200
                             ) -> ResolveSummary:
    """Query every attempt still pending past its expiry plus the grace period (oldest first).

    Idempotent: run it as often as wanted, from several processes (each answer is applied under
    the attempt's row lock and a settled attempt is never changed again).
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=conf.query_grace_minutes())
    attempts = list(PaymentAttempt.objects.filter(status=AttemptStatus.PENDING,
                                                  expires_at__lte=cutoff)
                    .order_by("expires_at", "id")[:limit])
    summary = ResolveSummary()
    for attempt in attempts:
        summary.queried += 1
        try:
            status = payment_attempt_query(attempt=attempt, now=now)
        except GatewayUnavailable as exc:
            summary.errors.append(f"{attempt.txn_ref}: {exc.message_en}")
            continue
        if status == AttemptStatus.SUCCEEDED:
            summary.succeeded += 1
        elif status == AttemptStatus.FAILED:
            summary.failed += 1
        else:
            summary.still_pending += 1
    return summary


# --- refund -----------------------------------------------------------------------------------

def refundable_amount(attempt: PaymentAttempt) -> int:
    taken = sum(r.amount for r in attempt.refunds.exclude(status=RefundStatus.FAILED))
    return attempt.amount - taken


def _refund_allowed(attempt: PaymentAttempt) -> bool:
    """Money taken that the province may not keep: a duplicate/late payment the dossier could
    not use (``needs_refund``), or the fee of a dossier closed without a result."""
    if attempt.needs_refund:
        return True
    return attempt.payment.dossier.status in REFUNDABLE_DOSSIER_STATUSES


@transaction.atomic
def _refund_open(*, acting_user: User, attempt: PaymentAttempt, amount: int | None,
                 reason: str, at: dt.datetime) -> Refund:
    attempt = (PaymentAttempt.objects.select_for_update(of=("self",))
               .select_related("payment", "payment__dossier").get(pk=attempt.pk))
    dossier = attempt.payment.dossier
    require_official_on(acting_user, dossier, *REFUND_ROLES)
    if attempt.status != AttemptStatus.SUCCEEDED or not attempt.transaction_no:
        raise Conflict("REFUND_NOT_PAID", "Lượt thanh toán này chưa thu được tiền.",
                       "This attempt took no money.", {"status": attempt.status})
    if not _refund_allowed(attempt):
        raise Conflict("REFUND_NOT_ALLOWED",
                       "Chỉ hoàn tiền cho khoản thu trùng/thừa hoặc hồ sơ đã bị từ chối, "
                       "rút hoặc dừng xử lý.",
                       "Only money that could not be applied, or the fee of a refused, "
                       "withdrawn or stopped dossier, is refunded.",
                       {"dossier_status": dossier.status})
    left = refundable_amount(attempt)
    amount = left if amount is None else amount
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= left:
        raise ValidationFailed("INVALID_REFUND_AMOUNT",
                               f"Số tiền hoàn phải từ 1 đến {left:,} đồng.".replace(",", "."),
                               f"The refund must be between 1 and {left} VND.",
                               {"amount": amount, "refundable": left})
    reason = " ".join(reason.split())
    if not 5 <= len(reason) <= 500:
        raise ValidationFailed("REASON_REQUIRED", "Cần ghi lý do hoàn tiền (5–500 ký tự).",
                               "A refund needs a reason (5–500 characters).", {})
    return Refund.objects.create(
        attempt=attempt, request_id=vnpay_api.request_id(), amount=amount,
        full=amount == attempt.amount, reason=reason, requested_by=acting_user,
        requested_at=at)


def payment_refund(*, acting_user: User, attempt: PaymentAttempt, reason: str,
                   amount: int | None = None) -> Refund:
    """Give money taken through VNPAY back (whole by default, or part of it)."""
    at = timezone.now()
    refund = _refund_open(acting_user=acting_user, attempt=attempt, amount=amount,
                          reason=reason, at=at)
    return payment_refund_send(refund=refund)


def payment_refund_send(*, refund: Refund) -> Refund:
    """Send (or send again, with the same request id) a pending refund and record the answer.

    Sending again is safe: the gateway answers a repeated vnp_RequestId with "94" instead of
    refunding twice, and the refund then stays pending until an officer checks it.
    """
    if refund.status != RefundStatus.PENDING:
        return refund
    attempt = refund.attempt
    request = vnpay_api.RefundRequest(
        tmn_code=conf.tmn_code(), txn_ref=attempt.txn_ref, amount_vnd=refund.amount,
        full=refund.full, transaction_no=attempt.transaction_no,
        transaction_date=attempt.created_at,
        create_by=refund.requested_by.get_username()[:250], ip_addr="127.0.0.1",
        order_info=vnpay.order_info(f"Hoan tien {attempt.txn_ref} {refund.reason}"),
        created_at=timezone.now(),
    )
    answer = _call(request.message(conf.hash_secret(), req_id=refund.request_id),
                   vnpay_api.COMMAND_REFUND)
    return _refund_record(refund=refund, answer=answer)


@transaction.atomic
def _refund_record(*, refund: Refund, answer: dict[str, str]) -> Refund:
    refund = Refund.objects.select_for_update().select_related("attempt").get(pk=refund.pk)
    if refund.status != RefundStatus.PENDING:
        return refund
    code = answer.get("vnp_ResponseCode", "")
    at = timezone.now()
    if code == vnpay_api.API_DUPLICATE:
        return refund  # already being processed at the gateway: stays pending
    succeeded = code == vnpay_api.API_OK and (
        answer.get("vnp_Amount") == str(refund.amount * 100))
    refund.status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED
    refund.decided_at = at
    refund.response_code = code[:4]
    refund.message = answer.get("vnp_Message", "")[:255]
    refund.transaction_no = answer.get("vnp_TransactionNo", "")[:40]
    refund.transaction_status = answer.get("vnp_TransactionStatus", "")[:4]
    refund.save()
    attempt = PaymentAttempt.objects.select_for_update(of=("self",)).select_related(
        "payment__dossier").get(pk=refund.attempt_id)
    if succeeded:
        ledger_refund(refund, at)
        dossier = attempt.payment.dossier
        event_publish(
            type="payment.refunded", aggregate_type="payment", aggregate_id=attempt.payment_id,
            agency_id=dossier.agency_id, actor_id=refund.requested_by_id, occurred_at=at,
            payload={"payment_id": attempt.payment_id, "dossier_id": dossier.pk,
                     "dossier_code": dossier.code, "amount": refund.amount, "online": True,
                     "method": attempt.gateway, "reference": refund.transaction_no,
                     "at": at.isoformat()})
    PaymentAttemptEvent.objects.create(
        attempt=attempt, at=at, kind=AttemptEventKind.REFUND, from_status=attempt.status,
        to_status=attempt.status, rsp_code=code[:4], actor=refund.requested_by,
        data={"refund": refund.pk, "amount": refund.amount, "status": refund.status},
    )
    if succeeded and refundable_amount(attempt) == 0:
        attempt.needs_refund = False
        attempt.save(update_fields=["needs_refund"])
        payment = Payment.objects.select_for_update().get(pk=attempt.payment_id)
        if payment.status == PaymentStatus.PAID and payment.reference == attempt.transaction_no:
            payment.status = PaymentStatus.REFUNDED
            payment.save(update_fields=["status"])
    return refund
