"""VietQR reconciliation: import the bank's statement, match transfers to fees, review the rest.

A transfer matches a payment by the note the VietQR code carried (``TS<payment id>``, see
``vietqr.transfer_note``) and by its amount. Exactly one requested payment of an agency the
importer may act on, with the same amount, is confirmed at once (``payment_confirm``, method
``vietqr``, the bank reference as its reference). Everything else waits in a review queue:
partial and over-payments, transfers for a fee already paid (duplicate) or no longer payable
(late), and notes naming no payment (unmatched). Officers decide each: confirm, reject, refund.

Each line is written with its effect in its own transaction, so an import killed half-way keeps
what it did and a second import of the same file skips those lines (one row per bank reference)
and does the rest.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.accounts.models import User
from tinhso.accounts.permissions import can_act_on_agency, is_active_official, require_role
from tinhso.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from tinhso.dossiers.models import Status
from tinhso.dossiers.services._common import require_official_on
from tinhso.payments.models import (
    REVIEW_STATUSES,
    BankStatement,
    LineStatus,
    Payment,
    PaymentStatus,
    StatementLine,
)
from tinhso.payments.services import payment_confirm
from tinhso.payments.statements import Credit, parse_statement

IMPORT_ROLES = ("receiver", "leader", "agency_admin", "province_admin")
DECIDE_ROLES = ("receiver", "leader")
# "TS123", "TS 123" — not inside another word or number (banks prepend and append their codes).
_NOTE_ID = re.compile(r"(?<![A-Z0-9])TS ?(\d{1,12})(?![0-9])")
_ACCOUNT = re.compile(r"^[A-Za-z0-9]{1,30}$")


def payment_ids_in(note: str) -> set[int]:
    return {int(n) for n in _NOTE_ID.findall(note.upper())}


@dataclass
class ImportSummary:
    statement_id: int
    read: int
    new: int
    skipped: int
    by_status: dict[str, int]


def statement_import(*, acting_user: User, content: bytes, file_name: str, account: str,
                     progress: Callable[[int], Any] | None = None) -> ImportSummary:
    """Read the whole file first (a bad file changes nothing), then reconcile line by line."""
    if not is_active_official(acting_user):
        raise PermissionDenied({"required_roles": list(IMPORT_ROLES)})
    require_role(acting_user, *IMPORT_ROLES)
    account = account.strip()
    if not _ACCOUNT.match(account):
        raise ValidationFailed("INVALID_ACCOUNT", "Số tài khoản không hợp lệ.",
                               "Invalid account number.", {"account": account})
    parsed = parse_statement(content, file_name)
    statement = BankStatement.objects.create(
        account=account, file_name=file_name[:255], sha256=hashlib.sha256(content).hexdigest(),
        layout=parsed.layout[:40], imported_by=acting_user, imported_at=timezone.now(),
        lines_read=len(parsed.credits))
    counts: dict[str, int] = {}
    new = 0
    for index, credit in enumerate(parsed.credits, start=1):
        status = _reconcile_line(statement, credit, acting_user)
        if status is not None:
            new += 1
            counts[status] = counts.get(status, 0) + 1
        if progress is not None:
            progress(index)
    BankStatement.objects.filter(pk=statement.pk).update(
        lines_new=new, lines_matched=counts.get(LineStatus.MATCHED, 0))
    return ImportSummary(statement_id=statement.pk, read=len(parsed.credits), new=new,
                         skipped=len(parsed.credits) - new, by_status=counts)


def _reconcile_line(statement: BankStatement, credit: Credit, importer: User) -> str | None:
    """Write one line and its effect atomically; None when the bank reference is known."""
    try:
        with transaction.atomic():
            line = _classify(statement, credit, importer)
            line.save()
            if line.status == LineStatus.MATCHED and line.payment is not None:
                payment_confirm(acting_user=None, payment=line.payment, online=False,
                                reference=line.bank_ref, method="vietqr")
            return line.status
    except IntegrityError:
        if StatementLine.objects.filter(account=statement.account,
                                        bank_ref=credit.bank_ref).exists():
            return None  # imported before: this transfer is never counted twice
        raise


def _classify(statement: BankStatement, credit: Credit, importer: User) -> StatementLine:
    line = StatementLine(
        statement=statement, account=statement.account, line_no=credit.line_no,
        bank_ref=credit.bank_ref, booked_at=credit.booked_at, amount=credit.amount,
        note=credit.note, payer=credit.payer, agency_id=importer.agency_id)
    ids = payment_ids_in(credit.note)
    if len(ids) != 1:
        line.status = LineStatus.UNMATCHED
        line.reason = "no payment code in the note" if not ids else "several payment codes"
        return line
    payment = (Payment.objects.select_for_update(of=("self",)).select_related("dossier")
               .filter(pk=ids.pop()).first())
    if payment is None or not can_act_on_agency(importer, payment.dossier.agency_id):
        line.status = LineStatus.UNMATCHED
        line.reason = "unknown payment code"
        return line
    line.payment = payment
    line.agency_id = payment.dossier.agency_id
    if payment.status == PaymentStatus.PAID:
        line.status, line.reason = LineStatus.DUPLICATE, "the fee was already paid"
    elif (payment.status != PaymentStatus.REQUESTED
          or payment.dossier.status != Status.PAYMENT_REQUESTED):
        line.status, line.reason = LineStatus.LATE, "the fee is no longer awaiting payment"
    elif credit.amount < payment.amount:
        line.status, line.reason = LineStatus.PARTIAL, f"{payment.amount - credit.amount} short"
    elif credit.amount > payment.amount:
        line.status, line.reason = LineStatus.OVERPAID, f"{credit.amount - payment.amount} over"
    else:
        line.status, line.reason = LineStatus.MATCHED, "note and amount"
    return line


# --- the review queue -------------------------------------------------------------------------

def _lock_for_decision(acting_user: User, line_id: int) -> StatementLine:
    line = (StatementLine.objects.select_for_update(of=("self",))
            .select_related("payment", "payment__dossier").filter(pk=line_id).first())
    if line is None or not (is_active_official(acting_user)
                            and can_act_on_agency(acting_user, line.agency_id)):
        raise line_not_found(line_id)
    require_role(acting_user, *DECIDE_ROLES, "province_admin")
    if line.status not in REVIEW_STATUSES:
        raise Conflict("LINE_ALREADY_DECIDED", "Giao dịch này đã được xử lý.",
                       "This statement line was already decided.", {"status": line.status})
    return line


def line_not_found(line_id: object) -> DomainError:
    from tinhso.core.errors import NotFound

    return NotFound("Không tìm thấy giao dịch sao kê.", "Statement line not found.",
                    {"line": line_id}, code="STATEMENT_LINE_NOT_FOUND")


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not 5 <= len(reason) <= 500:
        raise ValidationFailed("REASON_REQUIRED", "Cần ghi lý do (5–500 ký tự).",
                               "A reason is required (5–500 characters).", {})
    return reason


def _decide(line: StatementLine, user: User, status: str, reason: str) -> StatementLine:
    line.status = status
    line.reason = reason
    line.decided_by = user
    line.decided_at = timezone.now()
    line.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    return line


@transaction.atomic
def statement_line_confirm(*, acting_user: User, line_id: int, reason: str,
                           payment_id: int | None = None) -> StatementLine:
    """Accept a transfer as the payment of a fee (a partial one the agency accepts, or an
    unmatched one whose fee the officer found): the payment is confirmed in this transaction."""
    line = _lock_for_decision(acting_user, line_id)
    reason = _reason(reason)
    payment = line.payment
    if payment_id is not None and (payment is None or payment.pk != payment_id):
        payment = (Payment.objects.select_related("dossier").filter(pk=payment_id).first())
        if payment is None:
            raise ValidationFailed("PAYMENT_NOT_FOUND", "Không tìm thấy khoản thu.",
                                   "Payment not found.", {"payment": payment_id})
    if payment is None:
        raise ValidationFailed("PAYMENT_REQUIRED", "Cần chọn khoản thu để xác nhận.",
                               "Name the payment this transfer pays.", {})
    require_official_on(acting_user, payment.dossier, *DECIDE_ROLES)
    payment_confirm(acting_user=acting_user, payment=payment, online=False,
                    reference=line.bank_ref, method="vietqr")
    line.payment = payment
    line.agency_id = payment.dossier.agency_id
    line.save(update_fields=["payment", "agency"])
    return _decide(line, acting_user, LineStatus.CONFIRMED, reason)


@transaction.atomic
def statement_line_reject(*, acting_user: User, line_id: int, reason: str) -> StatementLine:
    """Not a fee of this agency (a wrong account, a private transfer): set aside with why."""
    line = _lock_for_decision(acting_user, line_id)
    return _decide(line, acting_user, LineStatus.REJECTED, _reason(reason))


@transaction.atomic
def statement_line_refund(*, acting_user: User, line_id: int, reason: str) -> StatementLine:
    """Money to send back to the payer (a duplicate, late or over-payment)."""
    line = _lock_for_decision(acting_user, line_id)
    return _decide(line, acting_user, LineStatus.REFUND, _reason(reason))

