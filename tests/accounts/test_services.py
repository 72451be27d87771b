"""Account services: sign-up, officials, roles, tokens — each write audited, bad input inert."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tinhso.accounts import services
from tinhso.accounts.models import AccountKind, ApiToken, AuditLog, Role, User
from tinhso.accounts.tokens import hash_token, user_for_token
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.units.models import Agency

pytestmark = pytest.mark.django_db

PASSWORD = "Mat-khau-rat-manh-2026"


def _register(**overrides: str) -> User:
    args = {"full_name": "  Trần   Văn Bình ", "id_number": "070095123456",
            "password": PASSWORD, "email": "Binh@Example.vn", "phone": "0912 345 678"}
    args.update(overrides)
    return services.citizen_register(**args)


def test_citizen_register() -> None:
    user = _register()
    assert user.kind == AccountKind.CITIZEN
    assert (user.username, user.id_number) == ("070095123456", "070095123456")
    assert user.full_name == "Trần Văn Bình" and user.email == "binh@example.vn"
    assert user.phone == "0912345678"
    assert user.check_password(PASSWORD)
    log = AuditLog.objects.get(action="citizen_register")
    assert log.actor == user and log.object_id == str(user.pk)
    assert PASSWORD not in str(log.data)


@pytest.mark.parametrize("field,value,code", [
    ("id_number", "123", "INVALID_ID_NUMBER"),
    ("full_name", "   ", "INVALID_NAME"),
    ("email", "not-an-email", "INVALID_EMAIL"),
    ("phone", "12345", "INVALID_PHONE"),
    ("password", "123456", "WEAK_PASSWORD"),
])
def test_citizen_register_bad_input_changes_nothing(field: str, value: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _register(**{field: value})
    assert exc.value.code == code
    assert not User.objects.exists() and not AuditLog.objects.exists()


def test_duplicate_id_number_conflicts(citizen: User) -> None:
    with pytest.raises(Conflict) as exc:
        _register(id_number=citizen.id_number)
    assert exc.value.code == "ACCOUNT_EXISTS" and exc.value.status == 409
    _register()
    with pytest.raises(Conflict):
        _register(email="other@example.vn")
    assert User.objects.filter(id_number="070095123456").count() == 1


def test_organisation_register() -> None:
    org = services.organisation_register(name="Công ty TNHH Phước An", tax_code="3800123454",
                                         password=PASSWORD, email="info@phuocan.vn")
    assert org.kind == AccountKind.ORGANISATION and org.username == "3800123454"
    with pytest.raises(Conflict):
        services.organisation_register(name="X", tax_code="3800123454", password=PASSWORD,
                                       email="x@phuocan.vn")
    with pytest.raises(ValidationFailed) as exc:
        services.organisation_register(name="Y", tax_code="3800123455", password=PASSWORD,
                                       email="y@phuocan.vn")
    assert exc.value.code == "INVALID_TAX_CODE"
    assert AuditLog.objects.filter(action="organisation_register").count() == 1


def test_official_create_by_agency_admin(agency_admin: User, agency: Agency) -> None:
    user = services.official_create(acting_user=agency_admin, username="tn.moi",
                                    full_name="Lý Thị Hạnh", agency=agency,
                                    roles=[Role.RECEIVER, Role.SPECIALIST], password=PASSWORD)
    assert user.kind == AccountKind.OFFICIAL and user.agency == agency
    assert user.role_set == {Role.RECEIVER, Role.SPECIALIST}
    log = AuditLog.objects.get(action="official_create")
    assert log.actor == agency_admin and log.data["roles"] == ["receiver", "specialist"]


@pytest.mark.parametrize("roles", [[Role.PROVINCE_ADMIN], [Role.IOC_VIEWER]])
def test_agency_admin_cannot_grant_province_roles(agency_admin: User, agency: Agency,
                                                  roles: list[str]) -> None:
    with pytest.raises(PermissionDenied):
        services.official_create(acting_user=agency_admin, username="x.y", full_name="X Y",
                                 agency=agency, roles=roles, password=PASSWORD)
    assert not User.objects.filter(username="x.y").exists()


def test_official_create_rules(agency_admin: User, other_agency: Agency, receiver: User,
                               province_admin: User, agency: Agency) -> None:
    with pytest.raises(PermissionDenied):
        services.official_create(acting_user=agency_admin, username="a.b", full_name="A B",
                                 agency=other_agency, roles=[Role.RECEIVER], password=PASSWORD)
    with pytest.raises(PermissionDenied):
        services.official_create(acting_user=receiver, username="a.b", full_name="A B",
                                 agency=agency, roles=[], password=PASSWORD)
    with pytest.raises(ValidationFailed) as exc:
        services.official_create(acting_user=province_admin, username="a.b", full_name="A B",
                                 agency=agency, roles=["boss"], password=PASSWORD)
    assert exc.value.code == "INVALID_ROLE"
    with pytest.raises(Conflict) as conflict:
        services.official_create(acting_user=province_admin, username=receiver.username,
                                 full_name="A B", agency=agency, roles=[], password=PASSWORD)
    assert conflict.value.code == "USERNAME_TAKEN"
    with pytest.raises(ValidationFailed):
        services.official_create(acting_user=province_admin, username="có dấu",
                                 full_name="A B", agency=agency, roles=[], password=PASSWORD)
    assert not AuditLog.objects.exists()
    services.official_create(acting_user=province_admin, username="a.b", full_name="A B",
                             agency=other_agency, roles=[Role.PROVINCE_ADMIN], password=PASSWORD)


def test_role_grant_and_revoke(agency_admin: User, receiver: User, other_receiver: User,
                               citizen: User) -> None:
    services.role_grant(acting_user=agency_admin, user=receiver, role=Role.LEADER)
    assert receiver.has_role(Role.LEADER)
    services.role_grant(acting_user=agency_admin, user=receiver, role=Role.LEADER)  # no-op
    assert AuditLog.objects.filter(action="role_grant").count() == 1
    services.role_revoke(acting_user=agency_admin, user=receiver, role=Role.LEADER)
    assert not User.objects.get(pk=receiver.pk).has_role(Role.LEADER)
    assert AuditLog.objects.filter(action="role_revoke").count() == 1
    with pytest.raises(PermissionDenied):
        services.role_grant(acting_user=agency_admin, user=other_receiver, role=Role.LEADER)
    with pytest.raises(PermissionDenied):
        services.role_grant(acting_user=receiver, user=receiver, role=Role.AGENCY_ADMIN)
    with pytest.raises(ValidationFailed) as exc:
        services.role_grant(acting_user=agency_admin, user=citizen, role=Role.LEADER)
    assert exc.value.code == "NOT_AN_OFFICIAL"


def test_last_province_admin_stays(province_admin: User, agency: Agency) -> None:
    with pytest.raises(Conflict) as exc:
        services.role_revoke(acting_user=province_admin, user=province_admin,
                             role=Role.PROVINCE_ADMIN)
    assert exc.value.code == "LAST_PROVINCE_ADMIN"
    second = factories.make_official(agency, Role.PROVINCE_ADMIN)
    services.role_revoke(acting_user=second, user=province_admin, role=Role.PROVINCE_ADMIN)
    assert not User.objects.get(pk=province_admin.pk).is_province_admin


def test_token_create_and_revoke(agency_admin: User, receiver: User) -> None:
    expires = timezone.now() + dt.timedelta(days=30)
    token, raw = services.api_token_create(acting_user=agency_admin, user=receiver,
                                           name="Máy chủ LGSP", expires_at=expires)
    assert raw.startswith("tsk_") and token.prefix == raw[:12]
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hash_token(raw) and raw not in stored.key_hash
    assert user_for_token(raw) == receiver
    log = AuditLog.objects.get(action="api_token_create")
    assert raw not in str(log.data) and log.actor == agency_admin
    services.api_token_revoke(acting_user=agency_admin, token=token)
    services.api_token_revoke(acting_user=agency_admin, token=token)  # idempotent
    assert user_for_token(raw) is None
    assert AuditLog.objects.filter(action="api_token_revoke").count() == 1


def test_token_rules(agency_admin: User, receiver: User, other_receiver: User,
                     other_admin: User) -> None:
    with pytest.raises(PermissionDenied):
        services.api_token_create(acting_user=receiver, user=receiver, name="t")
    with pytest.raises(PermissionDenied):
        services.api_token_create(acting_user=agency_admin, user=other_receiver, name="t")
    with pytest.raises(ValidationFailed) as exc:
        services.api_token_create(acting_user=agency_admin, user=receiver, name="t",
                                  expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert exc.value.code == "INVALID_EXPIRY"
    with pytest.raises(ValidationFailed):
        services.api_token_create(acting_user=agency_admin, user=receiver, name=" ")
    token, _ = services.api_token_create(acting_user=agency_admin, user=receiver, name="t")
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(acting_user=other_admin, token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert AuditLog.objects.filter(action__startswith="api_token").count() == 1


def test_expired_token_rejected(province_admin: User, receiver: User) -> None:
    token, raw = services.api_token_create(acting_user=province_admin, user=receiver, name="t",
                                           expires_at=timezone.now() + dt.timedelta(hours=1))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert user_for_token(raw) is None


def test_official_password_needs_twelve_characters(province_admin: User, agency: Agency) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.official_create(acting_user=province_admin, username="ngan.qua",
                                 full_name="Trần Văn Ngắn", agency=agency, roles=[],
                                 password="Xk9#vT2q!mZ")  # 11 characters, otherwise strong
    assert exc.value.code == "PASSWORD_TOO_SHORT"
    assert "ít nhất 12 ký tự" in exc.value.message_vi and "11" in exc.value.message_vi
    assert "at least 12 characters" in exc.value.message_en
    assert exc.value.details["min_length"] == 12
    assert not User.objects.filter(username="ngan.qua").exists()
    assert not AuditLog.objects.filter(action="official_create").exists()
    services.official_create(acting_user=province_admin, username="du.dai",
                             full_name="Trần Văn Đủ", agency=agency, roles=[],
                             password="Xk9#vT2q!mZ4")


def test_citizen_keeps_the_shorter_minimum() -> None:
    user = services.citizen_register(full_name="Lê Thị Ngắn", id_number="070301000123",
                                     password="Xk9#vT2q", email="ngan@example.vn")
    assert user.check_password("Xk9#vT2q")


def test_django_paths_apply_the_official_rule_too(receiver: User, citizen: User) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="12"):
        validate_password("Xk9#vT2q!mZ", user=receiver)
    validate_password("Xk9#vT2q!mZ", user=citizen)
