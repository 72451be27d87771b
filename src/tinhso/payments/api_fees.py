"""/api/v1/payments/fees: what a procedure costs, quoted before submission (public)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from tinhso.catalog.selectors import procedure_get
from tinhso.payments import fees
from tinhso.payments.models import FeeExemption

router = Router(tags=["payments"])


class QuoteQuery(Schema):
    so_ban: int = Field(default=1, ge=1, le=fees.MAX_COPIES, description="copies")
    so_trang: int = Field(default=1, ge=1, le=fees.MAX_PAGES, description="pages per copy")
    doi_tuong: str = Field(default="", max_length=40, description="exemption group code")


class ExemptionOut(Schema):
    group: str
    group_name: str
    percent: int
    legal_basis: str


class QuoteOut(Schema):
    procedure: str
    base: int
    exemption_percent: int
    amount: int
    explanation: str
    exemptions: list[ExemptionOut]


@router.get("/{procedure_code}", response=QuoteOut, auth=None,
            summary="Phí, lệ phí phải nộp (báo trước khi nộp) / quote a procedure's fee")
def quote(request: HttpRequest, procedure_code: str, query: Query[QuoteQuery]) -> dict[str, Any]:
    procedure = procedure_get(procedure_code, active_only=True)
    q = fees.quote(procedure, copies=query.so_ban, pages=query.so_trang, group=query.doi_tuong)
    groups = (FeeExemption.objects.filter(Q(procedure=procedure) | Q(procedure__isnull=True))
              .order_by("group"))
    exemptions = [{"group": e.group, "group_name": e.group_name, "percent": e.percent,
                   "legal_basis": e.legal_basis} for e in groups]
    return {"procedure": procedure.code, "base": q.base,
            "exemption_percent": q.exemption_percent, "amount": q.amount,
            "explanation": q.explanation, "exemptions": exemptions}
