"""Electronic receipts of fees and charges (biên lai thu phí, lệ phí điện tử).

Decree 123/2020/NĐ-CP (art. 30–32, receipts) and Circular 78/2021/TT-BTC set what a receipt
carries: the template symbol (ký hiệu mẫu biên lai) and the series (ký hiệu biên lai), a number
that runs without gaps, the collecting organisation, the payer, the fee or charge, the amount in
figures and in words, the time of collection, the collector's signature. The exact symbol
formats are configurable (``TINHSO_RECEIPT_TEMPLATE``, ``TINHSO_RECEIPT_SERIES_PREFIX``): their
defaults follow the common reading of Circular 78 (``01BLP0-001``, ``<2 letters>-<yy>E``) and are
UNCONFIRMED against the circular's text (docs/payments.md).

A receipt's number is taken, its PDF sealed with the agency's organisation certificate and its
rows written in ONE transaction: a signing failure takes no number, so numbers never skip.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.core.numwords import bang_chu
from tinhso.core.text import nfc
from tinhso.documents import issue as doc_issue
from tinhso.documents.models import DocumentForm
from tinhso.documents.render import FormContent, datetime_vi, local
from tinhso.payments.models import (
    Payment,
    PaymentStatus,
    Receipt,
    ReceiptCounter,
    ReceiptStatus,
)
from tinhso.settings import env_str

METHODS = {"vnpay": "Thanh toán trực tuyến qua VNPAY", "vietqr": "Chuyển khoản (VietQR)",
           "counter": "Tiền mặt tại quầy", "online": "Thanh toán trực tuyến"}
_TEMPLATE = re.compile(r"^[0-9A-Z\-]{3,20}$")
_PREFIX = re.compile(r"^[A-Z]{2}$")


def template_symbol() -> str:
    value = str(getattr(settings, "TINHSO_RECEIPT_TEMPLATE", "")
                or env_str("TINHSO_RECEIPT_TEMPLATE", "01BLP0-001"))
    if not _TEMPLATE.match(value):
        raise ValueError("TINHSO_RECEIPT_TEMPLATE: 3–20 upper-case letters, digits or '-'")
    return value


def series_for(year: int) -> str:
    prefix = str(getattr(settings, "TINHSO_RECEIPT_SERIES_PREFIX", "")
                 or env_str("TINHSO_RECEIPT_SERIES_PREFIX", "TS"))
    if not _PREFIX.match(prefix):
        raise ValueError("TINHSO_RECEIPT_SERIES_PREFIX: two upper-case letters")
    return f"{prefix}-{year % 100:02d}E"


def _next_number(agency_id: int, year: int, template: str, series: str) -> int:
    counter, _ = ReceiptCounter.objects.get_or_create(agency_id=agency_id, year=year,
                                                      template=template, series=series)
    counter = ReceiptCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _content(receipt: Receipt, dossier: Any, agency: Any, verify_url: str) -> FormContent:
    def line(label: str, value: Any) -> str:
        return f"<b>{escape(nfc(label))}</b> {escape(nfc(str(value)))}"

    paragraphs = [
        line("Ký hiệu mẫu biên lai:", receipt.template),
        line("Ký hiệu biên lai:", receipt.series),
        line("Số biên lai:", f"{receipt.number:07d}"),
        line("Đơn vị thu:", agency.name),
        line("Họ tên người nộp:", receipt.payer_name),
    ]
    if receipt.payer_id_number:
        paragraphs.append(line("Số định danh / mã số thuế:", receipt.payer_id_number))
    if receipt.payer_address:
        paragraphs.append(line("Địa chỉ:", receipt.payer_address))
    paragraphs += [
        line("Tên loại phí, lệ phí:", receipt.item),
        line("Số tiền:", f"{receipt.amount:,} đồng".replace(",", ".")),
        line("Bằng chữ:", receipt.amount_words),
        line("Hình thức thanh toán:", METHODS.get(receipt.method, receipt.method)),
        line("Thời điểm thu:", datetime_vi(receipt.collected_at)),
    ]
    old = receipt.replaces if receipt.replaces_id else None
    if old is not None:
        paragraphs.append(line("Thay thế biên lai:",
                               f"{old.series} số {old.number:07d} (đã hủy: {old.cancel_reason})"))
    return FormContent(
        agency_parent=agency.parent.name if agency.parent_id else "", agency=agency.name,
        place=agency.unit.name if agency.unit_id else "",
        title=DocumentForm.FEE_RECEIPT.label, number=f"{receipt.series}/{receipt.number:07d}",
        issued_at=receipt.issued_at, paragraphs=paragraphs, signer_title="Đơn vị thu",
        signer_name=agency.name, verify_url=verify_url, footer=f"Mã hồ sơ: {dossier.code}",
    )


def _issue(payment: Payment, *, acting_user: Any, replaces: Receipt | None) -> Receipt:
    dossier = payment.dossier
    agency = dossier.agency
    now = timezone.now()
    year = local(payment.paid_at or now).year
    template, series = template_symbol(), series_for(year)
    receipt = Receipt(
        agency=agency, year=year, template=template, series=series,
        number=_next_number(agency.pk, year, template, series), payment=payment,
        payer_name=dossier.applicant_name[:200], payer_id_number=dossier.applicant_id_number,
        payer_address=dossier.applicant_address[:255],
        item=nfc(f"{payment.description or dossier.procedure.name} — hồ sơ {dossier.code}")[:500],
        amount=payment.amount, amount_words=bang_chu(payment.amount), method=payment.method,
        collected_at=payment.paid_at or now, issued_at=now, replaces=replaces,
    )
    doc_uuid = doc_issue.new_document_uuid()
    content = _content(receipt, dossier, agency, doc_issue.verify_url(doc_uuid))
    receipt.document = doc_issue.document_issue_sealed(
        agency=agency, dossier=dossier, form=DocumentForm.FEE_RECEIPT, content=content,
        doc_uuid=doc_uuid, acting_user=acting_user, stamp_title="Đơn vị thu")
    receipt.save()
    return receipt


@transaction.atomic
def receipt_issue(*, payment: Payment, acting_user: Any = None) -> Receipt:
    """The receipt of a settled payment; idempotent (the existing one when already issued)."""
    payment = (Payment.objects.select_for_update(of=("self",))
               .select_related("dossier", "dossier__agency", "dossier__procedure")
               .get(pk=payment.pk))
    existing = payment.receipts.filter(status=ReceiptStatus.ISSUED).first()
    if existing is not None:
        return existing
    if payment.status != PaymentStatus.PAID:
        raise Conflict("PAYMENT_NOT_PAID", "Khoản thu chưa được thanh toán.",
                       "The payment is not settled.", {"status": payment.status})
    return _issue(payment, acting_user=acting_user, replaces=None)


@transaction.atomic
def receipt_cancel(*, acting_user: Any, receipt: Receipt, reason: str,
                   replace: bool = True) -> Receipt | None:
    """Cancel a receipt with a reason (kept, marked cancelled); issue its replacement.

    Returns the replacement (None when ``replace`` is false, e.g. the payment was refunded).
    """
    receipt = Receipt.objects.select_for_update().select_related("payment").get(pk=receipt.pk)
    agency_id = receipt.agency_id
    if not (getattr(acting_user, "is_official", False) and acting_user.is_active
            and (acting_user.agency_id == agency_id or acting_user.is_province_admin)
            and acting_user.has_role("receiver", "leader", "province_admin")):
        raise PermissionDenied({"reason": "receivers and leaders of the collecting agency"})
    if receipt.status != ReceiptStatus.ISSUED:
        raise Conflict("RECEIPT_ALREADY_CANCELLED", "Biên lai đã bị hủy trước đó.",
                       "The receipt was already cancelled.", {"receipt": receipt.pk})
    reason = " ".join(reason.split())
    if not 5 <= len(reason) <= 500:
        raise ValidationFailed("REASON_REQUIRED", "Cần ghi lý do hủy biên lai (5–500 ký tự).",
                               "A reason is required (5–500 characters).", {})
    receipt.status = ReceiptStatus.CANCELLED
    receipt.cancelled_at = timezone.now()
    receipt.cancelled_by = acting_user
    receipt.cancel_reason = reason
    receipt.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    if not replace:
        return None
    payment = (Payment.objects.select_for_update(of=("self",))
               .select_related("dossier", "dossier__agency", "dossier__procedure")
               .get(pk=receipt.payment_id))
    if payment.status != PaymentStatus.PAID:
        raise Conflict("PAYMENT_NOT_PAID", "Khoản thu không còn ở trạng thái đã thanh toán.",
                       "The payment is no longer settled.", {"status": payment.status})
    return _issue(payment, acting_user=acting_user, replaces=receipt)


def receipts_issue_missing(*, limit: int = 500, since: dt.datetime | None = None) -> int:
    """Issue the receipt of every settled payment that has none yet (catch-up; idempotent)."""
    qs = (Payment.objects.filter(status=PaymentStatus.PAID)
          .exclude(receipts__status=ReceiptStatus.ISSUED).order_by("paid_at", "id"))
    if since is not None:
        qs = qs.filter(paid_at__gte=since)
    issued = 0
    for payment in qs[:limit]:
        receipt_issue(payment=payment)
        issued += 1
    return issued


def handle_event(event: Any) -> None:
    """The outbox's "receipts" consumer: the receipt of a settled payment, once.

    A receipt that cannot be signed now (no CA yet, the agency's certificate revoked) is logged
    and left to the hourly catch-up (``receipts_catch_up``): the stream is never blocked.
    """
    import logging

    from tinhso.core.errors import DomainError

    if not getattr(settings, "TINHSO_ISSUE_DOCUMENTS", True):
        return
    payment = Payment.objects.filter(pk=(event.payload or {}).get("payment_id") or 0).first()
    if payment is None or payment.status != PaymentStatus.PAID:
        return
    try:
        receipt = receipt_issue(payment=payment)
    except DomainError as exc:
        logging.getLogger(__name__).warning("receipt of payment %s not issued: %s %s",
                                            payment.pk, exc.code, exc.message_en)
        return
    receipt_notify(receipt)


def receipt_notify(receipt: Receipt) -> None:
    """Tell the payer their receipt is ready (once per receipt), with the link to download it:
    the signed PDF is an attachment of the dossier, on its page in the portal."""
    from tinhso.notifications.handlers import applicant_recipient
    from tinhso.notifications.services import notification_create

    dossier = receipt.payment.dossier
    base = str(getattr(settings, "TINHSO_PUBLIC_URL", "")).rstrip("/")
    notification_create(
        event_key=f"receipt:{receipt.pk}", kind="receipt_issued",
        recipient=applicant_recipient(dossier),
        context={"code": dossier.code, "agency": receipt.agency.name,
                 "number": f"{receipt.number:07d}", "series": receipt.series,
                 "amount": f"{receipt.amount:,} đồng".replace(",", ".")},
        link=f"{base}/ho-so-cua-toi/{dossier.code}/", dossier_id=dossier.pk)
