"""load_catalog(): idempotent, and links procedures to agencies by level, kind and name."""

from __future__ import annotations

from typing import Any

import pytest

from tinhso.catalog.demo import AgencyPools, department_key, load_catalog, read_data_file
from tinhso.catalog.models import Procedure
from tinhso.units.models import Agency

pytestmark = pytest.mark.django_db


def linked(code: str) -> set[str]:
    return set(Procedure.objects.get(code=code).agencies.values_list("code", flat=True))


def names(mini: dict[str, Agency], *keys: str) -> set[str]:
    return {mini[k].code for k in keys}


def test_links_by_level_kind_and_name(mini_province: dict[str, Agency]) -> None:
    load_catalog()
    mini = mini_province
    # Province level: the department named by the implementing body, plus the centre.
    assert linked("2.001417") == names(mini, "justice", "centre")  # lý lịch tư pháp
    assert linked("2.001610") == names(mini, "planning", "centre")  # doanh nghiệp
    # District level: land-registry procedures → the branches, others → district committees.
    assert linked("1.013831") == names(mini, "branch1", "branch2")
    assert linked("1.012753") == names(mini, "branch1", "branch2")
    assert linked("1.001612") == names(mini, "district1", "district2")
    assert linked("1.009994") == names(mini, "district1", "district2")
    # Commune level: every commune People's Committee.
    assert linked("1.001193") == names(mini, "commune1", "commune2")
    # The provincial land registry is a branch at province level, never a district branch.
    assert mini["province_registry"].code not in linked("1.013831")


def test_every_procedure_gets_agencies(mini_province: dict[str, Agency]) -> None:
    load_catalog()
    assert not Procedure.objects.filter(agencies__isnull=True).exists()


def test_idempotent(mini_province: dict[str, Agency]) -> None:
    load_catalog()
    before = {p.code: (p.name, p.search_text, sorted(p.agencies.values_list("pk", flat=True)))
              for p in Procedure.objects.all()}
    load_catalog()
    after = {p.code: (p.name, p.search_text, sorted(p.agencies.values_list("pk", flat=True)))
             for p in Procedure.objects.all()}
    assert before == after and len(after) == len(read_data_file())


def test_reload_repairs_drift(mini_province: dict[str, Agency]) -> None:
    load_catalog()
    Procedure.objects.filter(code="1.001193").update(name="X", search_text="x")
    Procedure.objects.get(code="1.001193").agencies.set([mini_province["justice"]])
    load_catalog()
    p = Procedure.objects.get(code="1.001193")
    assert (p.name, p.search_text) == ("Đăng ký khai sinh", "dang ky khai sinh")
    assert linked("1.001193") == names(mini_province, "commune1", "commune2")


def test_inactive_agencies_are_not_linked(mini_province: dict[str, Agency]) -> None:
    Agency.objects.filter(pk=mini_province["commune2"].pk).update(is_active=False)
    load_catalog()
    assert linked("1.001193") == names(mini_province, "commune1")


def test_department_falls_back_to_field(mini_province: dict[str, Agency]) -> None:
    load_catalog()
    procedure = Procedure.objects.select_related("field").get(code="2.001417")
    procedure.implementing_body = "Cơ quan không có trong danh sách"
    wanted = AgencyPools.load().for_procedure(procedure)
    assert {a.code for a in wanted} == names(mini_province, "justice", "centre")


def test_department_key(mini_province: dict[str, Any]) -> None:
    assert department_key(mini_province["planning"]) == "so ke hoach va dau tu"


def test_with_the_real_demo_agencies(db: None) -> None:
    """Against units.demo: 11 district committees, 11 land branches, 111 commune committees."""
    from tinhso.units.demo import load_agencies, load_units

    load_units()
    load_agencies()
    load_catalog()
    # Each procedure has its agencies of both structures: Bình Phước's (3 levels, history)
    # and Đồng Nai's (2 levels, from 1 July 2025: district work went to the communes).
    assert len(linked("1.001193")) == 111 + 95
    assert len(linked("1.001612")) == 11 + 95
    branches = Agency.objects.filter(code__in=linked("1.013831"))
    assert branches.count() == 11 + 1 and all(a.kind == "branch" for a in branches)
    assert branches.filter(name="Văn phòng Đăng ký đất đai tỉnh Đồng Nai").exists()
    justice = Agency.objects.filter(code__in=linked("2.001417"), kind="department")
    assert sorted(a.name for a in justice) == ["Sở Tư pháp tỉnh Bình Phước",
                                               "Sở Tư pháp tỉnh Đồng Nai"]
    planning = Agency.objects.filter(code__in=linked("2.001610"), kind="department")
    assert sorted(a.name for a in planning) == ["Sở Kế hoạch và Đầu tư tỉnh Bình Phước",
                                                "Sở Tài chính tỉnh Đồng Nai"]
