"""/api/v1/payments/statements: VietQR reconciliation against the bank's statement."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status as HttpStatus

from tinhso.accounts.models import User
from tinhso.core.errors import ValidationFailed
from tinhso.payments import reconcile, selectors
from tinhso.payments.models import LineStatus, StatementLine

router = Router(tags=["payments"])
MAX_PAGE = 200


class ImportOut(Schema):
    statement_id: int
    read: int
    new: int
    skipped: int
    by_status: dict[str, int]


class LineOut(Schema):
    id: int
    bank_ref: str
    booked_at: dt.datetime
    amount: int
    note: str
    payer: str
    status: str
    status_name: str
    reason: str
    payment_id: int | None
    dossier: str | None
    expected_amount: int | None


class LinePage(Schema):
    items: list[LineOut]
    next_cursor: str | None


class DecisionIn(Schema):
    reason: str = Field(min_length=5, max_length=500)
    payment_id: int | None = Field(default=None, ge=1, le=2**62)


class LineFilter(Schema):
    status: Literal["review", *LineStatus.values] = "review"  # type: ignore[valid-type]
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    cursor: int | None = Field(default=None, ge=1, le=2**62)


def line_out(line: StatementLine) -> dict[str, Any]:
    payment = line.payment
    return {"id": line.pk, "bank_ref": line.bank_ref, "booked_at": line.booked_at,
            "amount": line.amount, "note": line.note, "payer": line.payer,
            "status": line.status, "status_name": line.get_status_display(),
            "reason": line.reason, "payment_id": line.payment_id,
            "dossier": payment.dossier.code if payment else None,
            "expected_amount": payment.amount if payment else None}


@router.post("/", response={201: ImportOut},
             summary="Nhập sao kê ngân hàng, đối soát VietQR / import a bank statement")
def import_statement(request: HttpRequest, account: Form[str],
                     file: File[UploadedFile]) -> HttpStatus[dict[str, Any]]:
    """CSV or .xlsx; the header row is recognised by its column names (docs/payments.md).
    A file with an unreadable credit line is refused whole (422 STATEMENT_INVALID, each line's
    number and reason); lines imported before are skipped."""
    limit = settings.TINHSO_MAX_UPLOAD_BYTES
    if file.size is not None and file.size > limit:
        raise ValidationFailed("FILE_TOO_LARGE", "Tệp sao kê quá lớn.", "Statement too large.",
                               {"size": file.size, "limit": limit})
    user: User = request.user  # type: ignore[assignment]
    summary = reconcile.statement_import(acting_user=user, content=file.read(),
                                         file_name=file.name or "saoke", account=account)
    return HttpStatus(201, summary.__dict__)


@router.get("/lines", response=LinePage,
            summary="Giao dịch sao kê cần xử lý / statement lines (review queue by default)")
def lines(request: HttpRequest, filters: Query[LineFilter]) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    if filters.status == "review":
        qs = selectors.review_queue(user)
    else:
        qs = selectors.statement_lines_visible_to(user).filter(status=filters.status)
    qs = qs.order_by("id")
    if filters.cursor:
        qs = qs.filter(id__gt=filters.cursor)
    rows = list(qs[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {"items": [line_out(x) for x in rows],
            "next_cursor": str(rows[-1].pk) if more else None}


def _decided(request: HttpRequest, line: StatementLine) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    return line_out(selectors.statement_lines_visible_to(user).get(pk=line.pk))


@router.post("/lines/{line_id}/confirm", response=LineOut,
             summary="Xác nhận giao dịch là tiền nộp phí / accept as the fee's payment")
def confirm(request: HttpRequest, line_id: int, body: DecisionIn) -> dict[str, Any]:
    line = reconcile.statement_line_confirm(acting_user=request.user,  # type: ignore[arg-type]
                                            line_id=line_id, reason=body.reason,
                                            payment_id=body.payment_id)
    return _decided(request, line)


@router.post("/lines/{line_id}/reject", response=LineOut,
             summary="Loại giao dịch không phải tiền phí / set aside")
def reject(request: HttpRequest, line_id: int, body: DecisionIn) -> dict[str, Any]:
    line = reconcile.statement_line_reject(acting_user=request.user,  # type: ignore[arg-type]
                                           line_id=line_id, reason=body.reason)
    return _decided(request, line)


@router.post("/lines/{line_id}/refund", response=LineOut,
             summary="Đánh dấu cần hoàn trả người chuyển / to be refunded")
def refund(request: HttpRequest, line_id: int, body: DecisionIn) -> dict[str, Any]:
    line = reconcile.statement_line_refund(acting_user=request.user,  # type: ignore[arg-type]
                                           line_id=line_id, reason=body.reason)
    return _decided(request, line)
