"""Fees and charges: request a payment on a dossier, confirm it (counter or online gateway)."""

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

from tinhso.accounts.models import User
from tinhso.accounts.permissions import can_act_on_agency, is_active_official
from tinhso.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from tinhso.dossiers.events import record_event
from tinhso.dossiers.models import Action, Dossier, DossierEvent, Status
from tinhso.payments import conf, vnpay
from tinhso.payments.fees import fee_for_dossier
from tinhso.payments.ledger import ledger_collect
from tinhso.payments.models import (
    AttemptEventKind,
    AttemptStatus,
    Payment,
    PaymentAttempt,
    PaymentAttemptEvent,
    PaymentStatus,
)
from tinhso.payments.selectors import payment_not_found

logger = logging.getLogger(__name__)

# Counter: cash, card, a transfer the officer saw; online: the gateway or a reconciled VietQR.
PAYMENT_METHODS = frozenset({"counter", "cash", "card", "transfer", "vnpay", "vietqr", "online"})

# Where the gateway sends the citizen's browser back (payments/urls.py, mounted at /thanh-toan/).
RETURN_PATH = "/thanh-toan/vnpay/ket-qua"
IPN_PATH = "/thanh-toan/vnpay/ipn"


@transaction.atomic
def dossier_request_payment(*, acting_user: User, dossier: Dossier, amount: int | None = None,
                            note: str = "", expected_version: int | None = None) -> Payment:
    """Ask the applicant to pay the procedure's fee (or a stated amount): status 6."""
    dossier = c.lock_dossier(dossier, expected_version)
    at = c.now()
    lc.guard(Action.REQUEST_PAYMENT, acting_user, dossier, at)
    if amount is None:
        amount = fee_for_dossier(dossier)
        if amount == 0:
            raise ValidationFailed("NO_FEE_DUE", "Hồ sơ không phải nộp phí, lệ phí (hoặc được "
                                   "miễn); không cần yêu cầu thanh toán.",
                                   "No fee is due for this dossier (none, or exempted).", {})
    ceiling = max_payment_amount()
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= ceiling:
        raise ValidationFailed(
            "INVALID_AMOUNT",
            f"Số tiền phải là số nguyên dương (đồng), tối đa {ceiling:,} đồng.".replace(",", "."),
            f"The amount must be a positive whole number of VND, at most {ceiling}.",
            {"amount": amount, "max": ceiling})
    payment = Payment.objects.create(
        dossier=dossier, amount=amount,
        description=note.strip()[:255] or dossier.procedure.name[:255],
        requested_at=at, requested_by=acting_user,
    )
    from_status = dossier.status
    dossier.status = Status.PAYMENT_REQUESTED
    data: dict[str, Any] = {"payment": payment.pk, "amount": amount,
                            "resume_status": Status.PROCESSING}
    if dossier.procedure.payment_pauses_clock and dossier.paused_at is None:
        # Land procedures (Decree 101/2024/NĐ-CP): the applicant's time to carry out the
        # financial obligations does not count; the clock pauses as for a supplement.
        data["pauses_clock"] = True
        data.update(c.pause_clock(dossier, at))
    c.save(dossier, "status", "paused_at", "remaining_office_seconds")
    record_event(dossier, actor=acting_user, action=Action.REQUEST_PAYMENT,
                 from_status=from_status, to_status=Status.PAYMENT_REQUESTED, note=note.strip(),
                 at=at, data=data)
    return payment


def max_payment_amount() -> int:
    from django.conf import settings

    return int(settings.TINHSO_MAX_PAYMENT_AMOUNT)


