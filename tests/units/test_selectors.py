"""Succession to the current structure, descendants for scoping, and the public units API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tinhso.units.demo import JUSTICE_CODE, district_committee_code
from tinhso.units.models import AdminUnit, Agency, Level, Structure
from tinhso.units.selectors import (
    agency_current_unit,
    agency_current_unit_map,
    agency_descendants,
    current_successor,
    current_unit_map,
    unit_descendants,
)

pytestmark = pytest.mark.django_db


def _unit(structure: str, code: str) -> AdminUnit:
    return AdminUnit.objects.get(structure=structure, code=code)


def test_current_successor(demo_units: None) -> None:
    new_province = _unit(Structure.CURRENT_2, "75")
    assert current_successor(_unit(Structure.LEGACY_3, "70")) == new_province
    # A district has no successor of its own: it rolls up to the new province.
    assert current_successor(_unit(Structure.LEGACY_3, "689")) == new_province
    commune = _unit(Structure.LEGACY_3, "25216")  # Phường Thác Mơ, Phước Long
    assert current_successor(commune) == commune.successor
    assert current_successor(new_province) == new_province


def test_current_unit_map_agrees(demo_units: None) -> None:
    mapping = current_unit_map()
    units = list(AdminUnit.objects.all())
    assert set(mapping) == {u.pk for u in units}
    for unit in units:
        assert mapping[unit.pk] == current_successor(unit).pk
    # Bình Phước's communes map to 40 current ones, the old Đồng Nai's to the other 55, and
    # the districts and provinces roll up to the new province.
    assert len({mapping[u.pk] for u in units if u.structure == Structure.LEGACY_3}) == 96


def test_unit_descendants(demo_units: None) -> None:
    province = _unit(Structure.LEGACY_3, "70")
    assert unit_descendants(province).count() == 11 + 111
    assert unit_descendants(province, include_self=True).count() == 1 + 11 + 111
    dong_xoai = _unit(Structure.LEGACY_3, "689")
    assert set(unit_descendants(dong_xoai).values_list("level", flat=True)) == {Level.COMMUNE}
    assert unit_descendants(dong_xoai).count() == 8
    assert unit_descendants(_unit(Structure.CURRENT_2, "75")).count() == 95
    assert not unit_descendants(_unit(Structure.LEGACY_3, "25216")).exists()


def test_agency_succession_and_descendants(demo_agencies: None) -> None:
    justice = Agency.objects.get(code=JUSTICE_CODE)
    assert agency_current_unit(justice) == _unit(Structure.CURRENT_2, "75")
    tan_phu = Agency.objects.get(name="UBND phường Tân Phú")
    assert str(agency_current_unit(tan_phu)) == "Phường Bình Phước"
    mapping = agency_current_unit_map()
    assert mapping[tan_phu.pk] == agency_current_unit(tan_phu).pk
    assert len(mapping) == Agency.objects.count()
    dong_xoai = Agency.objects.get(code=district_committee_code("689"))
    assert agency_descendants(dong_xoai).count() == 8
    old = Agency.objects.filter(code__endswith=".H10")
    root = old.get(parent__isnull=True)
    assert agency_descendants(root).count() == old.count() - 1


# --------------------------------------------------------------------------- API


def test_units_api_filters(client: Client, demo_units: None) -> None:
    response = client.get("/api/v1/units", {"structure": "legacy3", "level": 2, "parent": "70"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 11
    assert [u["code"] for u in body["items"]][:2] == ["688", "689"]
    assert body["items"][1]["name"] == "Đồng Xoài" and body["items"][1]["parent_code"] == "70"
    communes = client.get("/api/v1/units", {"parent": "689", "limit": 3}).json()
    assert communes["count"] == 8 and len(communes["items"]) == 3
    assert all(u["successor_code"] for u in communes["items"])
    current = client.get("/api/v1/units", {"structure": "current2", "level": 3}).json()
    assert current["count"] == 95
    top = client.get("/api/v1/units", {"structure": "current2", "level": 1}).json()["items"]
    assert top[0]["parent_code"] is None and top[0]["valid_from"] == "2025-07-01"


def test_units_api_bad_filter(client: Client, demo_units: None) -> None:
    response = client.get("/api/v1/units", {"structure": "nope"})
    assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR"
    assert client.get("/api/v1/units", {"limit": 0}).status_code == 422


def test_agencies_api(client: Client, demo_agencies: None) -> None:
    body = client.get("/api/v1/units/agencies", {"unit": "689"}).json()
    names = {a["name"] for a in body["items"]}
    assert names == {"UBND thành phố Đồng Xoài",
                     "Chi nhánh Văn phòng Đăng ký đất đai thành phố Đồng Xoài"}
    under = client.get("/api/v1/units/agencies", {"under": "689", "kind": "committee"}).json()
    assert under["count"] == 1 + 8
    departments = client.get("/api/v1/units/agencies", {"kind": "department",
                                                         "structure": "legacy3"}).json()
    assert departments["count"] == 4
    item = departments["items"][0]
    assert item["unit_code"] == "70" and item["parent_code"] == "000.00.00.H10"
    assert item["one_stop_desk_name"]


def test_agencies_api_query_count(client: Client, demo_agencies: None) -> None:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/units/agencies", {"limit": 500})
    assert len(response.json()["items"]) == Agency.objects.count()
    assert len(ctx.captured_queries) <= 3  # count + one joined page, no N+1
