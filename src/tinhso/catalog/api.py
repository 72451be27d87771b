"""The procedure catalogue under /api/v1/procedures: public reads, admin import.

(No ``from __future__ import annotations`` here: ninja reads the parameter annotations at
import time, through the pagination decorator.)

Routes with a fixed path (``/fields``, ``/export``, ``/import``) are declared before ``/{code}``
so that they are never taken for a procedure code.
"""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from tinhso.catalog import selectors, services
from tinhso.catalog.models import Procedure
from tinhso.core.paging import bounded_pagination

router = Router(tags=["catalog"])

LevelParam = Literal["province", "district", "commune"]
OnlineLevelParam = Literal["full", "partial", "none"]
EXPORT_FORMAT = "tinhso-catalog"
EXPORT_VERSION = 1


# limit/offset paging; at most 100 procedures per page (a larger limit is a 422).
CatalogPagination = bounded_pagination(100, default=20)


class FieldOut(Schema):
    code: str
    name: str
    procedure_count: int


class ComponentOut(Schema):
    code: str
    name: str
    required: bool
    copies: int


class StepOut(Schema):
    code: str
    name: str
    role: str
    share: float


class ProcedureAgencyRef(Schema):
    code: str
    name: str


class ProcedureSummary(Schema):
    code: str
    name: str
    field_code: str
    field_name: str
    level: str
    processing_days: float = Field(..., description="thời hạn giải quyết, ngày làm việc")
    deadline_kind: str = Field(..., description="working_days, same_day (trong ngày, sau giờ "
                                                "chốt thì ngày làm việc tiếp theo) hoặc hours")
    deadline_vi: str = Field(..., description="cách tính thời hạn, bằng lời")
    fee: int = Field(..., description="phí, lệ phí cơ bản (đồng)")
    applicant_type: str
    online_level: str
    result_type: str

    @staticmethod
    def resolve_field_code(obj: Procedure) -> str:
        return obj.field.code

    @staticmethod
    def resolve_field_name(obj: Procedure) -> str:
        return obj.field.name

    @staticmethod
    def resolve_processing_days(obj: Procedure) -> float:
        return float(obj.processing_days)

    @staticmethod
    def resolve_deadline_vi(obj: Procedure) -> str:
        from tinhso.workdays.deadlines import DeadlineRule

        return DeadlineRule.of(obj).describe_vi()


class ProcedureDetail(ProcedureSummary):
    implementing_body: str
    fee_note: str
    result_name: str
    description: str
    legal_basis: str
    components: list[ComponentOut]
    form_schema: dict[str, Any]
    process_template: list[StepOut]
    agencies: list[ProcedureAgencyRef]
    announced_at: dt.date | None
    published_at: dt.date | None
    effective_from: dt.date | None
    is_active: bool
    note: str
    processing_hours: float | None
    cutoff_time: str | None = Field(..., description="giờ chốt HH:MM (same_day)")
    payment_pauses_clock: bool = Field(..., description="không tính thời gian thực hiện nghĩa "
                                                        "vụ tài chính")

    @staticmethod
    def resolve_processing_hours(obj: Procedure) -> float | None:
        return float(obj.processing_hours) if obj.processing_hours is not None else None

    @staticmethod
    def resolve_cutoff_time(obj: Procedure) -> str | None:
        return obj.cutoff_time.strftime("%H:%M") if obj.cutoff_time else None

    @staticmethod
    def resolve_components(obj: Procedure) -> list[dict[str, Any]]:
        return [{"code": c.code, "name": c.name, "required": c.required, "copies": c.copies}
                for c in sorted(obj.components.all(), key=lambda c: (c.order, c.pk))]

    @staticmethod
    def resolve_agencies(obj: Procedure) -> list[dict[str, str]]:
        return [{"code": a.code, "name": a.name}
                for a in sorted(obj.agencies.all(), key=lambda a: a.code)]


class CatalogDocument(Schema):
    """The import/export document (docs/catalog.md)."""

    format: str = EXPORT_FORMAT
    version: int = Field(EXPORT_VERSION, strict=True)  # not `false` read as 0
    # Entries stay untyped here: the catalogue validator reports problems per entry index,
    # which is more useful than a generic schema error.
    procedures: list[Any]


class ImportReportOut(Schema):
    created: list[str]
    updated: list[str]
    unchanged: list[str]


@router.get("/", response=list[ProcedureSummary], auth=None,
            summary="Tìm thủ tục hành chính (không phân biệt dấu, hoa thường)")
@paginate(CatalogPagination)
def list_procedures(
    request: HttpRequest,
    q: str = "",
    field: str | None = None,
    agency: str | None = None,
    level: LevelParam | None = None,
    online_level: OnlineLevelParam | None = None,
) -> Any:
    return selectors.search_procedures(q, field_code=field, agency_code=agency, level=level,
                                       online_level=online_level)


@router.get("/fields", response=list[FieldOut], auth=None, summary="Lĩnh vực và số thủ tục")
def list_fields(request: HttpRequest) -> Any:
    return selectors.fields_with_counts()


@router.get("/export", response=CatalogDocument, auth=None,
            summary="Xuất toàn bộ danh mục (định dạng nhập/xuất JSON)")
def export_catalog(request: HttpRequest) -> dict[str, Any]:
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
            "procedures": services.catalog_export()}


@router.post("/import", response=ImportReportOut,
             summary="Nhập danh mục (quản trị tỉnh/cơ quan); lỗi ở bất kỳ mục nào: không nhập gì")
def import_catalog(request: HttpRequest, payload: CatalogDocument) -> dict[str, Any]:
    report = services.catalog_import(acting_user=request.user,  # type: ignore[arg-type]
                                     data=payload.procedures)
    return report.as_dict()


@router.get("/{code}", response=ProcedureDetail, auth=None,
            summary="Chi tiết thủ tục: thành phần hồ sơ, biểu mẫu, quy trình, phí")
def get_procedure(request: HttpRequest, code: str) -> Procedure:
    return selectors.procedure_get(code)