@transaction.atomic
def payment_confirm(*, acting_user: User | None, payment: Payment, online: bool,
                    reference: str = "", method: str = "", amount: int | None = None
                    ) -> Payment:
    """Record that a requested payment was made; processing resumes (6 → 4).

    ``acting_user`` is the receiving officer for counter payments (recorded as who received the
    money), or None when a payment gateway's verified notification confirms an online payment.
    ``amount``, when the officer states what was received at the counter, must be exactly the
    amount requested: a payment is never confirmed for a different sum.
    """
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    dossier = c.lock_dossier(payment.dossier)
    if acting_user is not None:
        c.require_official_on(acting_user, dossier, "receiver", "specialist")
    if payment.status != PaymentStatus.REQUESTED:
        raise Conflict("PAYMENT_NOT_PENDING", "Khoản thanh toán này không còn chờ thanh toán.",
                       "This payment is not awaiting payment.", {"status": payment.status})
    if amount is not None and (isinstance(amount, bool) or amount != payment.amount):
        raise ValidationFailed(
            "AMOUNT_MISMATCH",
            f"Số tiền nộp phải đúng bằng số phải thu ({payment.amount:,} đồng).".replace(
                ",", "."),
            f"The amount paid must equal the amount due ({payment.amount} VND).",
            {"amount": amount, "due": payment.amount})
    if method and method not in PAYMENT_METHODS:
        raise ValidationFailed("INVALID_PAYMENT_METHOD", "Hình thức thanh toán không hợp lệ.",
                               "Unknown payment method.",
                               {"method": method, "allowed": sorted(PAYMENT_METHODS)})
    at = c.now()  # the services' clock, so the pay event orders after the request
    if acting_user is not None:
        lc.guard(Action.PAY, acting_user, dossier, at)
    else:  # the gateway's verified notification: only the status matters
        c.require_status(dossier, "thanh toán / pay", Status.PAYMENT_REQUESTED)
    payment.status = PaymentStatus.PAID
    payment.online = online
    payment.reference = reference[:100]
    payment.method = method[:30] or ("online" if online else "counter")
    payment.paid_at = at
    payment.received_by = acting_user
    payment.save(update_fields=["status", "online", "reference", "method", "paid_at",
                                "received_by"])
    ledger_collect(payment, at)
    dossier.status = Status.PROCESSING
    dossier.paid_online = dossier.paid_online or online
    if dossier.paused_at is not None:
        request = (DossierEvent.objects.filter(dossier=dossier, action=Action.REQUEST_PAYMENT)
                   .order_by("-at", "-id").first())
        # The appointment moves by the time the applicant took to pay.
        c.resume_clock(dossier, at, request.data if request else {})
    c.save(dossier, "status", "paid_online", "paused_at", "remaining_office_seconds",
           "due_at", "original_due_at")
    record_event(dossier, actor=acting_user, action=Action.PAY,
                 from_status=Status.PAYMENT_REQUESTED, to_status=Status.PROCESSING, at=at,
                 data={"payment": payment.pk, "amount": payment.amount, "online": online})
    event_publish(
        type="payment.settled", aggregate_type="payment", aggregate_id=payment.pk,
        agency_id=dossier.agency_id, actor_id=getattr(acting_user, "pk", None), occurred_at=at,
        payload={"payment_id": payment.pk, "dossier_id": dossier.pk, "dossier_code": dossier.code,
                 "amount": payment.amount, "online": online, "method": payment.method,
                 "reference": payment.reference, "at": at.isoformat()})
    return payment


# --- Online payment through VNPAY (merchant side) --------------------------------------------

@dataclass(frozen=True)
class GatewayStart:
    attempt: PaymentAttempt
    payment_url: str


def _new_txn_ref(payment: Payment) -> str:
    # Unique per attempt (also enforced by the database): the payment id keeps it readable for
    # reconciliation, 40 random bits make it unguessable; letters and digits only ("T" cannot
    # occur in the hex part, so the split is unambiguous).
    return f"{payment.pk}T{secrets.token_hex(5).upper()}"


