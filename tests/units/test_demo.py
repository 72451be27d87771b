"""Loading the demo units and agencies: counts, succession, idempotency."""

from __future__ import annotations

import datetime as dt

import pytest

from tinhso.units.demo import (
    CENTRE_CODE,
    JUSTICE_CODE,
    PROVINCE_COMMITTEE_CODE,
    district_committee_code,
    load_agencies,
    load_units,
)
from tinhso.units.models import AdminUnit, Agency, AgencyKind, Level, Structure

pytestmark = pytest.mark.django_db


@pytest.fixture
def units() -> None:
    load_units()


def _legacy(level: int, province: str = "70"):
    """Legacy units of a province (Bình Phước by default; "75" is the old Đồng Nai)."""
    qs = AdminUnit.objects.filter(structure=Structure.LEGACY_3, level=level)
    if level == Level.DISTRICT:
        return qs.filter(parent__code=province)
    if level == Level.COMMUNE:
        return qs.filter(parent__parent__code=province)
    return qs.filter(code=province)


def test_legacy_binh_phuoc_counts(units: None) -> None:
    province = AdminUnit.objects.get(structure=Structure.LEGACY_3, code="70")
    assert province.name == "Bình Phước"
    assert province.level == Level.PROVINCE
    assert province.valid_to == dt.date(2025, 6, 30)
    districts = _legacy(Level.DISTRICT)
    assert districts.count() == 11
    assert sorted(districts.values_list("code", flat=True)) == [str(c) for c in range(688, 699)]
    assert set(districts.values_list("parent_id", flat=True)) == {province.pk}
    communes = _legacy(Level.COMMUNE)
    assert communes.count() == 111
    by_type = {t: communes.filter(unit_type=t).count() for t in ("Xã", "Phường", "Thị trấn")}
    assert by_type == {"Xã": 86, "Phường": 20, "Thị trấn": 5}
    assert not communes.filter(parent__level=Level.PROVINCE).exists()


def test_district_names_and_types(units: None) -> None:
    dong_xoai = AdminUnit.objects.get(structure=Structure.LEGACY_3, code="689")
    assert (dong_xoai.unit_type, dong_xoai.name) == ("Thành phố", "Đồng Xoài")
    assert str(dong_xoai) == "Thành phố Đồng Xoài"
    assert AdminUnit.objects.get(structure=Structure.LEGACY_3, code="697").unit_type == "Thị xã"
    assert AdminUnit.objects.get(structure=Structure.LEGACY_3, code="698").name == "Phú Riềng"


def test_current_dong_nai(units: None) -> None:
    province = AdminUnit.objects.get(structure=Structure.CURRENT_2, code="75")
    assert province.name == "Đồng Nai"
    assert province.valid_from == dt.date(2025, 7, 1) and province.valid_to is None
    communes = AdminUnit.objects.filter(structure=Structure.CURRENT_2, level=Level.COMMUNE)
    assert communes.count() == 95
    assert set(communes.values_list("parent_id", flat=True)) == {province.pk}
    assert not AdminUnit.objects.filter(structure=Structure.CURRENT_2, level=Level.DISTRICT)


def test_succession(units: None) -> None:
    old = AdminUnit.objects.get(structure=Structure.LEGACY_3, code="70")
    assert old.successor is not None and old.successor.code == "75"
    communes = _legacy(Level.COMMUNE)
    assert not communes.filter(successor__isnull=True).exists()
    assert not communes.exclude(successor__structure=Structure.CURRENT_2).exists()
    targets = set(communes.values_list("successor__code", flat=True))
    assert len(targets) == 40
    # Resolution 1662/NQ-UBTVQH15: the central wards of Đồng Xoài and xã Tiến Hưng make the
    # new Phường Bình Phước.
    tan_phu = communes.get(parent__code="689", name="Tân Phú")
    assert str(tan_phu.successor) == "Phường Bình Phước"
    assert {str(u) for u in tan_phu.successor.predecessors.all()} == {
        "Phường Tân Phú", "Phường Tân Đồng", "Phường Tân Bình", "Phường Tân Xuân",
        "Phường Tân Thiện", "Xã Tiến Hưng"}


def test_load_units_is_idempotent(units: None) -> None:
    before = list(AdminUnit.objects.order_by("pk").values())
    load_units()
    assert list(AdminUnit.objects.order_by("pk").values()) == before
    assert AdminUnit.objects.count() == 1 + 11 + 111 + 1 + 11 + 159 + 1 + 95


