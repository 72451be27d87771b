"""TOTP second factor for officials who sign in with a password: enrolment with a QR code and
hashed one-time recovery codes, required for the configured roles, no session before the
code, codes not reusable, wrong codes in the same lockout as wrong passwords."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.urls import reverse

from tests import factories
from tinhso.accounts import mfa
from tinhso.accounts.models import AuditLog, RecoveryCode, TotpDevice
from tinhso.core.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.django_db
PASSWORD = "matkhau-thu-nghiem-123"


def _secret(user) -> str:
    return mfa._open(user.pk, TotpDevice.objects.get(user=user).secret_encrypted)


def _enrolled(user) -> list[str]:
    secret, _ = mfa.enrol_start(user)
    return mfa.enrol_confirm(user, pyotp.TOTP(secret).now())


def _password(client, user):
    return client.post(reverse("portal:login"), {"username": user.username,
                                                 "password": PASSWORD})


def test_required_role_must_enrol_before_any_session(client, agency, settings):
    settings.TINHSO_MFA_REQUIRED_ROLES = frozenset({"leader"})
    leader = factories.make_official(agency, "leader")
    response = _password(client, leader)
    assert response["Location"] == reverse("portal:mfa_enrol")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("portal:mfa_enrol"))
    html = page.content.decode()
    assert page.status_code == 200 and "data:image/svg+xml" in html and "Quét mã QR" in html
    assert "_auth_user_id" not in client.session
    secret = _secret(leader)
    assert re.search(secret, html)  # the key typed by hand when the QR cannot be scanned
    assert client.get(reverse("portal:mfa_enrol")).status_code == 200
    assert _secret(leader) == secret  # a reload keeps the scanned secret
    bad = client.post(reverse("portal:mfa_enrol"), {"code": "000000"})
    assert bad.status_code == 422 and "Mã xác thực không đúng" in bad.content.decode()
    done = client.post(reverse("portal:mfa_enrol"), {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and int(client.session["_auth_user_id"]) == leader.pk
    codes = re.findall(r"<code>([A-Z2-7]{5}-[A-Z2-7]{5})</code>", done.content.decode())
    assert len(codes) == 10
    stored = set(RecoveryCode.objects.filter(user=leader).values_list("code_hash", flat=True))
    assert not stored & set(codes) and len(stored) == 10  # hashes only
    assert AuditLog.objects.filter(action="mfa_enrol", actor=leader).exists()


def test_not_required_and_not_enrolled_signs_in_with_password(client, agency, settings):
    settings.TINHSO_MFA_REQUIRED_ROLES = frozenset({"leader"})
    receiver = factories.make_official(agency, "receiver")
    assert _password(client, receiver)["Location"] == reverse("backoffice:home")
    citizen = factories.make_citizen(id_number="070090007777")
    assert not mfa.required_for(citizen)


def test_enrolled_official_needs_the_code_and_a_code_works_once(client, agency):
    official = factories.make_official(agency, "specialist")
    _enrolled(official)
    response = _password(client, official)
    assert response["Location"] == reverse("portal:mfa_verify")
    assert "_auth_user_id" not in client.session
    step = int(time.time() // 30) + 1  # later than the step used at enrolment
    code = pyotp.TOTP(_secret(official)).at(step * 30)
    ok = client.post(reverse("portal:mfa_verify"), {"code": code})
    # The server's clock is one step behind the code: one step of drift is allowed.
    assert ok.status_code == 302 and ok["Location"] == reverse("backoffice:home")
    assert int(client.session["_auth_user_id"]) == official.pk
    with pytest.raises(ValidationFailed):  # the same code again: refused
        mfa.verify(official, code, at=step * 30)
    later = pyotp.TOTP(_secret(official)).at((step + 1) * 30)
    assert mfa.verify(official, later, at=(step + 1) * 30) == "totp"


def test_recovery_code_works_once(client, agency):
    official = factories.make_official(agency, "specialist")
    codes = _enrolled(official)
    _password(client, official)
    assert client.post(reverse("portal:mfa_verify"), {"code": codes[0].lower()}).status_code == 302
    client.logout()
    _password(client, official)
    again = client.post(reverse("portal:mfa_verify"), {"code": codes[0]})
    assert again.status_code == 422 and "_auth_user_id" not in client.session
    assert AuditLog.objects.get(action="mfa_recovery_code_used").data == {"left": 9}


def test_wrong_codes_share_the_password_lockout(client, agency, settings):
    settings.TINHSO_LOGIN_MAX_FAILURES = 3
    official = factories.make_official(agency, "specialist")
    _enrolled(official)
    _password(client, official)
    for _ in range(3):
        assert client.post(reverse("portal:mfa_verify"), {"code": "123456"}).status_code == 422
    right = pyotp.TOTP(_secret(official)).at(time.time() + 30)
    locked = client.post(reverse("portal:mfa_verify"), {"code": right})
    assert locked.status_code == 429 and "tạm thời bị khóa" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert _password(client, official).status_code == 429  # the password step is locked too


def test_the_code_step_needs_a_pending_password_step(client, agency):
    assert client.get(reverse("portal:mfa_verify"))["Location"] == reverse("portal:login")
    assert client.post(reverse("portal:mfa_verify"), {"code": "123456"})["Location"] == (
        reverse("portal:login"))
    assert client.get(reverse("portal:mfa_enrol"))["Location"] == reverse("portal:login")


def test_pending_sign_in_expires(client, agency, monkeypatch):
    official = factories.make_official(agency, "specialist")
    _enrolled(official)
    _password(client, official)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 301)
    assert client.get(reverse("portal:mfa_verify"))["Location"] == reverse("portal:login")


def test_secret_is_encrypted_and_bound_to_its_user(agency):
    official = factories.make_official(agency, "specialist")
    secret, uri = mfa.enrol_start(official)
    sealed = bytes(TotpDevice.objects.get(user=official).secret_encrypted)
    assert secret.encode() not in sealed and uri.startswith("otpauth://totp/")
    other = factories.make_official(agency, "specialist")
    with pytest.raises(Exception):  # noqa: B017 - AES-GCM refuses another user's id
        mfa._open(other.pk, sealed)


def test_enrolling_twice_is_a_conflict_and_reset_is_for_admins(agency):
    official = factories.make_official(agency, "specialist")
    _enrolled(official)
    with pytest.raises(Conflict):
        mfa.enrol_start(official)
    from tinhso.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        mfa.reset(acting_user=factories.make_official(agency, "specialist"), user=official)
    admin = factories.make_official(agency, "province_admin")
    mfa.reset(acting_user=admin, user=official)
    assert not mfa.has_device(official) and not RecoveryCode.objects.filter(user=official)
    assert AuditLog.objects.filter(action="mfa_reset", actor=admin).exists()


# --- reset by an administrator ----------------------------------------------------------------


def test_agency_admin_resets_and_the_official_must_enrol_again(client, agency, settings):
    """No required role: without the reset flag this official could sign in with a password
    alone once the authenticator is gone."""
    settings.TINHSO_MFA_REQUIRED_ROLES = frozenset({"leader"})
    official = factories.make_official(agency, "specialist")
    _enrolled(official)
    admin = factories.make_official(agency, "agency_admin")
    mfa.reset(acting_user=admin, user=official)
    official.refresh_from_db()
    assert official.mfa_enrol_required and not mfa.has_device(official)
    row = AuditLog.objects.get(action="mfa_reset")
    assert row.actor == admin and row.object_id == str(official.pk)
    assert row.data["had_device"] is True and row.data["recovery_codes_removed"] == 10
    assert _password(client, official)["Location"] == reverse("portal:mfa_enrol")
    assert "_auth_user_id" not in client.session
    client.get(reverse("portal:mfa_enrol"))
    done = client.post(reverse("portal:mfa_enrol"), {"code": pyotp.TOTP(_secret(official)).now()})
    assert done.status_code == 200 and int(client.session["_auth_user_id"]) == official.pk
    official.refresh_from_db()
    assert not official.mfa_enrol_required and mfa.has_device(official)


def test_reset_ends_the_officials_open_sessions_not_the_admins(client, agency):
    """A lost phone may travel with a signed-in browser: the reset ends that session; a new
    sign-in after enrolling again works, and the old session does not come back."""
    from django.test import Client

    official = factories.make_official(agency, "specialist")
    admin = factories.make_official(agency, "agency_admin")
    other_tab = Client()
    client.force_login(official)
    other_tab.force_login(admin)
    home = reverse("backoffice:home")

    def signed_in(browser: Client) -> bool:
        return browser.get(home).wsgi_request.user.is_authenticated

    assert signed_in(client)
    old_cookie = client.cookies["sessionid"].value
    mfa.reset(acting_user=admin, user=official)
    assert not signed_in(client)
    assert signed_in(other_tab)
    _enrolled(official)  # enrols again (clears the flag); the epoch stays bumped
    revived = Client()
    revived.cookies["sessionid"] = old_cookie
    assert not signed_in(revived)


def test_others_cannot_reset(agency):
    from tinhso.core.errors import PermissionDenied

    other_agency = factories.make_agency(code="000.00.99.H10", name="Sở khác")
    official = factories.make_official(agency, "specialist")
    province_admin = factories.make_official(agency, "province_admin")
    agency_admin = factories.make_official(agency, "agency_admin")
    _enrolled(official)
    _enrolled(province_admin)
    refused = [
        (factories.make_official(agency, "specialist"), official),  # a colleague
        (factories.make_official(agency, "leader"), official),  # a leader is not an admin
        (factories.make_official(other_agency, "agency_admin"), official),  # another agency
        (agency_admin, province_admin),  # a province-wide role, same agency
        (agency_admin, agency_admin),  # one's own
        (province_admin, province_admin),
        (province_admin, factories.make_citizen()),  # officials only
    ]
    for acting, target in refused:
        with pytest.raises(PermissionDenied):
            mfa.reset(acting_user=acting, user=target)
    assert mfa.has_device(official) and mfa.has_device(province_admin)
    assert not AuditLog.objects.filter(action="mfa_reset").exists()


def test_reset_over_the_api(client, agency):
    from tinhso.accounts.models import User

    other_agency = factories.make_agency(code="000.00.99.H10", name="Sở khác")
    official = factories.make_official(agency, "specialist")
    _enrolled(official)
    url = f"/api/v1/accounts/users/{official.pk}/mfa-reset"
    assert client.post(url).status_code == 401
    client.force_login(factories.make_official(agency, "specialist"))
    assert client.post(url).status_code == 403
    client.force_login(factories.make_official(other_agency, "agency_admin"))
    assert client.post(url).status_code == 404  # not in their scope: not found
    assert mfa.has_device(official)
    client.force_login(factories.make_official(agency, "agency_admin"))
    response = client.post(url)
    assert response.status_code == 204, response.content
    assert not mfa.has_device(official)
    assert User.objects.get(pk=official.pk).mfa_enrol_required
    assert AuditLog.objects.get(action="mfa_reset").data["via"] == "api"


def test_reset_from_the_admin_action(client, agency):
    from tinhso.accounts.models import User

    official = factories.make_official(agency, "specialist")
    _enrolled(official)
    root = User.objects.create_superuser("quantri-goc", "root@example.vn", PASSWORD)
    client.force_login(root)
    response = client.post(reverse("admin:accounts_user_changelist"),
                           {"action": "mfa_reset", "_selected_action": [official.pk, root.pk]},
                           follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "official" in html.lower() and "đã đặt lại xác thực hai lớp" in html
    assert "quantri-goc: bạn không có quyền" in html.lower()  # not one's own
    assert not mfa.has_device(official)
    assert User.objects.get(pk=official.pk).mfa_enrol_required
    assert AuditLog.objects.get(action="mfa_reset").data["via"] == "admin"
