"""Sign in with lockout, registration (citizen and organisation), password reset by e-mail."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests import factories
from tinhso.accounts.models import AccountKind, User

pytestmark = pytest.mark.django_db
PASSWORD = "matkhau-thu-nghiem-123"


def test_citizen_signs_in_with_id_number_and_lands_on_my_dossiers(client):
    user = factories.make_citizen(username="070090001234")
    response = client.post(reverse("portal:login"), {"username": user.username,
                                                     "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:my_dossiers")


def test_official_lands_on_back_office(client, agency):
    official = factories.make_official(agency, "receiver")
    response = client.post(reverse("portal:login"), {"username": official.username,
                                                     "password": PASSWORD})
    assert response["Location"] == reverse("backoffice:home")


def test_next_is_followed_only_within_the_site(client, citizen):
    response = client.post(reverse("portal:login") + "?next=https://evil.example/",
                           {"username": citizen.username, "password": PASSWORD})
    assert response["Location"] == reverse("portal:my_dossiers")


def test_wrong_password_is_refused_with_a_vietnamese_message(client, citizen):
    response = client.post(reverse("portal:login"), {"username": citizen.username,
                                                     "password": "sai"})
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.content.decode()


def test_lockout_after_repeated_failures_even_with_the_right_password(client, citizen, settings):
    settings.TINHSO_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        client.post(reverse("portal:login"), {"username": citizen.username, "password": "sai"})
    response = client.post(reverse("portal:login"), {"username": citizen.username,
                                                     "password": PASSWORD})
    assert response.status_code == 429
    assert "tạm thời bị khóa" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_account(client, citizen, settings):
    settings.TINHSO_LOGIN_MAX_FAILURES = 2
    other = factories.make_citizen(id_number="070090009999")
    for _ in range(2):
        client.post(reverse("portal:login"), {"username": other.username, "password": "sai"})
    response = client.post(reverse("portal:login"), {"username": citizen.username,
                                                     "password": PASSWORD})
    assert response.status_code == 302


def test_login_form_has_csrf_protection(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("portal:login"), {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_register_citizen_then_signed_in(client):
    response = client.post(reverse("portal:register"), {
        "kind": "citizen", "full_name": "Trần Thị Bình", "id_number": "070190054321",
        "email": "binh@example.vn", "phone": "0912345678",
        "password1": "Mat-khau-rat-manh-2025", "password2": "Mat-khau-rat-manh-2025"})
    assert response.status_code == 302
    user = User.objects.get(id_number="070190054321")
    assert user.kind == AccountKind.CITIZEN and user.full_name == "Trần Thị Bình"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_register_organisation_with_tax_code(client):
    response = client.post(reverse("portal:register"), {
        "kind": "organisation", "full_name": "Công ty TNHH Điều Bình Phước",
        "tax_code": "0100047516", "email": "cty@example.vn",
        "password1": "Mat-khau-rat-manh-2025", "password2": "Mat-khau-rat-manh-2025"})
    assert response.status_code == 302
    assert User.objects.get(tax_code="0100047516").kind == AccountKind.ORGANISATION


@pytest.mark.parametrize(("data", "message"), [
    ({"id_number": "12345"}, "phải gồm đúng 12 chữ số"),
    ({"id_number": "999090001234"}, "không phải mã tỉnh"),
    ({"password2": "khac-han"}, "Hai mật khẩu không khớp nhau."),
    ({"password1": "12345678", "password2": "12345678"}, "Mật khẩu chưa đủ mạnh."),
])
def test_register_errors_are_field_level_in_vietnamese(client, data, message):
    payload = {"kind": "citizen", "full_name": "Lê Văn C", "id_number": "070090007777",
               "email": "c@example.vn", "password1": "Mat-khau-rat-manh-2025",
               "password2": "Mat-khau-rat-manh-2025", **data}
    response = client.post(reverse("portal:register"), payload)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(full_name="Lê Văn C").exists()


def test_register_twice_with_same_id_number_is_refused(client, citizen):
    response = client.post(reverse("portal:register"), {
        "kind": "citizen", "full_name": "Ai Đó", "id_number": citizen.id_number,
        "email": "x@example.vn", "password1": "Mat-khau-rat-manh-2025",
        "password2": "Mat-khau-rat-manh-2025"})
    assert response.status_code == 200
    assert "Đã có tài khoản" in response.content.decode()


def test_password_reset_by_email_and_it_clears_the_lockout(client, settings):
    settings.TINHSO_LOGIN_MAX_FAILURES = 2
    user = factories.make_citizen()
    user.email = "an@example.vn"
    user.save()
    for _ in range(2):
        client.post(reverse("portal:login"), {"username": user.username, "password": "sai"})
    response = client.post(reverse("portal:password_reset"), {"email": "an@example.vn"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/dat-lai-mat-khau/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    new = "Mat-khau-moi-rat-manh-9"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    response = client.post(reverse("portal:login"), {"username": user.username,
                                                     "password": new})
    assert response.status_code == 302


def test_logout_requires_post(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("portal:logout")).status_code == 405
    assert client.post(reverse("portal:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_admin_sign_in_goes_through_the_portal_lockout(client, agency, settings):
    """Django admin's own login form has no lockout: /admin/login/ leads to the portal's."""
    settings.TINHSO_LOGIN_MAX_FAILURES = 2
    admin = factories.make_official(agency, "province_admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:login") + "?next=%2Fadmin%2F"
    assert client.post("/admin/login/", {"username": admin.username, "password": PASSWORD}
                       ).status_code == 302  # the admin form no longer takes passwords
    assert "_auth_user_id" not in client.session

    signed_in = client.post(reverse("portal:login") + "?next=/admin/",
                            {"username": admin.username, "password": PASSWORD, "next": "/admin/"})
    assert signed_in["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    client.post(reverse("portal:logout"))

    for _ in range(2):
        client.post(reverse("portal:login"), {"username": admin.username, "password": "sai"})
    locked = client.post(reverse("portal:login") + "?next=/admin/",
                         {"username": admin.username, "password": PASSWORD, "next": "/admin/"})
    assert locked.status_code == 429
