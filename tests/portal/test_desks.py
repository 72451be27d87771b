"""Where to submit: no preset office; desks from the applicant's address or a search, paged;
the requester step prefilled from the account (and OIDC claims); abolished agencies refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories
from tinhso.portal.catalogue import desks_for_procedure
from tinhso.portal.models import Draft
from tinhso.portal.services import requester_prefill
from tinhso.units.models import AdminUnit, AgencyKind, Level, Structure

pytestmark = pytest.mark.django_db

REQUESTER_SCHEMA = {
    "type": "object",
    "properties": {
        "nguoi_yeu_cau": {"type": "object", "title": "Người yêu cầu", "properties": {
            "ho_ten": {"type": "string", "title": "Họ tên", "maxLength": 100},
            "so_dinh_danh": {"type": "string", "title": "Số định danh",
                             "pattern": "^[0-9]{12}$"},
            "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
            "gioi_tinh": {"type": "string", "enum": ["Nam", "Nữ"], "title": "Giới tính"},
            "noi_cu_tru": {"type": "string", "title": "Nơi cư trú"},
        }},
        "noi_dung": {"type": "string", "title": "Nội dung"},
    },
}


@pytest.fixture
def communes(db):
    """Đồng Nai (2 levels) with 12 wards, each with a committee implementing one procedure,
    plus Bình Phước's abolished ward Tân Phú (→ Phường Bình Phước) and its committee."""
    province = AdminUnit.objects.create(
        structure=Structure.CURRENT_2, code="75", name="Đồng Nai", unit_type="Tỉnh",
        level=Level.PROVINCE, valid_from=dt.date(2025, 7, 1))
    old_province = factories.make_province()
    AdminUnit.objects.filter(pk=old_province.pk).update(valid_to=dt.date(2025, 6, 30),
                                                       successor=province)
    agencies = []
    names = ["Bình Phước", "Đồng Xoài", "Phước Long", "Bình Long", "Chơn Thành", "Minh Hưng",
             "Tân Triều", "Biên Hòa", "Long Khánh", "Tam Hiệp", "Trấn Biên", "Hố Nai"]
    for i, name in enumerate(names, start=1):
        unit = AdminUnit.objects.create(
            structure=Structure.CURRENT_2, code=f"26{i:03d}", name=name, unit_type="Phường",
            level=Level.COMMUNE, parent=province, valid_from=dt.date(2025, 7, 1))
        agencies.append(factories.make_agency(
            unit=unit, code=f"000.{i:02d}.50.H19", name=f"UBND phường {name}",
            kind=AgencyKind.PEOPLES_COMMITTEE,
            one_stop_desk_name=f"Bộ phận Một cửa UBND phường {name}"))
    old_ward = AdminUnit.objects.create(
        structure=Structure.LEGACY_3, code="25195", name="Tân Phú", unit_type="Phường",
        level=Level.COMMUNE, parent=old_province, valid_to=dt.date(2025, 6, 30),
        successor=agencies[0].unit)
    old = factories.make_agency(unit=old_ward, code="000.01.22.H10", name="UBND phường Tân Phú",
                                kind=AgencyKind.PEOPLES_COMMITTEE)
    procedure = factories.make_procedure(agencies=[*agencies, old], name="Chứng thực bản sao",
                                         form_schema=REQUESTER_SCHEMA)
    return {"agencies": agencies, "old": old, "procedure": procedure}


def test_desks_in_force_only_and_found_by_old_names(communes) -> None:
    found = desks_for_procedure(communes["procedure"])
    assert found.total == 12 and communes["old"] not in found.desks
    # A search by the old ward's name finds the ward it became.
    by_old = desks_for_procedure(communes["procedure"], query="tan phu")
    assert [a.name for a in by_old.desks] == ["UBND phường Bình Phước"]
    assert by_old.matched_by == "query"
    assert [a.name for a in desks_for_procedure(communes["procedure"],
                                                query="Long Khanh").desks] == [
        "UBND phường Long Khánh"]


def test_desks_from_the_applicant_address(communes) -> None:
    found = desks_for_procedure(communes["procedure"],
                                address="12 Lê Lợi, phường Tân Phú, thành phố Đồng Xoài")
    assert found.matched_by == "address"
    assert [a.name for a in found.desks] == ["UBND phường Bình Phước"]
    current = desks_for_procedure(communes["procedure"], address="5 Hùng Vương, Phường Hố Nai")
    assert [a.name for a in current.desks] == ["UBND phường Hố Nai"]
    nowhere = desks_for_procedure(communes["procedure"], address="Hà Nội")
    assert nowhere.matched_by == "" and len(nowhere.desks) == 12


