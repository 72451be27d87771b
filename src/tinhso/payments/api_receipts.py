"""/api/v1/payments/receipts: electronic fee receipts and the register of each agency."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from tinhso.accounts.models import User
from tinhso.accounts.permissions import is_active_official
from tinhso.core.errors import PermissionDenied
from tinhso.documents.services import verify_url
from tinhso.payments import receipts, selectors
from tinhso.payments.models import Receipt, ReceiptStatus

router = Router(tags=["payments"])
EXPORT_MAX = 200_000


class ReceiptOut(Schema):
    id: int
    agency: str
    template: str
    series: str
    number: int
    status: str
    payer_name: str
    item: str
    amount: int
    amount_words: str
    method: str
    collected_at: dt.datetime
    issued_at: dt.datetime
    dossier: str
    payment_id: int
    document_uuid: str | None
    verify_url: str | None
    replaces: int | None
    cancel_reason: str


class ReceiptPage(Schema):
    items: list[ReceiptOut]
    next_cursor: str | None


class ReceiptFilter(Schema):
    year: int | None = Field(default=None, ge=2000, le=2100)
    status: ReceiptStatus | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: int | None = Field(default=None, ge=1, le=2**62)


class CancelIn(Schema):
    reason: str = Field(min_length=5, max_length=500)
    replace: bool = True


def receipt_out(r: Receipt) -> dict[str, Any]:
    doc = r.document
    return {"id": r.pk, "agency": r.agency.code, "template": r.template, "series": r.series,
            "number": r.number, "status": r.status, "payer_name": r.payer_name,
            "item": r.item, "amount": r.amount, "amount_words": r.amount_words,
            "method": r.method, "collected_at": r.collected_at, "issued_at": r.issued_at,
            "dossier": r.payment.dossier.code, "payment_id": r.payment_id,
            "document_uuid": str(doc.uuid) if doc else None,
            "verify_url": verify_url(doc.uuid) if doc else None,
            "replaces": r.replaces_id, "cancel_reason": r.cancel_reason}


def _filtered(user: User, filters: ReceiptFilter) -> Any:
    qs = selectors.receipts_visible_to(user)
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


@router.get("/", response=ReceiptPage,
            summary="Biên lai điện tử / electronic receipts (register of the user's scope)")
def list_receipts(request: HttpRequest, filters: Query[ReceiptFilter]) -> dict[str, Any]:
    qs = _filtered(request.user, filters).order_by("-id")  # type: ignore[arg-type]
    if filters.cursor:
        qs = qs.filter(id__lt=filters.cursor)
    rows = list(qs[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {"items": [receipt_out(r) for r in rows],
            "next_cursor": str(rows[-1].pk) if more else None}


@router.get("/register.csv", summary="Sổ biên lai (CSV) / the receipt register as CSV")
def register_csv(request: HttpRequest, filters: Query[ReceiptFilter]) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not is_active_official(user):
        raise PermissionDenied({"reason": "officials only"})
    qs = _filtered(user, filters).order_by("agency__code", "year", "series", "number")
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with a BOM as UTF-8
    writer = csv.writer(out)
    writer.writerow(["Cơ quan", "Ký hiệu mẫu", "Ký hiệu", "Số", "Trạng thái", "Người nộp",
                     "Tên phí, lệ phí", "Số tiền", "Hình thức", "Thời điểm thu", "Mã hồ sơ",
                     "Thay thế biên lai", "Lý do hủy"])
    for r in qs[:EXPORT_MAX].iterator(chunk_size=2000):
        writer.writerow([r.agency.code, r.template, r.series, f"{r.number:07d}",
                         r.get_status_display(), r.payer_name, r.item, r.amount, r.method,
                         r.collected_at.isoformat(), r.payment.dossier.code,
                         r.replaces_id or "", r.cancel_reason])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="so-bien-lai.csv"'
    return response


@router.get("/{receipt_id}", response=ReceiptOut, summary="Một biên lai / one receipt")
def detail(request: HttpRequest, receipt_id: int) -> dict[str, Any]:
    return receipt_out(selectors.receipt_get_for_user(request.user, receipt_id))  # type: ignore[arg-type]


@router.post("/{receipt_id}/cancel", response={200: ReceiptOut, 204: None},
             summary="Hủy biên lai (và lập biên lai thay thế) / cancel and replace")
def cancel(request: HttpRequest, receipt_id: int, body: CancelIn) -> Any:
    user: User = request.user  # type: ignore[assignment]
    receipt = selectors.receipt_get_for_user(user, receipt_id)
    replacement = receipts.receipt_cancel(acting_user=user, receipt=receipt, reason=body.reason,
                                          replace=body.replace)
    if replacement is None:
        return HttpStatus(204, None)
    return receipt_out(selectors.receipt_get_for_user(user, replacement.pk))
