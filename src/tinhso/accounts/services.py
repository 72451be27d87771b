"""Writes on accounts: registration, officials, roles and API tokens.

Every service runs in one transaction and writes its ``AuditLog`` row inside it, so a failed
call leaves neither the change nor its audit behind. Who may do what is decided in
``tinhso.accounts.permissions``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.accounts.models import AccountKind, ApiToken, AuditLog, Role, RoleAssignment, User
from tinhso.accounts.passwords import check_official_length
from tinhso.accounts.permissions import can_grant_role, can_manage_user
from tinhso.accounts.tokens import generate_token, hash_token
from tinhso.accounts.validators import validate_id_number, validate_tax_code
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.core.text import nfc
from tinhso.units.models import Agency

_PHONE = re.compile(r"^(?:\+84|0)\d{9}$")
_USERNAME = re.compile(r"^[A-Za-z0-9._@+-]{3,150}$")


def audit_log_write(*, actor: User | None, action: str, object_type: str, object_id: Any,
                    data: dict[str, Any] | None = None) -> AuditLog:
    """Append one audit row; call it inside the caller's transaction. Never log secrets."""
    return AuditLog.objects.create(actor=actor, action=action, object_type=object_type,
                                   object_id=str(object_id), data=data or {})


# --------------------------------------------------------------------------------------------
# Input checks shared by the services
# --------------------------------------------------------------------------------------------


def _clean_name(value: str, *, field: str) -> str:
    cleaned = " ".join(nfc(value or "").split())
    if not cleaned or len(cleaned) > 150:
        raise ValidationFailed(
            "INVALID_NAME", "Họ tên / tên không được để trống và tối đa 150 ký tự.",
            "The name must not be empty and has at most 150 characters.", {"field": field},
        )
    return cleaned


def _clean_email(value: str) -> str:
    cleaned = (value or "").strip()
    try:
        validate_email(cleaned)
    except DjangoValidationError as exc:
        raise ValidationFailed("INVALID_EMAIL", "Địa chỉ thư điện tử không hợp lệ.",
                               "The e-mail address is invalid.", {"field": "email"}) from exc
    return cleaned.lower()


def _clean_phone(value: str) -> str:
    cleaned = re.sub(r"[\s.-]", "", value or "")
    if cleaned and not _PHONE.match(cleaned):
        raise ValidationFailed(
            "INVALID_PHONE", "Số điện thoại phải gồm 10 chữ số, bắt đầu bằng 0 hoặc +84.",
            "The phone number must have 10 digits starting with 0 (or +84).",
            {"field": "phone"},
        )
    return cleaned


def _check_password(password: str, user: User) -> None:
    check_official_length(password, user)  # its own code, before Django's generic message
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "WEAK_PASSWORD", "Mật khẩu chưa đủ mạnh.", "The password is too weak.",
            {"field": "password", "problems": [str(m) for m in exc.messages]},
        ) from exc


def _account_exists(what_vi: str, what_en: str, field: str) -> Conflict:
    return Conflict("ACCOUNT_EXISTS", f"Đã có tài khoản với {what_vi} này.",
                    f"An account with this {what_en} already exists.", {"field": field})


def _create_user(user: User, password: str, conflict: Conflict) -> User:
    user.set_password(password)
    try:
        # A savepoint so the unique-username race turns into a clean 409, not a broken
        # transaction.
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise conflict from exc
    return user


# --------------------------------------------------------------------------------------------
# Applicants
# --------------------------------------------------------------------------------------------


@transaction.atomic
def citizen_register(*, full_name: str, id_number: str, password: str, email: str,
                     phone: str = "") -> User:
    """A citizen signs up; the ID number is the user name (one account per person)."""
    id_number = validate_id_number(id_number)
    user = User(username=id_number, kind=AccountKind.CITIZEN,
                full_name=_clean_name(full_name, field="full_name"), id_number=id_number,
                email=_clean_email(email), phone=_clean_phone(phone))
    conflict = _account_exists("số định danh cá nhân", "ID number", "id_number")
    if User.objects.filter(kind=AccountKind.CITIZEN, id_number=id_number).exists():
        raise conflict
    _check_password(password, user)
    _create_user(user, password, conflict)
    audit_log_write(actor=user, action="citizen_register", object_type="user",
                    object_id=user.pk, data={"username": user.username})
    return user


@transaction.atomic
def organisation_register(*, name: str, tax_code: str, password: str, email: str) -> User:
    """An organisation signs up; its tax code is the user name."""
    tax_code = validate_tax_code(tax_code)
    user = User(username=tax_code, kind=AccountKind.ORGANISATION,
                full_name=_clean_name(name, field="name"), tax_code=tax_code,
                email=_clean_email(email))
    conflict = _account_exists("mã số thuế", "tax code", "tax_code")
    if User.objects.filter(kind=AccountKind.ORGANISATION, tax_code=tax_code).exists():
        raise conflict
    _check_password(password, user)
    _create_user(user, password, conflict)
    audit_log_write(actor=user, action="organisation_register", object_type="user",
                    object_id=user.pk, data={"username": user.username})
    return user


# --------------------------------------------------------------------------------------------
# Officials and roles
# --------------------------------------------------------------------------------------------


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationFailed("INVALID_ROLE", f"Vai trò không hợp lệ: {role}.",
                               f"Unknown role: {role}.", {"role": role, "allowed": Role.values})
    return str(role)


