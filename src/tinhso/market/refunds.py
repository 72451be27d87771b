"""Market payments after the browser left: ``querydr`` for attempts whose IPN never came, and
refunds through the gateway (decision 0013, follow-up in decision 0021).

The protocol code is the payments app's: the merchant web API client and its checksums
(``tinhso.payments.gateway.merchant_api_call``, ``tinhso.payments.vnpay_api``), and the IPN's
checks (``market.payments._apply``), so a transaction found by ``querydr`` marks the order paid
exactly as its IPN would have, and a late IPN then answers "02".

The gateway is never called inside a database transaction: a refund is written first
(``pending``, with its ``vnp_RequestId``), the gateway is called, and the answer is recorded
under the refund's row lock. Pending and succeeded refunds count against the money paid, so
of two officers refunding at once one gets 409 ``NOTHING_TO_REFUND`` (never twice); a refund
sent again reuses its request id and the gateway answers "94" instead of paying twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from tinhso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tinhso.market.models import (
    MarketPayment,
    MarketPaymentStatus,
    MarketRefund,
    MarketRefundStatus,
    Order,
    OrderStatus,
)
from tinhso.market.permissions import is_market_officer
from tinhso.payments import conf, vnpay, vnpay_api

logger = logging.getLogger(__name__)

# A market officer refunds part or all of a paid order in these states (a dispute settled by
# agreement, or an order cancelled after payment); cancellation refunds the rest by itself.
REFUNDABLE_STATUSES = frozenset({OrderStatus.DISPUTED, OrderStatus.CANCELLED,
                                 OrderStatus.DELIVERED})


# --- querydr ------------------------------------------------------------------------------------

def market_payment_query(*, payment: MarketPayment, now: dt.datetime | None = None) -> str:
    """Ask VNPAY about a pending attempt whose IPN did not come; apply the answer like an IPN.
    Returns the attempt's status afterwards."""
    from tinhso.market.payments import _apply
    from tinhso.payments.gateway import merchant_api_call

    now = now or timezone.now()
    if payment.status != MarketPaymentStatus.PENDING:
        return payment.status
    request = vnpay_api.QueryRequest(
        tmn_code=conf.tmn_code(), txn_ref=payment.txn_ref, transaction_date=payment.created_at,
        ip_addr=payment.ip_addr, order_info=f"Truy van giao dich {payment.txn_ref}",
        created_at=now)
    answer = merchant_api_call(request.message(conf.hash_secret()), vnpay_api.COMMAND_QUERY)
    code = answer.get("vnp_ResponseCode", "")
    txn_status = answer.get("vnp_TransactionStatus", "")
    if code == vnpay_api.API_OK and txn_status == vnpay_api.TXN_SUCCESS:
        params = {**answer, "vnp_TmnCode": conf.tmn_code(), "vnp_ResponseCode": "00"}
    elif payment.expires_at <= now and code in (vnpay_api.API_NOT_FOUND, vnpay_api.API_OK):
        # Not paid and no longer payable: the attempt fails with the gateway's words.
        params = {"vnp_TxnRef": payment.txn_ref, "vnp_TmnCode": conf.tmn_code(),
                  "vnp_Amount": str(payment.amount * 100), "vnp_ResponseCode": code or "99",
                  "vnp_TransactionStatus": txn_status or vnpay_api.TXN_FAILED,
                  "vnp_TransactionNo": answer.get("vnp_TransactionNo", "")}
    else:
        return payment.status
    reply = _apply(params, "querydr")
    if reply["RspCode"] not in ("00", "02"):
        logger.error("querydr answer for %s not applied: %s", payment.txn_ref, reply)
    payment.refresh_from_db()
    return payment.status


@dataclass
class MarketSweep:
    queried: int = 0
    succeeded: int = 0
    failed: int = 0
    refunds_sent: int = 0
    errors: list[str] = field(default_factory=list)