def _require_applicant_of(user: User, payment: Payment) -> None:
    """Only the dossier's applicant pays online. An official who may see the dossier gets 403
    (it exists, they just may not pay for the citizen); anyone else 404."""
    dossier = payment.dossier
    if user.is_authenticated and dossier.applicant_id == user.pk:
        return
    if is_active_official(user) and can_act_on_agency(user, dossier.agency_id):
        raise PermissionDenied({"reason": "only the applicant pays online"})
    raise payment_not_found(payment.pk)


def _client_ip(ip_addr: str) -> str:
    try:
        return str(ipaddress.ip_address(ip_addr.strip()))
    except ValueError:
        return "127.0.0.1"


@transaction.atomic
def payment_vnpay_start(*, acting_user: User, payment: Payment, ip_addr: str,
                        locale: str = "vn") -> GatewayStart:
    """Open an attempt at the gateway for a requested payment; return the signed payment URL.

    Nothing is paid here: the payment is confirmed only by the gateway's signed IPN.
    """
    if locale not in ("vn", "en"):
        raise ValidationFailed("INVALID_LOCALE", "Ngôn ngữ phải là “vn” hoặc “en”.",
                               "The locale must be 'vn' or 'en'.", {"locale": locale})
    # of=("self",): lock the payment row only, not the joined dossier and procedure.
    payment = (Payment.objects.select_for_update(of=("self",))
               .select_related("dossier", "dossier__procedure").get(pk=payment.pk))
    _require_applicant_of(acting_user, payment)
    if payment.status != PaymentStatus.REQUESTED:
        raise Conflict("PAYMENT_NOT_PENDING", "Khoản thanh toán này không còn chờ thanh toán.",
                       "This payment is not awaiting payment.", {"status": payment.status})
    dossier = payment.dossier
    c.require_status(dossier, "thanh toán trực tuyến / pay online", Status.PAYMENT_REQUESTED)
    at = timezone.now()
    attempt = PaymentAttempt.objects.create(
        payment=payment, gateway="vnpay", txn_ref=_new_txn_ref(payment), amount=payment.amount,
        order_info=vnpay.order_info(
            f"Thanh toan phi ho so {dossier.code} {dossier.procedure.name}"),
        ip_addr=_client_ip(ip_addr), created_by=acting_user, created_at=at,
        expires_at=at + dt.timedelta(minutes=conf.expire_minutes()),
    )
    PaymentAttemptEvent.objects.create(
        attempt=attempt, at=at, kind=AttemptEventKind.CREATED, to_status=AttemptStatus.PENDING,
        actor=acting_user, remote_addr=attempt.ip_addr,
        data={"amount": attempt.amount, "locale": locale},
    )
    request = vnpay.PaymentRequest(
        tmn_code=conf.tmn_code(), amount_vnd=attempt.amount, txn_ref=attempt.txn_ref,
        order_info=attempt.order_info, return_url=f"{conf.public_url()}{RETURN_PATH}",
        ip_addr=attempt.ip_addr, created_at=at, expire_at=attempt.expires_at, locale=locale,
    )
    url = vnpay.payment_url(conf.gateway_url(), request, conf.hash_secret())
    return GatewayStart(attempt=attempt, payment_url=url)


def payment_vnpay_ipn(*, params: Mapping[str, str], remote_addr: str = "") -> dict[str, str]:
    """Handle the gateway's server-to-server notification (IPN); return the reply to send.

    Order of checks as VNPAY specifies: signature (97), order (01), amount (04), already
    processed (02). A success confirms the payment (dossier 6 → 4) in the same transaction that
    records the IPN on the attempt. Unexpected failures answer 99 so that the gateway retries.
    """
    if not vnpay.verify(params, conf.hash_secret()):
        # Unsigned input writes nothing: anyone can reach this URL.
        logger.warning("VNPAY IPN with an invalid signature from %s (txn_ref=%r)",
                       remote_addr, params.get("vnp_TxnRef"))
        return vnpay.IPN_INVALID_SIGNATURE
    try:
        from tinhso.payments.ipn_routes import handler_for

        routed = handler_for(str(params.get("vnp_TxnRef", "")))
        if routed is not None:  # another app's transaction on the same terminal (marketplace)
            return routed(params, remote_addr)
        return _apply_ipn(params, remote_addr)
    except Exception:  # the protocol boundary: log, answer 99, let the gateway retry
        logger.exception("VNPAY IPN failed (txn_ref=%r)", params.get("vnp_TxnRef"))
        return vnpay.IPN_UNKNOWN_ERROR


