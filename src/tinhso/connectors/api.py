"""/api/v1/connectors: the population database lookup for officers (prefill and check).

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

from django.http import HttpRequest
from ninja import Field, Router, Schema

from tinhso.connectors import services
from tinhso.core.api_schema import ErrorOut

router = Router(tags=["connectors"])


class CitizenLookupIn(Schema):
    id_number: str = Field(..., pattern=r"^\d{12}$", description="số định danh cá nhân")
    purpose: str = Field(..., min_length=1, max_length=200,
                         description="mục đích tra cứu, ví dụ: hồ sơ 000.00.10.H10-…")


class CitizenLookupOut(Schema):
    found: bool
    so_dinh_danh: str | None = None
    ho_ten: str | None = None
    ngay_sinh: str | None = None
    gioi_tinh: str | None = None
    noi_thuong_tru: str | None = None


@router.post("/citizens/lookup", response={200: CitizenLookupOut, 503: ErrorOut},
             summary="Tra cứu công dân trong CSDL quốc gia về dân cư (cán bộ)")
def citizen_lookup(request: HttpRequest, data: CitizenLookupIn) -> CitizenLookupOut:
    found = services.citizen_lookup(acting_user=request.user, id_number=data.id_number,
                                    purpose=data.purpose)
    if found is None:
        return CitizenLookupOut(found=False)
    return CitizenLookupOut(found=True, **found)
