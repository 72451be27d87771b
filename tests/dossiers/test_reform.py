"""The 2025 reform: from 1 July 2025 no dossier reaches an agency of an abolished unit;
submission and reception refuse it with AGENCY_ABOLISHED and name the successor's agency."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.dossiers.conftest import VN, pdf
from tinhso.core.errors import DomainError
from tinhso.dossiers import services
from tinhso.units.models import AdminUnit, AgencyKind, Level, Structure
from tinhso.units.selectors import structure_in_force, successor_agencies

pytestmark = pytest.mark.django_db


@pytest.fixture
def reform(db):
    """A legacy ward (abolished after 30 June 2025) whose successor is a current ward, each
    with its People's Committee implementing one procedure."""
    new_province = AdminUnit.objects.create(
        structure=Structure.CURRENT_2, code="75", name="Đồng Nai", unit_type="Tỉnh",
        level=Level.PROVINCE, valid_from=dt.date(2025, 7, 1))
    new_ward = AdminUnit.objects.create(
        structure=Structure.CURRENT_2, code="25195", name="Bình Phước", unit_type="Phường",
        level=Level.COMMUNE, parent=new_province, valid_from=dt.date(2025, 7, 1))
    old_province = factories.make_province()
    AdminUnit.objects.filter(pk=old_province.pk).update(valid_to=dt.date(2025, 6, 30),
                                                       successor=new_province)
    old_ward = AdminUnit.objects.create(
        structure=Structure.LEGACY_3, code="25195", name="Tân Phú", unit_type="Phường",
        level=Level.COMMUNE, parent=old_province, valid_to=dt.date(2025, 6, 30),
        successor=new_ward)
    old = factories.make_agency(unit=old_ward, code="000.01.22.H10", name="UBND phường Tân Phú",
                                kind=AgencyKind.PEOPLES_COMMITTEE)
    new = factories.make_agency(unit=new_ward, code="000.01.50.H19",
                                name="UBND phường Bình Phước",
                                kind=AgencyKind.PEOPLES_COMMITTEE)
    procedure = factories.make_procedure(agencies=[old, new])
    return {"old": old, "new": new, "procedure": procedure}


def _submit(citizen, procedure, agency):
    return services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf())])


def test_submission_to_an_abolished_agency_is_refused_with_the_successor(
        reform, citizen, clock, media_root) -> None:
    clock.set(dt.datetime(2026, 12, 7, 9, 0, tzinfo=VN))
    with pytest.raises(DomainError) as excinfo:
        _submit(citizen, reform["procedure"], reform["old"])
    err = excinfo.value
    assert err.code == "AGENCY_ABOLISHED" and err.status == 422
    assert err.details["successors"] == [{"code": "000.01.50.H19",
                                          "name": "UBND phường Bình Phước"}]
    assert "UBND phường Bình Phước" in err.message_vi and "30/06/2025" in err.message_vi
    assert "2025-06-30" in err.message_en
    assert _submit(citizen, reform["procedure"], reform["new"]).agency == reform["new"]


def test_before_the_reform_the_old_agency_receives(reform, citizen, clock, media_root) -> None:
    clock.set(dt.datetime(2025, 6, 30, 16, 0, tzinfo=VN))
    officer = factories.make_official(reform["old"], "receiver")
    dossier = _submit(citizen, reform["procedure"], reform["old"])
    services.dossier_receive(acting_user=officer, dossier=dossier)


def test_reception_after_the_reform_is_refused(reform, citizen, clock, media_root) -> None:
    clock.set(dt.datetime(2025, 6, 30, 16, 0, tzinfo=VN))
    officer = factories.make_official(reform["old"], "receiver")
    dossier = _submit(citizen, reform["procedure"], reform["old"])
    clock.set(dt.datetime(2025, 7, 1, 8, 0, tzinfo=VN))
    with pytest.raises(DomainError) as excinfo:
        services.dossier_receive(acting_user=officer, dossier=dossier)
    assert excinfo.value.code == "AGENCY_ABOLISHED"
    dossier.refresh_from_db()
    assert dossier.status == 1  # unchanged: bad input changes nothing


def test_successors_and_structure_in_force(reform) -> None:
    assert successor_agencies(reform["old"], day=dt.date(2026, 1, 5)) == [reform["new"]]
    assert successor_agencies(reform["new"], day=dt.date(2026, 1, 5)) == [reform["new"]]
    assert structure_in_force(dt.date(2025, 6, 30)) == "legacy3"
    assert structure_in_force(dt.date(2025, 7, 1)) == "current2"
