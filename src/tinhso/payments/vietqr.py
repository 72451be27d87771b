"""VietQR (NAPAS, EMVCo merchant-presented QR, field 38) for paying a fee by bank transfer.

The EMVCo string is built by ``vietnam-qr-pay``; the QR image by ``segno``. Banking apps show the
transfer note to the payer and to the receiving officer, who reconciles by it: it must stay short
ASCII (≤ 25 characters, many banks cut or reject longer or accented notes), so it is built here
from the payment id rather than from the procedure's Vietnamese name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import segno
from vietnam_qr_pay import QRPay

from tinhso.payments import conf
from tinhso.payments.models import Payment

NOTE_MAX = 25
_NOTE_SUFFIX = " PHI HO SO"
_NOTE_ALLOWED = re.compile(r"^[A-Z0-9 ]{1,25}$")


def transfer_note(payment_id: int) -> str:
    """``TS<id> PHI HO SO`` — or just ``TS<id>`` when the id is too long for the suffix."""
    token = f"TS{payment_id}"
    if len(token) > NOTE_MAX:
        raise ValueError("payment id too long for a transfer note")
    note = token + _NOTE_SUFFIX
    return note if len(note) <= NOTE_MAX else token


def is_valid_note(note: str) -> bool:
    return bool(_NOTE_ALLOWED.match(note))


@dataclass(frozen=True)
class VietQR:
    payload: str
    svg: str
    bank_bin: str
    account: str
    account_name: str
    amount: int
    note: str


def build_payload(*, bank_bin: str, account: str, amount: int, note: str) -> str:
    if not is_valid_note(note):
        raise ValueError("the transfer note must be ≤ 25 upper-case ASCII letters, digits, spaces")
    qr = QRPay.init_viet_qr(bank_bin=bank_bin, bank_number=account, amount=str(amount),
                            purpose=note)
    return qr.build()


def for_payment(payment: Payment) -> VietQR:
    bank_bin, account, name = conf.vietqr_payee()
    note = transfer_note(payment.pk)
    payload = build_payload(bank_bin=bank_bin, account=account, amount=payment.amount, note=note)
    svg = segno.make(payload, error="m").svg_inline(scale=4, border=2)
    return VietQR(payload=payload, svg=svg, bank_bin=bank_bin, account=account,
                  account_name=name, amount=payment.amount, note=note)
