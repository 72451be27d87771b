"""A small province in both structures, its agencies, procedures and users."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests import factories

# The dossier services' fixtures (a clock for the services, officers, a media root).
from tests.dossiers.conftest import clock, media_root, officers  # noqa: F401
from tinhso.accounts.models import Role
from tinhso.catalog.models import Field, Procedure
from tinhso.units.models import AdminUnit, Agency, AgencyKind, Level, Structure
from tinhso.workdays.calendar import invalidate_cache


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    invalidate_cache()
    yield
    invalidate_cache()


def unit(structure: str, code: str, name: str, level: int, parent: AdminUnit | None = None,
         successor: AdminUnit | None = None, unit_type: str = "") -> AdminUnit:
    return AdminUnit.objects.create(
        structure=structure, code=code, name=name, level=level, parent=parent,
        successor=successor,
        unit_type=unit_type or {1: "Tỉnh", 2: "Huyện", 3: "Xã"}[level],
    )


@dataclass
class World:
    """Legacy: province 70 → districts 689 (communes 25001, 25002) and 691 (commune 25101).
    Current: province 75 → communes 26001 (← 25001, 25002) and 26002 (← 25101)."""

    p70: AdminUnit
    d689: AdminUnit
    d691: AdminUnit
    c25001: AdminUnit
    c25002: AdminUnit
    c25101: AdminUnit
    p75: AdminUnit
    n26001: AdminUnit
    n26002: AdminUnit
    province_pc: Agency
    dept: Agency
    branch: Agency
    district_pc: Agency
    district_pc_691: Agency
    commune_pc: Agency
    commune_pc_2: Agency
    commune_pc_691: Agency
    birth: Procedure        # online, free, 3 working days
    land: Procedure         # online, with a fee
    paper: Procedure        # not online
    copy: Procedure         # 2.000815 certified copy, online, with a fee
    field: Field
    admin: Any
    district_leader: Any
    commune_leader: Any
    dept_official: Any
    citizen: Any


@pytest.fixture
def world(db: Any) -> World:
    p75 = unit(Structure.CURRENT_2, "75", "Đồng Nai", Level.PROVINCE)
    n26001 = unit(Structure.CURRENT_2, "26001", "Đồng Xoài", Level.COMMUNE, p75,
                  unit_type="Phường")
    n26002 = unit(Structure.CURRENT_2, "26002", "Bù Gia Mập", Level.COMMUNE, p75)
    p70 = unit(Structure.LEGACY_3, "70", "Bình Phước", Level.PROVINCE, successor=p75)
    d689 = unit(Structure.LEGACY_3, "689", "Đồng Xoài", Level.DISTRICT, p70,
                unit_type="Thành phố")
    d691 = unit(Structure.LEGACY_3, "691", "Bù Gia Mập", Level.DISTRICT, p70)
    c25001 = unit(Structure.LEGACY_3, "25001", "Tân Phú", Level.COMMUNE, d689, n26001,
                  unit_type="Phường")
    c25002 = unit(Structure.LEGACY_3, "25002", "Tân Bình", Level.COMMUNE, d689, n26001,
                  unit_type="Phường")
    c25101 = unit(Structure.LEGACY_3, "25101", "Phú Nghĩa", Level.COMMUNE, d691, n26002)
    mk = factories.make_agency
    province_pc = mk(unit=p70, code="000.00.00.H10", name="UBND tỉnh",
                     kind=AgencyKind.PEOPLES_COMMITTEE)
    dept = mk(unit=p70, code="000.00.13.H10", name="Sở TN&MT", parent=province_pc)
    branch = mk(unit=p70, code="000.01.13.H10", name="VPĐKĐĐ", parent=dept,
                kind=AgencyKind.BRANCH)
    district_pc = mk(unit=d689, code="000.00.22.H10", name="UBND TP Đồng Xoài",
                     kind=AgencyKind.PEOPLES_COMMITTEE, parent=province_pc)
    district_pc_691 = mk(unit=d691, code="000.00.24.H10", name="UBND huyện Bù Gia Mập",
                         kind=AgencyKind.PEOPLES_COMMITTEE, parent=province_pc)
    commune_pc = mk(unit=c25001, code="000.01.22.H10", name="UBND phường Tân Phú",
                    kind=AgencyKind.PEOPLES_COMMITTEE, parent=district_pc)
    commune_pc_2 = mk(unit=c25002, code="000.02.22.H10", name="UBND phường Tân Bình",
                      kind=AgencyKind.PEOPLES_COMMITTEE, parent=district_pc)
    commune_pc_691 = mk(unit=c25101, code="000.01.24.H10", name="UBND xã Phú Nghĩa",
                        kind=AgencyKind.PEOPLES_COMMITTEE, parent=district_pc_691)
    communes = [commune_pc, commune_pc_2, commune_pc_691]
    complete = {"result_name": "Giấy khai sinh", "legal_basis": "Luật Hộ tịch 2014"}
    birth = factories.make_procedure(agencies=communes, code="1.001193", processing_days="3",
                                     **complete)
    land = factories.make_procedure(agencies=[dept, branch], code="1.004227",
                                    name="Đăng ký biến động đất đai", processing_days="10",
                                    fee=50_000, level="province",
                                    # Decree 101/2024: paying the obligations pauses the clock.
                                    payment_pauses_clock=True)
    paper = factories.make_procedure(agencies=[district_pc], code="1.000001",
                                     name="Thủ tục giấy", online_level="none",
                                     processing_days="5", level="district", **complete)
    copy = factories.make_procedure(agencies=communes, code="2.000815.000.00.00.H10",
                                    name="Chứng thực bản sao từ bản chính",
                                    processing_days="1", fee=2_000, **complete)
    field = Field.objects.get(code="ho-tich")
    admin = factories.make_official(province_pc, Role.PROVINCE_ADMIN)
    district_leader = factories.make_official(district_pc, Role.LEADER)
    commune_leader = factories.make_official(commune_pc, Role.LEADER)
    dept_official = factories.make_official(dept, Role.SPECIALIST)
    citizen = factories.make_citizen()
    return World(p70, d689, d691, c25001, c25002, c25101, p75, n26001, n26002, province_pc,
                 dept, branch, district_pc, district_pc_691, commune_pc, commune_pc_2,
                 commune_pc_691, birth, land, paper, copy, field, admin, district_leader,
                 commune_leader, dept_official, citizen)


def ind(doc: dict[str, Any], code: str) -> dict[str, Any]:
    for group in doc["groups"]:
        for indicator in group["indicators"]:
            if indicator["code"] == code:
                return indicator
    raise KeyError(code)


def group(doc: dict[str, Any], code: str) -> dict[str, Any]:
    return next(g for g in doc["groups"] if g["code"] == code)


JAN = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
FEB = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