def market_payments_sweep(*, now: dt.datetime | None = None, limit: int = 200) -> MarketSweep:
    """The periodic job: query attempts pending past their expiry plus the grace period, then
    send the refunds that cancelled paid orders are owed. Idempotent; safe from several
    processes (every answer is applied under row locks)."""
    from tinhso.payments.gateway import GatewayUnavailable

    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=conf.query_grace_minutes())
    summary = MarketSweep()
    pending = list(MarketPayment.objects.filter(status=MarketPaymentStatus.PENDING,
                                                expires_at__lte=cutoff)
                   .order_by("expires_at", "id")[:limit])
    for payment in pending:
        summary.queried += 1
        try:
            status = market_payment_query(payment=payment, now=now)
        except GatewayUnavailable as exc:
            summary.errors.append(f"{payment.txn_ref}: {exc.message_en}")
            continue
        summary.succeeded += status == MarketPaymentStatus.SUCCEEDED
        summary.failed += status == MarketPaymentStatus.FAILED
    # Refunds whose answer never came (gateway down, timeout): sent again with the same request
    # id. A "94" (already being processed) is recorded and left for an officer to check.
    for refund in (MarketRefund.objects.filter(status=MarketRefundStatus.PENDING)
                   .exclude(response_code=vnpay_api.API_DUPLICATE)
                   .select_related("payment", "requested_by").order_by("id")[:limit]):
        try:
            if market_refund_send(refund=refund).status == MarketRefundStatus.SUCCEEDED:
                summary.refunds_sent += 1
        except GatewayUnavailable as exc:
            summary.errors.append(f"refund {refund.pk}: {exc.message_en}")
    for order_id in Order.objects.filter(needs_refund=True).values_list("pk", flat=True)[:limit]:
        try:
            if refund_owed(order_id) is not None:
                summary.refunds_sent += 1
        except (GatewayUnavailable, Conflict) as exc:
            summary.errors.append(f"order {order_id}: {exc.message_en}")
    return summary


# --- refunds ------------------------------------------------------------------------------------

def _paid_attempts(order: Order) -> list[MarketPayment]:
    return list(order.payments.filter(status=MarketPaymentStatus.SUCCEEDED)
                .exclude(transaction_no="").order_by("id"))


def refundable(payment: MarketPayment) -> int:
    """What may still go back on one attempt: paid minus pending and succeeded refunds."""
    taken = (payment.refunds.exclude(status=MarketRefundStatus.FAILED)
             .aggregate(n=Sum("amount"))["n"]) or 0
    return payment.amount - int(taken)


@transaction.atomic
def _refund_open(*, order_id: int, amount: int | None, reason: str, actor: Any,
                 whole_order: bool) -> list[MarketRefund]:
    """Write the pending refunds (one per paid attempt that still holds money) under the
    order's lock. ``amount`` None: everything left."""
    order = Order.objects.select_for_update(of=("self",)).get(pk=order_id)
    attempts = _paid_attempts(order)
    left = {p.pk: refundable(p) for p in attempts}
    total_left = sum(left.values())
    if total_left <= 0:
        if order.needs_refund:
            order.needs_refund = False
            order.save(update_fields=["needs_refund"])
        raise Conflict("NOTHING_TO_REFUND", "Đơn hàng không còn khoản tiền nào để hoàn.",
                       "Nothing is left to refund on this order.", {"code": order.code})
    wanted = total_left if amount is None else amount
    if not isinstance(wanted, int) or isinstance(wanted, bool) or not 0 < wanted <= total_left:
        raise ValidationFailed("INVALID_REFUND_AMOUNT",
                               f"Số tiền hoàn phải từ 1 đến {total_left:,} đồng."
                               .replace(",", "."),
                               f"The refund must be between 1 and {total_left} VND.",
                               {"amount": amount, "refundable": total_left})
    at = timezone.now()
    opened: list[MarketRefund] = []
    for payment in attempts:
        share = min(left[payment.pk], wanted)
        if share <= 0:
            continue
        wanted -= share
        opened.append(MarketRefund.objects.create(
            payment=payment, order=order, request_id=vnpay_api.request_id(), amount=share,
            full=share == payment.amount, reason=reason, requested_by=actor,
            requested_at=at))
    if whole_order and order.needs_refund:
        order.needs_refund = False  # everything owed is now on its way (pending refunds)
        order.save(update_fields=["needs_refund"])
    return opened


def market_refund(*, acting_user: Any, order: Order, reason: str,
                  amount: int | None = None) -> list[MarketRefund]:
    """A market officer gives part or all of a paid order's money back (a dispute settled by
    agreement, a cancelled order). Returns the refunds with the gateway's answers."""
    if not is_market_officer(acting_user):
        raise PermissionDenied({"reason": "market officers refund orders"})
    if order.status not in REFUNDABLE_STATUSES:
        raise Conflict("REFUND_NOT_ALLOWED",
                       "Chỉ hoàn tiền đơn hàng đang khiếu nại, đã hủy hoặc đã giao.",
                       "Only a disputed, cancelled or delivered order is refunded.",
                       {"status": order.status})
    note = " ".join(str(reason).split())
    if not 5 <= len(note) <= 500:
        raise ValidationFailed("REASON_REQUIRED", "Cần ghi lý do hoàn tiền (5–500 ký tự).",
                               "A refund needs a reason (5–500 characters).", {})
    refunds = _refund_open(order_id=order.pk, amount=amount, reason=note, actor=acting_user,
                           whole_order=amount is None)
    return [market_refund_send(refund=r) for r in refunds]


