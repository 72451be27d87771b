"""Catalogue fixtures: the shipped data file, admins, and a miniature 3-level province."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest

from tests import factories
from tinhso.accounts.models import User
from tinhso.catalog.demo import read_data_file
from tinhso.catalog.services import catalog_import
from tinhso.units.models import AdminUnit, Agency, AgencyKind, Level, Structure


@cache
def _data_file() -> tuple[dict[str, Any], ...]:
    return tuple(read_data_file())


@pytest.fixture
def entries() -> list[dict[str, Any]]:
    """A private deep copy of the shipped catalogue entries (tests may mutate it)."""
    return copy.deepcopy(list(_data_file()))


@pytest.fixture
def loaded_catalog(db: None, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    catalog_import(acting_user=None, data=entries)
    return entries


@pytest.fixture
def province_admin(agency: Agency) -> User:
    return factories.make_official(agency, "province_admin")


@pytest.fixture
def agency_admin(agency: Agency) -> User:
    return factories.make_official(agency, "agency_admin")


@pytest.fixture
def receiver(agency: Agency) -> User:
    return factories.make_official(agency, "receiver")


def _unit(code: str, name: str, unit_type: str, level: int, parent: AdminUnit) -> AdminUnit:
    return AdminUnit.objects.create(structure=Structure.LEGACY_3, code=code, name=name,
                                    unit_type=unit_type, level=level, parent=parent)


@pytest.fixture
def mini_province(province: AdminUnit) -> dict[str, Any]:
    """Two districts with one commune each and the agencies the demo linking rules look for."""
    d1 = _unit("688", "Phước Long", "Thị xã", Level.DISTRICT, province)
    d2 = _unit("689", "Đồng Xoài", "Thành phố", Level.DISTRICT, province)
    c1 = _unit("25216", "Thác Mơ", "Phường", Level.COMMUNE, d1)
    c2 = _unit("25195", "Tân Phú", "Phường", Level.COMMUNE, d2)
    make = factories.make_agency
    return {
        "centre": make(unit=province, code="MINI-000.10.00", kind=AgencyKind.PUBLIC_SERVICE_CENTRE,
                       name="Trung tâm Phục vụ hành chính công tỉnh Bình Phước"),
        "justice": make(unit=province, code="MINI-000.11.00", kind=AgencyKind.DEPARTMENT,
                        name="Sở Tư pháp tỉnh Bình Phước"),
        "planning": make(unit=province, code="MINI-000.14.00", kind=AgencyKind.DEPARTMENT,
                         name="Sở Kế hoạch và Đầu tư tỉnh Bình Phước"),
        "environment": make(unit=province, code="MINI-000.13.00", kind=AgencyKind.DEPARTMENT,
                            name="Sở Tài nguyên và Môi trường tỉnh Bình Phước"),
        "province_registry": make(unit=province, code="MINI-000.01.13", kind=AgencyKind.BRANCH,
                                  name="Văn phòng Đăng ký đất đai tỉnh Bình Phước"),
        "district1": make(unit=d1, code="MINI-000.00.21", kind=AgencyKind.PEOPLES_COMMITTEE,
                          name="UBND thị xã Phước Long"),
        "district2": make(unit=d2, code="MINI-000.00.22", kind=AgencyKind.PEOPLES_COMMITTEE,
                          name="UBND thành phố Đồng Xoài"),
        "branch1": make(unit=d1, code="MINI-001.01.13", kind=AgencyKind.BRANCH,
                        name="Chi nhánh Văn phòng Đăng ký đất đai thị xã Phước Long"),
        "branch2": make(unit=d2, code="MINI-002.01.13", kind=AgencyKind.BRANCH,
                        name="Chi nhánh Văn phòng Đăng ký đất đai thành phố Đồng Xoài"),
        "commune1": make(unit=c1, code="MINI-000.01.21", kind=AgencyKind.PEOPLES_COMMITTEE,
                         name="UBND phường Thác Mơ"),
        "commune2": make(unit=c2, code="MINI-000.01.22", kind=AgencyKind.PEOPLES_COMMITTEE,
                         name="UBND phường Tân Phú"),
    }