@transaction.atomic
def _apply_ipn(params: Mapping[str, str], remote_addr: str, *,
               kind: str = AttemptEventKind.IPN) -> dict[str, str]:
    """Apply the gateway's verified word on an attempt: its IPN, or a ``querydr`` answer
    (``kind`` = query) when the IPN never came. The same checks and effects either way."""
    txn_ref = str(params.get("vnp_TxnRef", ""))
    attempt = (PaymentAttempt.objects.select_for_update().filter(txn_ref=txn_ref).first()
               if vnpay.is_valid_txn_ref(txn_ref) else None)
    if attempt is None or params.get("vnp_TmnCode") != conf.tmn_code():
        logger.warning("VNPAY IPN for an unknown transaction %r", txn_ref)
        return vnpay.IPN_ORDER_NOT_FOUND
    at = timezone.now()
    data = {k: str(v) for k, v in params.items() if k != "vnp_SecureHash"}

    def log(reply: dict[str, str], to_status: str, **extra: Any) -> dict[str, str]:
        PaymentAttemptEvent.objects.create(
            attempt=attempt, at=at, kind=kind, from_status=attempt.status,
            to_status=to_status, rsp_code=reply["RspCode"], remote_addr=remote_addr[:45],
            data={"params": data, **extra},
        )
        return reply

    if str(params.get("vnp_Amount", "")) != str(attempt.amount * 100):
        logger.error("VNPAY IPN amount %r does not match attempt %s (%s VND)",
                     params.get("vnp_Amount"), txn_ref, attempt.amount)
        return log(vnpay.IPN_INVALID_AMOUNT, attempt.status)
    if attempt.status != AttemptStatus.PENDING:
        return log(vnpay.IPN_ALREADY_CONFIRMED, attempt.status)

    success = vnpay.is_success(params)
    new_status = AttemptStatus.SUCCEEDED if success else AttemptStatus.FAILED
    extra: dict[str, Any] = {}
    if success:
        try:
            payment_confirm(acting_user=None, payment=attempt.payment, online=True,
                            reference=str(params.get("vnp_TransactionNo", "")), method="vnpay")
        except DomainError as exc:
            # The money is taken but cannot be applied (settled at the counter meanwhile, or the
            # dossier withdrawn/stopped): keep the record, flag it for a refund, still answer
            # "00" — the gateway's notification itself was received and processed.
            attempt.needs_refund = True
            extra["not_applied"] = exc.code
            logger.error("VNPAY payment %s succeeded but cannot be applied (%s): refund needed",
                         txn_ref, exc.code)
    reply = log(vnpay.IPN_CONFIRMED, new_status, **extra)
    attempt.status = new_status
    if kind == AttemptEventKind.IPN:
        attempt.ipn_received_at = at
    attempt.response_code = str(params.get("vnp_ResponseCode", ""))[:4]
    attempt.transaction_status = str(params.get("vnp_TransactionStatus", ""))[:4]
    attempt.transaction_no = str(params.get("vnp_TransactionNo", ""))[:40]
    attempt.bank_code = str(params.get("vnp_BankCode", ""))[:20]
    attempt.raw_response = data
    attempt.save()
    return reply


# Imported last on purpose: tinhso.dossiers.services re-exports this module's services, so when
# this module is imported first, the dossier package must find them already defined.
from tinhso.dossiers import lifecycle as lc  # noqa: E402
from tinhso.dossiers.services import _common as c  # noqa: E402
from tinhso.outbox.services import event_publish  # noqa: E402