def refund_owed(order_id: int) -> list[MarketRefund] | None:
    """Refund whatever a cancelled (or doubly paid) order still holds: ``needs_refund``.
    None when nothing is owed any more."""
    order = Order.objects.filter(pk=order_id, needs_refund=True).first()
    if order is None:
        return None
    refunds = _refund_open(order_id=order.pk, amount=None, actor=None, whole_order=True,
                           reason=f"Hoàn tiền đơn hàng {order.code} ({order.status})")
    return [market_refund_send(refund=r) for r in refunds]


def market_refund_send(*, refund: MarketRefund) -> MarketRefund:
    """Send (or send again, with the same request id) a pending refund; record the answer."""
    from tinhso.payments.gateway import merchant_api_call

    if refund.status != MarketRefundStatus.PENDING:
        return refund
    payment = refund.payment
    request = vnpay_api.RefundRequest(
        tmn_code=conf.tmn_code(), txn_ref=payment.txn_ref, amount_vnd=refund.amount,
        full=refund.full, transaction_no=payment.transaction_no,
        transaction_date=payment.created_at,
        create_by=(refund.requested_by.get_username() if refund.requested_by else "tinhso")[:250],
        ip_addr="127.0.0.1", created_at=timezone.now(),
        order_info=vnpay.order_info(f"Hoan tien {payment.txn_ref}"))
    answer = merchant_api_call(request.message(conf.hash_secret(), req_id=refund.request_id),
                               vnpay_api.COMMAND_REFUND)
    return _refund_record(refund_id=refund.pk, answer=answer)


@transaction.atomic
def _refund_record(*, refund_id: int, answer: dict[str, str]) -> MarketRefund:
    from tinhso.market.orders import record

    refund = MarketRefund.objects.select_for_update().get(pk=refund_id)
    code = answer.get("vnp_ResponseCode", "")
    if refund.status != MarketRefundStatus.PENDING:
        return refund  # already decided
    if code == vnpay_api.API_DUPLICATE:  # already being processed at the gateway: an officer
        refund.response_code = code  # checks it; the job does not send it again
        refund.message = answer.get("vnp_Message", "")[:255]
        refund.save(update_fields=["response_code", "message"])
        return refund
    at = timezone.now()
    succeeded = code == vnpay_api.API_OK and answer.get("vnp_Amount") == str(refund.amount * 100)
    refund.status = MarketRefundStatus.SUCCEEDED if succeeded else MarketRefundStatus.FAILED
    refund.decided_at = at
    refund.response_code = code[:4]
    refund.message = answer.get("vnp_Message", "")[:255]
    refund.transaction_no = answer.get("vnp_TransactionNo", "")[:40]
    refund.save()
    order = Order.objects.select_for_update(of=("self",)).get(pk=refund.order_id)
    if succeeded:
        record(order, actor=refund.requested_by, action="refund", from_status=order.status,
               at=at, note=refund.reason, data={"refund": refund.pk, "amount": refund.amount},
               extra={"refund_amount": refund.amount})
    elif order.status == OrderStatus.CANCELLED:
        # A refused refund of a cancelled order stays owed: the job tries again later.
        order.needs_refund = True
        order.save(update_fields=["needs_refund"])
    return refund


def schedule_refund(order_id: int) -> None:
    """After the commit of a cancellation: try the refund at once in a worker (the periodic
    job catches up when the queue or the gateway is down)."""
    def enqueue() -> None:
        from tinhso.market.tasks import market_refund_owed

        try:
            market_refund_owed(order_id)
        except Exception:  # the periodic sweep sends it later
            logger.exception("refund of order %s not enqueued", order_id)

    transaction.on_commit(enqueue)


def order_refunds(order: Order) -> list[MarketRefund]:
    return list(MarketRefund.objects.filter(order=order).order_by("requested_at", "id"))


def find_order(user: Any, code: str) -> Order:
    order = Order.objects.visible_to(user).filter(code=code).first()
    if order is None:
        raise NotFound("Không tìm thấy đơn hàng.", "Order not found.", {"code": code})
    return order
