"""Documents under /api/v1/documents: the dossier register (form 07) of an agency.

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from tinhso.core.api_schema import ErrorOut
from tinhso.core.errors import ValidationFailed
from tinhso.core.requests import AuthedRequest
from tinhso.documents import register

router = Router(tags=["documents"])
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RegisterQuery(Schema):
    agency: str = Field(..., description="mã định danh cơ quan")
    date_from: str = Field(..., alias="from", description="YYYY-MM-DD")
    date_to: str = Field(..., alias="to", description="YYYY-MM-DD")
    format: str = Field("pdf", description="pdf hoặc xlsx")


@router.get("/register", response={200: None, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="Sổ theo dõi hồ sơ (mẫu 07) / dossier register of an agency")
def dossier_register(request: AuthedRequest, q: Query[RegisterQuery]) -> HttpResponse:
    """The register of the dossiers ``agency`` received from ``from`` to ``to`` (YYYY-MM-DD,
    at most 366 days), as ``pdf`` or ``xlsx``. Officials of the agency and province admins
    only."""
    format = q.format
    if format not in ("pdf", "xlsx"):
        raise ValidationFailed("INVALID_FORMAT", "Định dạng phải là pdf hoặc xlsx.",
                               "The format must be pdf or xlsx.", {"format": format})
    office = register.register_agency(request.auth, q.agency)
    start, end = register.parse_register_period(q.date_from, q.date_to)
    rows = register.register_rows(office, start, end)
    if format == "xlsx":
        body, kind = register.register_xlsx(office, start, end, rows), XLSX
    else:
        body, kind = register.register_pdf(office, start, end, rows), PDF
    response = HttpResponse(body, content_type=kind)
    name = f"so-theo-doi-ho-so-{office.code}-{start:%Y%m%d}-{end:%Y%m%d}.{format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