@transaction.atomic
def official_create(*, acting_user: User, username: str, full_name: str, agency: Agency,
                    roles: list[str] | tuple[str, ...], password: str, email: str = "") -> User:
    """Create an official of ``agency`` with ``roles``.

    Province admins may create officials anywhere; an agency admin only in their own agency and
    never with a province-wide role.
    """
    role_values = sorted({_check_role(r) for r in roles})
    user = User(username=(username or "").strip(), kind=AccountKind.OFFICIAL,
                full_name=_clean_name(full_name, field="full_name"), agency=agency,
                email=_clean_email(email) if email else "")
    if not can_manage_user(acting_user, user) or not all(
        can_grant_role(acting_user, user, r) for r in role_values
    ):
        raise PermissionDenied({"agency": agency.code, "roles": role_values})
    if not _USERNAME.match(user.username):
        raise ValidationFailed(
            "INVALID_USERNAME",
            "Tên đăng nhập gồm 3–150 ký tự: chữ, số và các dấu “.”, “_”, “@”, “+”, “-”.",
            "The username has 3–150 characters: letters, digits and “.”, “_”, “@”, “+”, “-”.",
            {"field": "username"},
        )
    conflict = Conflict("USERNAME_TAKEN", "Tên đăng nhập đã được dùng.",
                        "This username is already taken.", {"field": "username"})
    if User.objects.filter(username=user.username).exists():
        raise conflict
    _check_password(password, user)
    _create_user(user, password, conflict)
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=r) for r in role_values])
    audit_log_write(actor=acting_user, action="official_create", object_type="user",
                    object_id=user.pk, data={"username": user.username, "agency": agency.code,
                                             "roles": role_values})
    return user


def _require_official(user: User) -> None:
    if user.kind != AccountKind.OFFICIAL:
        raise ValidationFailed("NOT_AN_OFFICIAL", "Chỉ cán bộ, công chức mới có vai trò.",
                               "Only officials hold roles.", {"user": user.pk})


@transaction.atomic
def role_grant(*, acting_user: User, user: User, role: str) -> RoleAssignment:
    """Grant ``role`` (no-op, and no audit row, if the user already holds it)."""
    role = _check_role(role)
    _require_official(user)
    if not can_grant_role(acting_user, user, role):
        raise PermissionDenied({"role": role})
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role)
    if created:
        audit_log_write(actor=acting_user, action="role_grant", object_type="user",
                        object_id=user.pk, data={"role": role})
    user.forget_roles()  # the cached role set is stale now
    return assignment


@transaction.atomic
def role_revoke(*, acting_user: User, user: User, role: str) -> None:
    """Revoke ``role`` (no-op if not held). The last province admin cannot be removed."""
    role = _check_role(role)
    _require_official(user)
    if not can_grant_role(acting_user, user, role):
        raise PermissionDenied({"role": role})
    if role == Role.PROVINCE_ADMIN:
        # Lock the admins' rows so two concurrent revocations cannot both pass the check.
        admins = list(RoleAssignment.objects.select_for_update()
                      .filter(role=Role.PROVINCE_ADMIN, user__is_active=True)
                      .values_list("user_id", flat=True))
        if admins == [user.pk]:
            raise Conflict("LAST_PROVINCE_ADMIN", "Không thể bỏ quyền quản trị tỉnh cuối cùng.",
                           "The last province admin cannot be removed.", {"user": user.pk})
    deleted, _ = RoleAssignment.objects.filter(user=user, role=role).delete()
    if deleted:
        audit_log_write(actor=acting_user, action="role_revoke", object_type="user",
                        object_id=user.pk, data={"role": role})
    user.forget_roles()


# --------------------------------------------------------------------------------------------
# API tokens
# --------------------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, acting_user: User, user: User, name: str,
                     expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Create a bearer token for ``user``; returns the row and the raw secret (shown once).

    Only a province admin, or the agency admin of the user's agency, may create tokens.
    """
    if not can_manage_user(acting_user, user):
        raise PermissionDenied({"user": user.pk})
    name = " ".join(nfc(name or "").split())
    if not name or len(name) > 100:
        raise ValidationFailed(
            "INVALID_NAME", "Tên mã truy cập không được trống, tối đa 100 ký tự.",
            "The token name must not be empty (at most 100 characters).", {"field": "name"},
        )
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise ValidationFailed("INVALID_EXPIRY", "Thời hạn phải có múi giờ.",
                                   "The expiry must include a time zone offset.",
                                   {"field": "expires_at"})
        if expires_at <= timezone.now():
            raise ValidationFailed("INVALID_EXPIRY", "Thời hạn phải ở tương lai.",
                                   "The expiry must be in the future.", {"field": "expires_at"})
    raw = generate_token()
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12],
                                    key_hash=hash_token(raw), created_by=acting_user,
                                    expires_at=expires_at)
    audit_log_write(actor=acting_user, action="api_token_create", object_type="api_token",
                    object_id=token.pk, data={"user": user.pk, "name": name,
                                              "prefix": token.prefix})
    return token, raw


@transaction.atomic
def api_token_revoke(*, acting_user: User, token: ApiToken) -> ApiToken:
    """Revoke a token (idempotent: revoking a revoked token changes nothing)."""
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if not can_manage_user(acting_user, token.user):
        raise PermissionDenied({"token": token.pk})
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_log_write(actor=acting_user, action="api_token_revoke", object_type="api_token",
                        object_id=token.pk, data={"user": token.user_id})
    return token

