"""Citizen lookup in the national population database (sandbox) through the LGSP gateway:
officers only, every lookup audited, nothing of the answer stored."""

from __future__ import annotations

import pytest

from tests import factories
from tinhso.accounts.models import AuditLog
from tinhso.lgsp.models import LogEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/connectors/citizens/lookup"


def test_an_officer_looks_a_citizen_up(client, national, agency) -> None:
    officer = factories.make_official(agency, "receiver")
    client.force_login(officer)
    r = client.post(URL, {"id_number": "070090001234", "purpose": "hồ sơ 000.00.10.H10-1"},
                    content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["found"] is True and r.json()["ho_ten"] == "Nguyễn Văn An"
    audit = AuditLog.objects.get(action="population_lookup")
    assert audit.actor == officer and audit.object_id == "070090001234"
    assert audit.data == {"purpose": "hồ sơ 000.00.10.H10-1", "found": True, "error": ""}
    # Nothing of the answer is kept: not in the audit line, not in the message log.
    assert "Nguyễn" not in str(audit.data)
    entry = LogEntry.objects.get(service__endswith="/DANCU/citizens")
    assert entry.path == "/citizens/lookup" and entry.user_id == officer.username
    r = client.post(URL, {"id_number": "070090009999", "purpose": "kiểm tra"},
                    content_type="application/json")
    assert r.json() == {"found": False, "so_dinh_danh": None, "ho_ten": None,
                        "ngay_sinh": None, "gioi_tinh": None, "noi_thuong_tru": None}
    assert AuditLog.objects.filter(action="population_lookup").count() == 2


def test_citizens_may_not_look_anyone_up(client, national) -> None:
    client.force_login(factories.make_citizen())
    r = client.post(URL, {"id_number": "070090001234", "purpose": "tò mò"},
                    content_type="application/json")
    assert r.status_code == 403
    assert not AuditLog.objects.filter(action="population_lookup").exists()


def test_bad_numbers_are_refused(client, national, agency) -> None:
    client.force_login(factories.make_official(agency, "receiver"))
    r = client.post(URL, {"id_number": "12345", "purpose": "x"}, content_type="application/json")
    assert r.status_code == 422
    assert not LogEntry.objects.filter(service__endswith="/DANCU/citizens").exists()


def test_an_unreachable_database_is_a_503_and_still_audited(client, national, agency,
                                                          settings) -> None:
    settings.TINHSO_POPULATION_SERVICE = "VN/GOV/000.00.00.BCA/DANCU/nothing"
    client.force_login(factories.make_official(agency, "receiver"))
    r = client.post(URL, {"id_number": "070090001234", "purpose": "x"},
                    content_type="application/json")
    assert r.status_code == 503 and r.json()["code"] == "POPULATION_UNAVAILABLE"
    assert AuditLog.objects.get(action="population_lookup").data["error"]
