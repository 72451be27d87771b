"""/api/v1/lgsp: operators manage the registry; nobody else may; bad input changes nothing."""

from __future__ import annotations

from tests import factories
from tests.lgsp.conftest import CLIENT_ID, SERVICE_ID
from tinhso.lgsp.models import AccessRight, Member, RegistryEvent


def test_operator_builds_a_registry_over_the_api(client, world, agency) -> None:
    admin = factories.make_official(agency, "province_admin")
    client.force_login(admin)
    r = client.post("/api/v1/lgsp/members", {"instance": "VN", "member_class": "COM",
                                              "member_code": "0101234567", "name": "Công ty A"},
                    content_type="application/json")
    assert r.status_code == 201 and r.json()["identifier"] == "VN/COM/0101234567"
    r = client.post("/api/v1/lgsp/subsystems", {"member": "VN/COM/0101234567", "code": "ERP"},
                    content_type="application/json")
    assert r.status_code == 201
    r = client.post("/api/v1/lgsp/rights", {"client": "VN/COM/0101234567/ERP",
                                             "service": SERVICE_ID, "method": "GET",
                                             "path": "/echo/*"},
                    content_type="application/json")
    assert r.status_code == 201
    services_out = client.get("/api/v1/lgsp/services").json()
    rights = {(x["client"], x["method"], x["path"]) for x in services_out[0]["rights"]}
    assert ("VN/COM/0101234567/ERP", "GET", "/echo/*") in rights
    token = client.post("/api/v1/lgsp/tokens", {"client": "VN/COM/0101234567/ERP"},
                        content_type="application/json").json()["token"]
    assert token.startswith("lgsp_")
    r = client.post("/api/v1/lgsp/rights/revoke", {"client": "VN/COM/0101234567/ERP",
                                                    "service": SERVICE_ID},
                    content_type="application/json")
    assert r.json() == {"revoked": 1}
    assert RegistryEvent.objects.filter(action="access_revoke").count() == 1


def test_bad_input_is_refused_and_changes_nothing(client, world, agency) -> None:
    client.force_login(factories.make_official(agency, "province_admin"))
    before = Member.objects.count()
    r = client.post("/api/v1/lgsp/members", {"instance": "VN", "member_class": "G/OV",
                                              "member_code": "x", "name": "X"},
                    content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "LGSP_IDENTIFIER_INVALID"
    r = client.post("/api/v1/lgsp/rights", {"client": CLIENT_ID, "service": SERVICE_ID,
                                             "method": "BREW"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "LGSP_METHOD_INVALID"
    r = client.post("/api/v1/lgsp/services", {"subsystem": "VN/GOV/000.00.01.H10/DANCU",
                                               "code": "listMethods", "url": "http://x"},
                    content_type="application/json")
    assert r.status_code == 422
    r = client.post("/api/v1/lgsp/rights", {"client": "VN/GOV/NOPE/X", "service": SERVICE_ID},
                    content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "LGSP_SUBSYSTEM_NOT_FOUND"
    assert Member.objects.count() == before and AccessRight.objects.count() == 1


def test_officials_without_the_role_are_refused(client, world, agency) -> None:
    client.force_login(factories.make_official(agency, "receiver"))
    assert client.get("/api/v1/lgsp/members").status_code == 403
    assert client.post("/api/v1/lgsp/tokens", {"client": CLIENT_ID},
                       content_type="application/json").status_code == 403
    assert client.get("/api/v1/lgsp/log/entries").status_code == 403
    client.logout()
    assert client.get("/api/v1/lgsp/members").status_code == 401


def test_admin_edits_are_audited(client, world, agency) -> None:
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("lgsp-admin", "a@example.vn", "x-123-y")
    client.force_login(admin)
    url = f"/admin/lgsp/service/{world.service.pk}/change/"
    assert client.get(url).status_code == 200
    assert client.get("/admin/lgsp/logentry/").status_code == 200
    assert client.get("/admin/lgsp/member/").status_code == 200
    from django.contrib import admin as django_admin

    from tinhso.lgsp.admin import ServiceAdmin

    model_admin = ServiceAdmin(type(world.service), django_admin.site)

    class Form:
        changed_data = ["url"]

    request = type("R", (), {"user": admin})()
    world.service.url = "http://127.0.0.1:9/new"
    model_admin.save_model(request, world.service, Form(), True)
    event = RegistryEvent.objects.get(action="admin_change_service")
    assert event.actor == admin and event.data == {"fields": ["url"]}