def test_procedure_page_pages_and_filters_the_desks(client, communes) -> None:
    url = reverse("portal:procedure", args=[communes["procedure"].code])
    page = client.get(url).content.decode()
    assert page.count("Bộ phận Một cửa UBND phường") == 10  # a page, not 111 rows
    assert "Trang 1/2" in page and "UBND phường Tân Phú" not in page
    filtered = client.get(url, {"noi": "tân phú"}).content.decode()
    assert "UBND phường Bình Phước" in filtered and filtered.count("Bộ phận Một cửa") == 1


def test_contact_step_has_no_preset_office(client, citizen, communes) -> None:
    citizen.address = "số 3, phường Tân Phú, Đồng Xoài"
    citizen.save()
    client.force_login(citizen)
    response = client.post(reverse("portal:draft_start", args=[communes["procedure"].code]))
    draft = Draft.objects.get(owner=citizen)
    assert draft.agency is None
    page = client.get(response.url).content.decode()
    # The address's ward is suggested, nothing is checked.
    assert "UBND phường Bình Phước" in page and "checked" not in page
    assert "UBND phường Long Khánh" not in page
    missing = client.post(response.url, {"phone": "0912345678"})
    assert missing.status_code == 200 and "Nơi nộp hồ sơ" in missing.content.decode()
    # A search finds another ward; choosing it saves it.
    searched = client.get(response.url, {"noi": "long khanh"}).content.decode()
    assert "UBND phường Long Khánh" in searched
    # The search button posts the form: typed values stay, nothing is saved or flagged.
    posted = client.post(response.url, {"noi": "hố nai", "tim_noi": "1",
                                        "phone": "0987654321"}).content.decode()
    assert "UBND phường Hố Nai" in posted and 'value="0987654321"' in posted
    assert "Vui lòng kiểm tra lại thông tin" not in posted
    draft.refresh_from_db()
    assert draft.agency is None
    saved = client.post(response.url, {"agency": "000.09.50.H19", "phone": "0912345678"})
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert draft.agency.name == "UBND phường Long Khánh"


def test_abolished_agency_is_refused_on_the_portal(client, citizen, communes) -> None:
    from tinhso.core.errors import DomainError
    from tinhso.portal import services

    draft = services.draft_create(acting_user=citizen, procedure=communes["procedure"])
    with pytest.raises(DomainError) as excinfo:
        services.draft_save_contact(acting_user=citizen, draft=draft, agency=communes["old"],
                                    contact={"phone": "0912345678"})
    assert excinfo.value.code == "AGENCY_ABOLISHED"
    assert excinfo.value.details["successors"][0]["name"] == "UBND phường Bình Phước"


def test_requester_step_prefilled_from_account_and_claims(citizen, communes) -> None:
    citizen.full_name = "Nguyễn Thị Mai"
    citizen.address = "phường Bình Phước, Đồng Nai"
    citizen.save()
    data = requester_prefill(REQUESTER_SCHEMA, citizen,
                             {"birthdate": "1990-01-31", "gender": "female",
                              "address": {"formatted": "ignored: the account has one"}})
    assert data == {"nguoi_yeu_cau": {
        "ho_ten": "Nguyễn Thị Mai", "so_dinh_danh": citizen.id_number,
        "ngay_sinh": "1990-01-31", "gioi_tinh": "Nữ",
        "noi_cu_tru": "phường Bình Phước, Đồng Nai"}}
    # Claims that do not fit the form are dropped, not stored.
    bad = requester_prefill(REQUESTER_SCHEMA, citizen, {"birthdate": "31/01/1990",
                                                        "gender": "x"})
    assert "ngay_sinh" not in bad["nguoi_yeu_cau"] and "gioi_tinh" not in bad["nguoi_yeu_cau"]
    assert requester_prefill({"properties": {"khac": {}}}, citizen) == {}


def test_requester_step_shows_the_prefilled_values(client, citizen, communes) -> None:
    citizen.full_name = "Nguyễn Thị Mai"
    citizen.save()
    client.force_login(citizen)
    session = client.session
    session["oidc_profile"] = {"birthdate": "1990-01-31"}
    session.save()
    client.post(reverse("portal:draft_start", args=[communes["procedure"].code]))
    draft = Draft.objects.get(owner=citizen)
    page = client.get(reverse("portal:draft_form", args=[draft.pk, "nguoi_yeu_cau"]))
    body = page.content.decode()
    assert 'value="Nguyễn Thị Mai"' in body and 'value="1990-01-31"' in body
    assert f'value="{citizen.id_number}"' in body


def test_levels_after_the_reform_are_province_and_commune(client, communes) -> None:
    from tinhso.catalog.models import Procedure

    Procedure.objects.filter(pk=communes["procedure"].pk).update(level="district")
    page = client.get(reverse("portal:procedure", args=[communes["procedure"].code]))
    assert "Cấp xã (trước 01/7/2025: cấp huyện)" in page.content.decode()
    listing = client.get(reverse("portal:procedures"), {"cap": "commune"}).content.decode()
    assert communes["procedure"].name in listing
    assert 'value="district"' not in listing
