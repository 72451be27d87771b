"""/api/v1/payments/settlements: the daily settlement of an agency (JSON, CSV, sealed PDF)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from tinhso.accounts.models import User
from tinhso.accounts.permissions import (
    can_act_on_agency,
    is_active_official,
)
from tinhso.core.errors import NotFound, ValidationFailed
from tinhso.documents.services import verify_url
from tinhso.payments import selectors, settlement
from tinhso.payments.models import LedgerKind
from tinhso.units.models import Agency

router = Router(tags=["payments"])


class ChannelOut(Schema):
    channel: str
    name: str
    collected_count: int
    collected: int
    refunded_count: int
    refunded: int
    net: int


class CountAmount(Schema):
    count: int
    amount: int


class SettlementOut(Schema):
    agency: str
    agency_name: str
    day: dt.date
    channels: list[ChannelOut]
    collected: int
    refunded: int
    owed_to_treasury: int
    pending_attempts: CountAmount
    pending_refunds: CountAmount
    disputed: dict[str, CountAmount]


class FormatQuery(Schema):
    format: Literal["json", "csv"] = "json"


class DocumentOut(Schema):
    document_uuid: str
    verify_url: str
    sha256: str


def _agency(user: User, code: str) -> Agency:
    """The agency, or 404 when unknown or outside the official's scope; 403 without a role."""
    agency = selectors.agency_by_code(code)
    if agency is None or not (is_active_official(user) and can_act_on_agency(user, agency.pk)):
        raise NotFound("Không tìm thấy cơ quan.", "Agency not found.", {"agency": code},
                       code="AGENCY_NOT_FOUND")
    settlement.require_settlement_access(user, agency)
    return agency


def _require_sane_day(day: dt.date) -> None:
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise ValidationFailed("INVALID_DAY", "Ngày phải trong khoảng 2000–2100.",
                               "The day must be between 2000 and 2100.", {"day": str(day)})


def settlement_out(s: settlement.Settlement) -> dict[str, Any]:
    return {"agency": s.agency_code, "agency_name": s.agency_name, "day": s.day,
            "channels": [{**c.__dict__, "net": c.net} for c in s.channels],
            "collected": s.collected, "refunded": s.refunded,
            "owed_to_treasury": s.owed_to_treasury,
            "pending_attempts": dict(zip(("count", "amount"), s.pending_attempts, strict=True)),
            "pending_refunds": dict(zip(("count", "amount"), s.pending_refunds, strict=True)),
            "disputed": {k: {"count": n, "amount": t} for k, (n, t) in s.disputed.items()}}


class SummaryQuery(Schema):
    month_from: str = Field(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    month_to: str = Field(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")


class SummaryRow(Schema):
    month: str
    agency: str
    channel: str
    collected_count: int
    collected: int
    refunded: int


def _month_start(text: str) -> dt.datetime:
    year, month = (int(x) for x in text.split("-"))
    return dt.datetime(year, month, 1, tzinfo=settlement.VN)


@router.get("/summary", response=list[SummaryRow],
            summary="Tiền thu theo tháng, cơ quan, kênh / money by month, agency and channel")
def summary(request: HttpRequest, query: Query[SummaryQuery]) -> list[dict[str, Any]]:
    """For the IOC and the finance office: the ledger summed per month (Vietnam time), agency
    and channel, within the agencies the user's dashboards cover; at most 24 months."""
    user: User = request.user  # type: ignore[assignment]
    start = _month_start(query.month_from)
    last = _month_start(query.month_to)
    months = (last.year - start.year) * 12 + last.month - start.month + 1
    if not 1 <= months <= 24:
        raise ValidationFailed("INVALID_PERIOD", "Khoảng thời gian phải từ 1 đến 24 tháng.",
                               "The period must cover 1 to 24 months.",
                               {"month_from": query.month_from, "month_to": query.month_to})
    end = (last + dt.timedelta(days=32)).replace(day=1)
    qs = selectors.ledger_for_dashboards(user).filter(at__gte=start, at__lt=end)
    rows = (qs.annotate(month=TruncMonth("at", tzinfo=settlement.VN))
            .values("month", "agency__code", "channel")
            .annotate(n=Count("id", filter=Q(kind=LedgerKind.COLLECTED)),
                      collected=Sum("amount", filter=Q(kind=LedgerKind.COLLECTED)),
                      refunded=Sum("amount", filter=Q(kind=LedgerKind.REFUNDED)))
            .order_by("month", "agency__code", "channel"))
    return [{"month": r["month"].strftime("%Y-%m"), "agency": r["agency__code"],
             "channel": r["channel"], "collected_count": r["n"],
             "collected": int(r["collected"] or 0), "refunded": -int(r["refunded"] or 0)}
            for r in rows]



@router.get("/{agency_code}/{day}", response=SettlementOut,
            summary="Bảng kê thu phí trong ngày của cơ quan / an agency's daily settlement")
def day_settlement(request: HttpRequest, agency_code: str, day: dt.date,
                   query: Query[FormatQuery]) -> Any:
    """``?format=csv`` answers the same figures as CSV (UTF-8 with BOM, for Excel)."""
    agency = _agency(request.user, agency_code)  # type: ignore[arg-type]
    _require_sane_day(day)
    s = settlement.settlement_for(agency=agency, day=day)
    if query.format == "csv":
        response = HttpResponse(settlement.settlement_csv(s), content_type="text/csv")
        response["Content-Disposition"] = (
            f'attachment; filename="bang-ke-{agency.code}-{day.isoformat()}.csv"')
        return response
    return settlement_out(s)


@router.post("/{agency_code}/{day}/pdf", response={201: DocumentOut},
             summary="Phát hành bảng kê có ký số / issue the sealed PDF of the day")
def day_settlement_pdf(request: HttpRequest, agency_code: str,
                       day: dt.date) -> HttpStatus[dict[str, Any]]:
    user: User = request.user  # type: ignore[assignment]
    agency = _agency(user, agency_code)
    _require_sane_day(day)
    doc = settlement.settlement_issue_pdf(acting_user=user, agency=agency, day=day)
    return HttpStatus(201, {"document_uuid": str(doc.uuid), "verify_url": verify_url(doc.uuid),
                            "sha256": doc.sha256})
