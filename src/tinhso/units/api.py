"""Public, read-only lists of administrative units and agencies (``/api/v1/units``).

No ``from __future__ import annotations`` here: ninja must see ``Query[...]`` as a real type
through the ``paginate`` wrapper.
"""

import datetime as dt

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from tinhso.core.paging import bounded_pagination
from tinhso.units.models import AdminUnit, Agency, AgencyKind, Level, Structure
from tinhso.units.selectors import agency_list, unit_list

router = Router(tags=["units"])

MAX_PAGE = 500


class UnitOut(Schema):
    id: int
    structure: Structure
    code: str
    name: str
    unit_type: str
    level: Level
    parent_code: str | None = Field(None, alias="parent.code")
    valid_from: dt.date | None
    valid_to: dt.date | None
    successor_code: str | None = Field(None, alias="successor.code")
    latitude: float | None
    longitude: float | None


class UnitFilter(Schema):
    structure: Structure | None = Field(None, description="legacy3 or current2")
    level: Level | None = Field(None, description="1 province, 2 district, 3 commune")
    parent: str | None = Field(None, max_length=10, description="code of the parent unit")


class AgencyOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: AgencyKind
    unit_code: str = Field(..., alias="unit.code")
    unit_structure: Structure = Field(..., alias="unit.structure")
    unit_name: str = Field(..., alias="unit.name")
    parent_code: str | None = Field(None, alias="parent.code")
    has_one_stop_desk: bool
    one_stop_desk_name: str
    address: str
    phone: str
    email: str


class AgencyFilter(Schema):
    unit: str | None = Field(None, max_length=10, description="code of the agency's own unit")
    under: str | None = Field(None, max_length=10,
                              description="code of a unit; agencies in it or below it")
    structure: Structure | None = None
    kind: AgencyKind | None = None


@router.get("", response=list[UnitOut], auth=None, summary="Đơn vị hành chính / units")
@paginate(bounded_pagination(MAX_PAGE, default=100))
def list_units(request: HttpRequest, filters: Query[UnitFilter]) -> QuerySet[AdminUnit]:
    return unit_list(
        structure=filters.structure, level=filters.level, parent_code=filters.parent,
    ).select_related("successor")


@router.get("/agencies", response=list[AgencyOut], auth=None, summary="Cơ quan / agencies")
@paginate(bounded_pagination(MAX_PAGE, default=100))
def list_agencies(request: HttpRequest, filters: Query[AgencyFilter]) -> QuerySet[Agency]:
    return agency_list(unit_code=filters.unit, under_unit_code=filters.under,
                       structure=filters.structure, kind=filters.kind)
