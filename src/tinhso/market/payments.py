"""Paying a market order online through the platform's VNPAY channel (decision 0013).

The protocol is the payments app's (``tinhso.payments.vnpay``: signing, payment URL, response
codes) and so are the terminal, the secret and the sandbox (``tinhso.payments.conf``). A market
attempt is a ``MarketPayment`` row whose reference starts with ``CHO`` (dossier fees' references
start with a digit): the one IPN URL of the terminal (``/thanh-toan/vnpay/ipn``) hands such
notifications to ``market_vnpay_ipn`` through ``tinhso.payments.ipn_routes``. The browser comes
back to ``/cho-nong-san/thanh-toan/ket-qua``; only the IPN marks an order paid.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.core.errors import Conflict, NotFound, ValidationFailed
from tinhso.market.models import (
    MarketPayment,
    MarketPaymentStatus,
    Order,
    OrderStatus,
    PaymentMethod,
)
from tinhso.market.orders import record
from tinhso.payments import conf, vnpay

logger = logging.getLogger(__name__)

TXN_PREFIX = "CHO"
RETURN_PATH = "/cho-nong-san/thanh-toan/ket-qua"


@dataclass(frozen=True)
class MarketGatewayStart:
    payment: MarketPayment
    payment_url: str


def _client_ip(ip_addr: str) -> str:
    try:
        return str(ipaddress.ip_address(ip_addr.strip()))
    except ValueError:
        return "127.0.0.1"


@transaction.atomic
def market_vnpay_start(*, acting_user: Any, order: Order, ip_addr: str,
                       locale: str = "vn") -> MarketGatewayStart:
    """Open an attempt for an order to be paid online; return the signed gateway URL."""
    if locale not in ("vn", "en"):
        raise ValidationFailed("INVALID_LOCALE", "Ngôn ngữ phải là “vn” hoặc “en”.",
                               "The locale must be 'vn' or 'en'.", {"locale": locale})
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.buyer_id != getattr(acting_user, "pk", None):
        raise NotFound("Không tìm thấy đơn hàng.", "Order not found.", {"code": order.code})
    if order.payment_method != PaymentMethod.VNPAY or order.paid_at is not None \
            or order.status != OrderStatus.PLACED:
        raise Conflict("ORDER_NOT_PAYABLE", "Đơn hàng này không chờ thanh toán trực tuyến.",
                       "This order is not awaiting an online payment.",
                       {"status": order.status, "paid": order.paid_at is not None})
    at = timezone.now()
    payment = MarketPayment.objects.create(
        order=order, txn_ref=f"{TXN_PREFIX}{order.pk}T{secrets.token_hex(5).upper()}",
        amount=order.total, ip_addr=_client_ip(ip_addr), created_by=acting_user, created_at=at,
        expires_at=at + dt.timedelta(minutes=conf.expire_minutes()))
    request = vnpay.PaymentRequest(
        tmn_code=conf.tmn_code(), amount_vnd=payment.amount, txn_ref=payment.txn_ref,
        order_info=vnpay.order_info(f"Thanh toan don hang {order.code} cho nong san"),
        return_url=f"{conf.public_url()}{RETURN_PATH}", ip_addr=payment.ip_addr,
        created_at=at, expire_at=payment.expires_at, locale=locale)
    return MarketGatewayStart(payment=payment, payment_url=vnpay.payment_url(
        conf.gateway_url(), request, conf.hash_secret()))


def market_vnpay_ipn(params: Mapping[str, str], remote_addr: str = "") -> dict[str, str]:
    """The gateway's notification for a market attempt (its signature was checked by the
    payments app's IPN view). Checks in VNPAY's order: order (01), amount (04), already
    processed (02); success marks the order paid, in the same transaction."""
    if not vnpay.verify(params, conf.hash_secret()):  # also safe when called directly
        return vnpay.IPN_INVALID_SIGNATURE
    return _apply(params, remote_addr)


@transaction.atomic
def _apply(params: Mapping[str, str], remote_addr: str) -> dict[str, str]:
    txn_ref = str(params.get("vnp_TxnRef", ""))
    payment = (MarketPayment.objects.select_for_update().filter(txn_ref=txn_ref).first()
               if vnpay.is_valid_txn_ref(txn_ref) else None)
    if payment is None or params.get("vnp_TmnCode") != conf.tmn_code():
        return vnpay.IPN_ORDER_NOT_FOUND
    if str(params.get("vnp_Amount", "")) != str(payment.amount * 100):
        logger.error("VNPAY IPN amount %r does not match market payment %s",
                     params.get("vnp_Amount"), txn_ref)
        return vnpay.IPN_INVALID_AMOUNT
    if payment.status != MarketPaymentStatus.PENDING:
        return vnpay.IPN_ALREADY_CONFIRMED
    at = timezone.now()
    success = vnpay.is_success(params)
    data = {k: str(v) for k, v in params.items() if k != "vnp_SecureHash"}
    payment.status = MarketPaymentStatus.SUCCEEDED if success else MarketPaymentStatus.FAILED
    payment.ipn_received_at = at
    payment.response_code = str(params.get("vnp_ResponseCode", ""))[:4]
    payment.transaction_status = str(params.get("vnp_TransactionStatus", ""))[:4]
    payment.transaction_no = str(params.get("vnp_TransactionNo", ""))[:40]
    payment.bank_code = str(params.get("vnp_BankCode", ""))[:20]
    payment.raw_response = data
    payment.save()
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    event_data: dict[str, Any] = {"txn_ref": txn_ref, "amount": payment.amount,
                                  "response_code": payment.response_code,
                                  "remote_addr": remote_addr[:45]}
    if success:
        if order.paid_at is None and order.status != OrderStatus.CANCELLED:
            order.paid_at, order.payment_reference = at, payment.transaction_no
            order.version += 1
            order.save(update_fields=["paid_at", "payment_reference", "version"])
            record(order, actor=None, action="pay", from_status=order.status, at=at,
                   data=event_data)
        else:
            # Paid twice, or after the order was cancelled: the money goes back.
            order.needs_refund = True
            order.save(update_fields=["needs_refund"])
            logger.error("market payment %s succeeded but the order cannot take it", txn_ref)
    return vnpay.IPN_CONFIRMED


def register_ipn_route() -> None:
    from tinhso.payments.ipn_routes import register

    register(TXN_PREFIX, market_vnpay_ipn)