def test_old_dong_nai_is_loaded_for_history(units: None) -> None:
    """The old Đồng Nai merged with Bình Phước: its 11 districts and 159 communes are loaded,
    each commune with a successor, so the 2-level view of Đồng Nai carries the whole history."""
    old = AdminUnit.objects.get(structure=Structure.LEGACY_3, code="75")
    assert old.name == "Đồng Nai" and old.successor.structure == Structure.CURRENT_2
    communes = _legacy(Level.COMMUNE, "75")
    assert communes.count() == 159 and _legacy(Level.DISTRICT, "75").count() == 11
    assert not communes.filter(successor__isnull=True).exists()
    # Together the two old provinces account for every commune of the new Đồng Nai.
    targets = set(AdminUnit.objects.filter(structure=Structure.LEGACY_3, level=Level.COMMUNE)
                  .values_list("successor__code", flat=True))
    assert len(targets) == 95


def test_load_units_repairs_changed_rows(units: None) -> None:
    unit = AdminUnit.objects.get(structure=Structure.LEGACY_3, code="25216")
    AdminUnit.objects.filter(pk=unit.pk).update(name="sai", successor=None)
    load_units()
    unit.refresh_from_db()
    assert unit.name == "Thác Mơ" and unit.successor is not None


def test_agencies(units: None) -> None:
    load_agencies()
    committees = Agency.objects.filter(kind=AgencyKind.PEOPLES_COMMITTEE,
                                       unit__structure=Structure.LEGACY_3)
    assert committees.filter(unit__level=Level.COMMUNE).count() == 111
    assert committees.filter(unit__level=Level.DISTRICT).count() == 11
    branches = Agency.objects.filter(name__startswith="Chi nhánh Văn phòng Đăng ký đất đai")
    assert branches.count() == 11
    assert set(branches.values_list("unit__level", flat=True)) == {Level.DISTRICT}
    root = Agency.objects.get(code=PROVINCE_COMMITTEE_CODE)
    assert root.parent is None
    centre = Agency.objects.get(code=CENTRE_CODE)
    assert centre.kind == AgencyKind.PUBLIC_SERVICE_CENTRE and centre.parent == root
    assert Agency.objects.get(code=JUSTICE_CODE).name == "Sở Tư pháp tỉnh Bình Phước"
    for name in ("Sở Xây dựng tỉnh Bình Phước", "Sở Tài nguyên và Môi trường tỉnh Bình Phước",
                 "Sở Kế hoạch và Đầu tư tỉnh Bình Phước"):
        assert Agency.objects.get(name=name).parent == root
    dong_xoai = Agency.objects.get(code=district_committee_code("689"))
    assert dong_xoai.name == "UBND thành phố Đồng Xoài"
    tien_hung = Agency.objects.get(name="UBND xã Tiến Hưng")
    assert tien_hung.parent == dong_xoai
    assert tien_hung.one_stop_desk_name == "Bộ phận Một cửa UBND xã Tiến Hưng"
    assert tien_hung.code.endswith(".H10")
    # Every Bình Phước agency sits in a legacy unit and all but the roots (one per
    # structure) have a parent.
    assert not Agency.objects.filter(code__endswith=".H10").exclude(
        unit__structure=Structure.LEGACY_3).exists()
    assert Agency.objects.filter(parent__isnull=True).count() == 2
    # Commune committees report to the committee of their own district.
    mismatched = [a for a in committees.filter(unit__level=Level.COMMUNE)
                  .select_related("unit", "parent__unit") if a.parent.unit_id != a.unit.parent_id]
    assert mismatched == []


def test_load_agencies_is_idempotent(units: None) -> None:
    load_agencies()
    before = list(Agency.objects.order_by("pk").values())
    load_agencies()
    assert list(Agency.objects.order_by("pk").values()) == before
    assert len(before) == 1 + 1 + 4 + 1 + 11 + 11 + 111 + (1 + 1 + 4 + 1 + 95)


def test_current_agencies_of_dong_nai(units: None) -> None:
    """The 2-level structure: Đồng Nai's committee, centre, departments (2025 names), land
    registry, and a committee with a one-stop desk in each of the 95 communes and wards."""
    load_agencies()
    current = Agency.objects.filter(unit__structure=Structure.CURRENT_2)
    assert current.count() == 1 + 1 + 4 + 1 + 95
    assert not current.exclude(code__endswith=".H19").exists()
    communes = current.filter(unit__level=Level.COMMUNE)
    assert communes.count() == 95 and not communes.filter(has_one_stop_desk=False).exists()
    ward = Agency.objects.get(code="000.01.50.H19")
    assert ward.name == "UBND phường Bình Phước"
    assert ward.parent.name == "Ủy ban nhân dân tỉnh Đồng Nai"
    assert current.filter(name="Sở Nông nghiệp và Môi trường tỉnh Đồng Nai").exists()


def test_load_agencies_needs_units(db: None) -> None:
    with pytest.raises(RuntimeError):
        load_agencies()
    assert not Agency.objects.exists()
