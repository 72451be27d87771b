"""The IOC under /api/v1/ioc: the live 766 index, its monthly series, rankings, notifications.

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from tinhso.ioc import selectors
from tinhso.ioc.dashboard import monthly_series, ranking
from tinhso.ioc.notifications import notification_mark_read, notifications_for

router = Router(tags=["ioc"])

# Periods are parsed by the selectors (their own PERIOD_INVALID code); the schema says the shape.
_DATE: dict[str, Any] = {"format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


class IndicatorOut(Schema):
    code: str
    name_vi: str
    numerator: int | None
    denominator: int | None
    ratio: float | None
    score: float | None
    max: float
    no_data: bool = Field(..., description="chưa có dữ liệu (không có nguồn hoặc mẫu số 0)")


class GroupOut(Schema):
    code: str
    name_vi: str
    score: float | None
    max: float = Field(..., description="điểm tối đa danh nghĩa của nhóm (18/20/12/10/22/18)")
    covered_max: float = Field(..., description="điểm tối đa của các chỉ số có dữ liệu")
    no_data: bool
    indicators: list[IndicatorOut]


class IndexOut(Schema):
    scope: str
    from_: str = Field(..., alias="from")
    to: str
    score: float | None = Field(..., description="điểm trên thang 100 (chỉ số chưa có dữ liệu "
                                                 "được 0 điểm), so sánh được với Cổng DVC "
                                                 "quốc gia")
    max: float = Field(..., description="100")
    covered_score: float | None = Field(..., description="điểm các chỉ số có dữ liệu")
    covered_max: float = Field(..., description="điểm tối đa của các chỉ số có dữ liệu")
    covered_percent: float | None = Field(..., description="covered_score / covered_max × 100")
    groups: list[GroupOut]
    data_up_to: str = Field(..., description="dữ liệu đến: mọi sự kiện trước thời điểm này "
                                             "đã được tính (ISO 8601)")
    lag_seconds: float = Field(..., description="độ trễ của số liệu so với sự kiện mới nhất "
                                                "(giây; 0 khi không có sự kiện chờ)")


class IndexQuery(Schema):
    scope: str = Field(..., description="mã đơn vị hành chính, cơ quan, thủ tục hoặc lĩnh vực "
                                        "(tiền tố tùy chọn: agency:, unit:, current2:, "
                                        "legacy3:, procedure:, field:)")
    date_from: str = Field(..., alias="from", description="YYYY-MM-DD",
                                json_schema_extra=_DATE)
    date_to: str = Field(..., alias="to", description="YYYY-MM-DD",
                              json_schema_extra=_DATE)


@router.get("/index", response=IndexOut, by_alias=True,
            summary="Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766)")
def index(request: HttpRequest, q: Query[IndexQuery]) -> dict[str, Any]:
    """The 766 index of a scope over [from, to]. Unfinished dossiers are judged at the end of
    ``to`` (or of today when ``to`` is later; ``to`` in the answer is that day). Indicators
    without data have null numerator, denominator, ratio and score and ``no_data`` true; groups
    keep their nominal maxima and the total is on the national 100-point scale, with the score
    over the indicators that have data beside it (``covered_*``, docs/kpi.md). The figures
    follow the dossier events through the outbox within seconds: ``data_up_to`` and
    ``lag_seconds`` say how current they are."""
    from tinhso.ioc.consumer import freshness

    fresh = freshness()
    return {**selectors.kpi_index(request.user, q.scope, q.date_from, q.date_to),
            "data_up_to": fresh.up_to.isoformat(), "lag_seconds": round(fresh.lag_seconds, 1)}


class SeriesPoint(Schema):
    month: str
    score: float | None
    max: float
    groups: dict[str, float | None]
    received: int
    online_rate: float | None
    on_time_rate: float | None
    overdue: int
    paid_online: int


@router.get("/series", response=list[SeriesPoint], summary="Chỉ số theo tháng")
def series(request: HttpRequest, scope: str, months: int = 12) -> list[dict[str, Any]]:
    return monthly_series(request.user, scope, months=max(1, min(months, 36)))


class RankingRow(Schema):
    code: str
    name: str
    score: float | None
    max: float
    received: int
    on_time_rate: float | None
    online_rate: float | None
    overdue: int


class RankingQuery(Schema):
    scope: str
    date_from: str = Field(..., alias="from", json_schema_extra=_DATE)
    date_to: str = Field(..., alias="to", json_schema_extra=_DATE)
    by: str = Field("auto", description="auto | district | commune | agency")


@router.get("/ranking", response=list[RankingRow], summary="Xếp hạng đơn vị, cơ quan")
def ranking_view(request: HttpRequest, q: Query[RankingQuery]) -> list[dict[str, Any]]:
    return ranking(request.user, q.scope, q.date_from, q.date_to, by=q.by)["rows"]


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: Any
    read_at: Any


@router.get("/notifications", response=list[NotificationOut], summary="Thông báo của tôi")
def notifications(request: HttpRequest, unread: bool = False) -> list[Any]:
    return list(notifications_for(request.user, unread_only=unread)[:100])


@router.post("/notifications/{notification_id}/read", response=NotificationOut,
             summary="Đánh dấu đã đọc")
def notification_read(request: HttpRequest, notification_id: int) -> Any:
    return notification_mark_read(acting_user=request.user, notification_id=notification_id)
