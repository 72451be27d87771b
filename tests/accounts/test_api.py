"""Accounts API: /me with bearer tokens and sessions, token administration, citizen sign-up."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from tinhso.accounts import services
from tinhso.accounts.models import ApiToken, AuditLog, User

pytestmark = pytest.mark.django_db

ME = "/api/v1/accounts/me"
TOKENS = "/api/v1/accounts/tokens"
REGISTER = "/api/v1/accounts/register/citizen"


def _bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _post(client: Client, url: str, body: Any, **extra: Any):
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def test_token_lifecycle(client: Client, province_admin: User, receiver: User) -> None:
    admin_token, admin_raw = services.api_token_create(acting_user=province_admin,
                                                       user=province_admin, name="admin")
    response = _post(client, TOKENS, {"name": "Tích hợp LGSP", "user_id": receiver.pk},
                     **_bearer(admin_raw))
    assert response.status_code == 201, response.content
    created = response.json()
    raw = created["token"]
    assert created["username"] == receiver.username and created["prefix"] == raw[:12]
    # The secret is not stored and never listed again.
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    listed = client.get(TOKENS, **_bearer(admin_raw)).json()
    assert {t["id"] for t in listed} == {admin_token.pk, created["id"]}
    assert all("token" not in t for t in listed)

    me = client.get(ME, **_bearer(raw))
    assert me.status_code == 200
    body = me.json()
    assert body["username"] == receiver.username and body["roles"] == ["receiver"]
    assert body["agency"]["id"] == receiver.agency_id

    deleted = client.delete(f"{TOKENS}/{created['id']}", **_bearer(admin_raw))
    assert deleted.status_code == 204
    after = client.get(ME, **_bearer(raw))
    assert after.status_code == 401
    assert after.json()["code"] == "UNAUTHENTICATED"
    # A write with the revoked token is refused for the token too, not as a CSRF failure of
    # the browser-session fallback (it used to answer 403 CSRF_FAILED).
    write = client.post(TOKENS, data={"name": "x"}, content_type="application/json",
                        **_bearer(raw))
    assert write.status_code == 401 and write.json()["code"] == "UNAUTHENTICATED"
    assert "thu hồi" in write.json()["message_vi"]
    actions = list(AuditLog.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["api_token_create", "api_token_create", "api_token_revoke"]


def test_me_requires_auth(client: Client) -> None:
    assert client.get(ME).status_code == 401
    assert client.get(ME, **_bearer("tsk_not-a-real-token")).status_code == 401
    assert client.get(ME, HTTP_AUTHORIZATION="Basic abc").status_code == 401


def test_me_with_session(client: Client, citizen: User) -> None:
    client.force_login(citizen)
    body = client.get(ME).json()
    assert body["kind"] == "citizen" and body["agency"] is None and body["roles"] == []


def test_only_admins_create_tokens(client: Client, receiver: User, citizen: User,
                                   other_receiver: User, agency_admin: User) -> None:
    for user in (receiver, citizen):
        client.force_login(user)
        response = _post(client, TOKENS, {"name": "x"})
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"
        assert client.get(TOKENS).status_code == 403
    client.force_login(agency_admin)
    # An official of another agency is outside the agency admin's scope: not found.
    response = _post(client, TOKENS, {"name": "x", "user_id": other_receiver.pk})
    assert response.status_code == 404
    assert not ApiToken.objects.exists() and not AuditLog.objects.exists()
    assert _post(client, TOKENS, {"name": "x", "user_id": receiver.pk}).status_code == 201


def test_agency_admin_cannot_revoke_other_agencies_tokens(client: Client, province_admin: User,
                                                          other_receiver: User,
                                                          agency_admin: User) -> None:
    token, raw = services.api_token_create(acting_user=province_admin, user=other_receiver,
                                           name="x")
    client.force_login(agency_admin)
    assert client.delete(f"{TOKENS}/{token.pk}").status_code == 404
    assert client.get(TOKENS).json() == []
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_expiry_must_have_offset(client: Client, province_admin: User) -> None:
    client.force_login(province_admin)
    response = _post(client, TOKENS, {"name": "x", "expires_at": "2030-01-01T00:00:00"})
    assert response.status_code == 422
    assert response.json()["code"] == "INVALID_EXPIRY"
    ok = _post(client, TOKENS, {"name": "x", "expires_at": "2030-01-01T00:00:00+07:00"})
    assert ok.status_code == 201
    expected = dt.datetime(2029, 12, 31, 17, tzinfo=dt.UTC)
    assert dt.datetime.fromisoformat(ok.json()["expires_at"]) == expected
    assert ApiToken.objects.get().expires_at == expected


def test_register_citizen(client: Client) -> None:
    body = {"full_name": "Nguyễn Văn Toàn", "id_number": "070088765432",
            "password": "Mat-khau-rat-manh-2026", "email": "toan@example.vn"}
    response = _post(client, REGISTER, body)
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "070088765432"
    again = _post(client, REGISTER, {**body, "email": "x@example.vn"})
    assert again.status_code == 409 and again.json()["code"] == "ACCOUNT_EXISTS"
    assert User.objects.count() == 1


@pytest.mark.parametrize("id_number,part", [
    ("07008876543", "format"), ("999088765432", "province"), ("070499765432", "birth_year"),
])
def test_register_invalid_id_number(client: Client, id_number: str, part: str) -> None:
    body = {"full_name": "Nguyễn Văn Toàn", "id_number": id_number,
            "password": "Mat-khau-rat-manh-2026", "email": "toan@example.vn"}
    response = _post(client, REGISTER, body)
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "INVALID_ID_NUMBER" and data["details"]["part"] == part
    assert data["message_vi"] and data["message_en"]
    assert not User.objects.exists()


def test_register_malformed(client: Client) -> None:
    response = client.post(REGISTER, data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "MALFORMED_JSON"
    missing = _post(client, REGISTER, {"full_name": "A"})
    assert missing.status_code == 422 and missing.json()["code"] == "VALIDATION_ERROR"
    assert not User.objects.exists()


def test_register_organisation(client: Client) -> None:
    response = _post(client, "/api/v1/accounts/register/organisation",
                     {"name": "Công ty TNHH Phước An", "tax_code": "3800123455",
                      "password": "Mat-khau-rat-manh-2026", "email": "a@b.vn"})
    assert response.status_code == 422 and response.json()["code"] == "INVALID_TAX_CODE"


def test_agency_admin_cannot_mint_a_token_for_a_province_wide_official(
        client: Client, province_admin: User, agency_admin: User, agency) -> None:
    """A token for the province admin of one's own agency would carry the province's rights."""
    from tests import factories
    from tinhso.accounts.models import Role

    viewer = factories.make_official(agency, Role.IOC_VIEWER)
    client.force_login(agency_admin)
    for target in (province_admin, viewer):
        response = _post(client, TOKENS, {"name": "x", "user_id": target.pk})
        assert response.status_code in (403, 404), response.content
    assert not ApiToken.objects.exists()
