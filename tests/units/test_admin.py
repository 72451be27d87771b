"""Admin pages for units, agencies and accounts load, and admin changes are audited."""

from __future__ import annotations

import pytest
from django.test import Client

from tinhso.accounts import services
from tinhso.accounts.demo import load_demo_accounts
from tinhso.accounts.models import ApiToken, AuditLog, User
from tinhso.units.models import Agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, demo_agencies: None) -> Client:
    load_demo_accounts()
    client.force_login(User.objects.get(username="quantri"))
    return client


@pytest.mark.parametrize("url", [
    "/admin/units/adminunit/", "/admin/units/agency/", "/admin/accounts/user/",
    "/admin/accounts/apitoken/", "/admin/accounts/auditlog/",
    "/admin/units/adminunit/?structure__exact=current2",
    "/admin/units/agency/?q=T%C3%A2n+Ph%C3%BA",
])
def test_changelists_load(admin_client: Client, url: str) -> None:
    response = admin_client.get(url)
    assert response.status_code == 200


def test_agency_change_is_audited(admin_client: Client) -> None:
    agency = Agency.objects.get(name="UBND phường Tân Phú")
    page = admin_client.get(f"/admin/units/agency/{agency.pk}/change/")
    assert page.status_code == 200 and "Bộ phận một cửa" in page.content.decode()
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"unit": agency.unit_id, "parent": agency.parent_id, "phone": "0271 3879 000",
                 "kind": agency.kind, "has_one_stop_desk": "on", "is_active": "on"})
    for key in ("morning_start", "morning_end", "afternoon_start", "afternoon_end"):
        data[key] = form.initial[key].strftime("%H:%M")
    response = admin_client.post(f"/admin/units/agency/{agency.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    agency.refresh_from_db()
    assert agency.phone == "0271 3879 000"
    log = AuditLog.objects.get(action="admin_change", object_type="agency")
    assert log.object_id == str(agency.pk) and log.data["fields"] == ["phone"]


def test_token_admin_is_read_only_and_revokes(admin_client: Client) -> None:
    admin = User.objects.get(username="quantri")
    token, _ = services.api_token_create(acting_user=admin, user=admin, name="x")
    assert admin_client.get("/admin/accounts/apitoken/add/").status_code == 403
    response = admin_client.post("/admin/accounts/apitoken/",
                                 {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditLog.objects.filter(action="api_token_revoke").count() == 1


def test_user_change_page(admin_client: Client) -> None:
    user = User.objects.get(username="stp.chuyenvien")
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    assert "Thông tin cá nhân" in page.content.decode()
