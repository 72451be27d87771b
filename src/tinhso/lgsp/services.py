"""Registry writes: members, subsystems, services, access rights, client credentials.

Every write takes keyword-only arguments and an ``acting_user`` (None: the operator's shell),
runs in one transaction and appends a ``RegistryEvent``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.core.errors import Conflict, NotFound, ValidationFailed
from tinhso.core.ratelimit import parse_rate
from tinhso.lgsp import identifiers
from tinhso.lgsp.models import (
    AccessRight,
    ClientCertificate,
    ClientToken,
    Member,
    RegistryEvent,
    Service,
    ServiceType,
    Subsystem,
)
from tinhso.lgsp.permissions import require_operator

TOKEN_PREFIX = "lgsp_"
METHODS = {"*", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# Metaservice codes (PR-MREST): never usable as a service code.
RESERVED_CODES = {"listMethods", "allowedMethods", "getOpenAPI", "listClients"}


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _event(action: str, *, actor: Any, target: str, data: dict[str, Any] | None = None) -> None:
    RegistryEvent.objects.create(
        action=action, actor=actor if getattr(actor, "is_authenticated", False) else None,
        target=target, data=data or {})


def _part(value: str, what: str) -> str:
    value = (value or "").strip()
    if not identifiers.valid_part(value):
        raise ValidationFailed("LGSP_IDENTIFIER_INVALID",
                               f"Mã {what} không hợp lệ (không chứa “/”, “:”, “;”, “%”, “\\” hay "
                               "khoảng trắng).",
                               f"Invalid {what} code (no “/”, “:”, “;”, “%”, “\\” or "
                               "whitespace).",
                               {"field": what, "value": value})
    return value


@transaction.atomic
def member_add(*, acting_user: Any, instance: str, member_class: str, member_code: str,
               name: str, agency: Any = None) -> Member:
    require_operator(acting_user)
    fields = {"instance": _part(instance, "instance"),
              "member_class": _part(member_class, "member_class"),
              "member_code": _part(member_code, "member_code")}
    if not name.strip():
        raise ValidationFailed("LGSP_NAME_REQUIRED", "Cần nhập tên thành viên.",
                               "A member name is required.")
    if Member.objects.filter(**fields).exists():
        raise Conflict("LGSP_MEMBER_EXISTS", "Thành viên đã tồn tại.", "The member exists.",
                       fields)
    member = Member.objects.create(**fields, name=name.strip(), agency=agency)
    _event("member_add", actor=acting_user, target=member.identifier)
    return member


def member_get(identifier: str) -> Member:
    parts = identifier.strip().split("/")
    member: Member | None = None
    if len(parts) == 3:
        member = Member.objects.filter(instance=parts[0], member_class=parts[1],
                                       member_code=parts[2]).first()
    if member is None:
        raise NotFound("Không tìm thấy thành viên LGSP.", "No such LGSP member.",
                       {"member": identifier}, code="LGSP_MEMBER_NOT_FOUND")
    return member


def subsystem_get(identifier: str) -> Subsystem:
    cid = identifiers.parse_client(identifier)
    found: Subsystem | None = None
    if cid is not None:
        found = (Subsystem.objects.select_related("member")
                 .filter(member__instance=cid.instance, member__member_class=cid.member_class,
                         member__member_code=cid.member_code, code=cid.subsystem_code).first())
    if found is None:
        raise NotFound("Không tìm thấy hệ thống thành viên.", "No such subsystem.",
                       {"subsystem": identifier}, code="LGSP_SUBSYSTEM_NOT_FOUND")
    return found


def service_get(identifier: str) -> Service:
    sid = identifiers.parse_service(identifier)
    found: Service | None = None
    if sid is not None:
        found = (Service.objects.select_related("subsystem__member")
                 .filter(subsystem__member__instance=sid.client.instance,
                         subsystem__member__member_class=sid.client.member_class,
                         subsystem__member__member_code=sid.client.member_code,
                         subsystem__code=sid.client.subsystem_code,
                         code=sid.service_code).first())
    if found is None:
        raise NotFound("Không tìm thấy dịch vụ.", "No such service.", {"service": identifier},
                       code="LGSP_SERVICE_NOT_FOUND")
    return found


@transaction.atomic
def subsystem_add(*, acting_user: Any, member: Member, code: str, name: str = "",
                  rate_limit: str = "") -> Subsystem:
    require_operator(acting_user)
    code = _part(code, "subsystem")
    if rate_limit:
        try:
            parse_rate(rate_limit)
        except ValueError:
            raise ValidationFailed("LGSP_RATE_INVALID", "Giới hạn tần suất không hợp lệ.",
                                   "Invalid rate, like '600/m' or 'off'.") from None
    try:
        with transaction.atomic():
            subsystem = Subsystem.objects.create(member=member, code=code, name=name.strip(),
                                                 rate_limit=rate_limit)
    except IntegrityError:
        raise Conflict("LGSP_SUBSYSTEM_EXISTS", "Hệ thống đã tồn tại.",
                       "The subsystem exists.") from None
    _event("subsystem_add", actor=acting_user, target=subsystem.identifier)
    return subsystem


def _check_url(url: str) -> str:
    url = url.strip()
    if not (url.startswith("http://") or url.startswith("https://")) or len(url) > 500:
        raise ValidationFailed("LGSP_URL_INVALID", "Địa chỉ dịch vụ phải là http(s)://…",
                               "The service URL must be http(s)://…", {"url": url})
    return url.rstrip("/")


def encrypt_secret(value: str) -> bytes:
    from cryptography.fernet import Fernet

    from tinhso.lgsp import conf

    return Fernet(conf.body_key()).encrypt(value.encode()) if value else b""


def decrypt_secret(value: bytes) -> str:
    from cryptography.fernet import Fernet

    from tinhso.lgsp import conf

    return Fernet(conf.body_key()).decrypt(bytes(value)).decode() if value else ""


@transaction.atomic
def service_add(*, acting_user: Any, subsystem: Subsystem, code: str, url: str,
                openapi: str = "", timeout_seconds: int = 30,
                provider_authorization: str = "") -> Service:
    require_operator(acting_user)
    code = _part(code, "service")
    if code in RESERVED_CODES:
        raise ValidationFailed("LGSP_SERVICE_CODE_RESERVED",
                               "Mã dịch vụ trùng tên dịch vụ siêu dữ liệu.",
                               "The code is a metaservice name.", {"code": code})
    if not 1 <= timeout_seconds <= 600:
        raise ValidationFailed("LGSP_TIMEOUT_INVALID", "Thời gian chờ từ 1 đến 600 giây.",
                               "The timeout must be 1 to 600 seconds.")
    try:
        with transaction.atomic():
            service = Service.objects.create(
                subsystem=subsystem, code=code, url=_check_url(url), openapi=openapi,
                service_type=ServiceType.OPENAPI if openapi.strip() else ServiceType.REST,
                timeout_seconds=timeout_seconds,
                provider_authorization_enc=encrypt_secret(provider_authorization))
    except IntegrityError:
        raise Conflict("LGSP_SERVICE_EXISTS", "Dịch vụ đã tồn tại.",
                       "The service exists.") from None
    _event("service_add", actor=acting_user, target=service.identifier, data={"url": service.url})
    return service


@transaction.atomic
def service_update(*, acting_user: Any, service: Service, url: str | None = None,
                   openapi: str | None = None, enabled: bool | None = None,
                   timeout_seconds: int | None = None,
                   provider_authorization: str | None = None) -> Service:
    require_operator(acting_user)
    locked: Service = Service.objects.select_for_update().get(pk=service.pk)
    if url is not None:
        locked.url = _check_url(url)
    if openapi is not None:
        locked.openapi = openapi
        locked.service_type = ServiceType.OPENAPI if openapi.strip() else ServiceType.REST
    if enabled is not None:
        locked.is_enabled = enabled
    if provider_authorization is not None:
        locked.provider_authorization_enc = encrypt_secret(provider_authorization)
    if timeout_seconds is not None:
        if not 1 <= timeout_seconds <= 600:
            raise ValidationFailed("LGSP_TIMEOUT_INVALID", "Thời gian chờ từ 1 đến 600 giây.",
                                   "The timeout must be 1 to 600 seconds.")
        locked.timeout_seconds = timeout_seconds
    locked.save()
    _event("service_update", actor=acting_user, target=locked.identifier,
           data={"url": locked.url, "enabled": locked.is_enabled})
    return locked


def _check_right(method: str, path: str) -> tuple[str, str]:
    method = (method or "*").strip().upper()
    path = (path or "**").strip()
    if method not in METHODS:
        raise ValidationFailed("LGSP_METHOD_INVALID", "Phương thức HTTP không hợp lệ.",
                               "Invalid HTTP method.", {"allowed": sorted(METHODS)})
    if path != "**" and not path.startswith("/"):
        raise ValidationFailed("LGSP_PATH_INVALID", "Đường dẫn phải bắt đầu bằng / hoặc là **.",
                               "The path must start with / or be **.")
    return method, path


@transaction.atomic
def access_grant(*, acting_user: Any, client: Subsystem, service: Service, method: str = "*",
                 path: str = "**") -> AccessRight:
    require_operator(acting_user)
    method, path = _check_right(method, path)
    right, created = AccessRight.objects.get_or_create(client=client, service=service,
                                                       method=method, path=path)
    if created:
        _event("access_grant", actor=acting_user, target=service.identifier,
               data={"client": client.identifier, "method": method, "path": path})
    return right


@transaction.atomic
def access_revoke(*, acting_user: Any, client: Subsystem, service: Service,
                  method: str | None = None, path: str | None = None) -> int:
    """Remove rights (all of the pair's when method and path are omitted)."""
    require_operator(acting_user)
    rights = AccessRight.objects.filter(client=client, service=service)
    if method is not None or path is not None:
        method, path = _check_right(method or "*", path or "**")
        rights = rights.filter(method=method, path=path)
    count, _ = rights.delete()
    _event("access_revoke", actor=acting_user, target=service.identifier,
           data={"client": client.identifier, "method": method, "path": path, "count": count})
    return count


@dataclass(frozen=True)
class IssuedToken:
    token: ClientToken
    raw: str


@transaction.atomic
def token_issue(*, acting_user: Any, subsystem: Subsystem,
                days: int | None = None) -> IssuedToken:
    """A bearer token for a client subsystem; the raw value is returned once, never stored."""
    require_operator(acting_user)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ClientToken.objects.create(
        subsystem=subsystem, key_hash=hash_token(raw), prefix=raw[:12],
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None)
    _event("token_issue", actor=acting_user, target=subsystem.identifier,
           data={"prefix": token.prefix})
    return IssuedToken(token=token, raw=raw)


@transaction.atomic
def token_revoke(*, acting_user: Any, token: ClientToken) -> ClientToken:
    require_operator(acting_user)
    locked: ClientToken = ClientToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        _event("token_revoke", actor=acting_user, target=locked.subsystem.identifier,
               data={"prefix": locked.prefix})
    return locked


@dataclass(frozen=True)
class IssuedClientCertificate:
    binding: ClientCertificate
    certificate_pem: str
    key_pem: str


@transaction.atomic
def certificate_issue(*, acting_user: Any, subsystem: Subsystem,
                      days: int = 730) -> IssuedClientCertificate:
    """A TLS client certificate from the province's issuing CA, bound to the subsystem.

    Stored as a ``signatures`` certificate (so revoking it there puts it on the CRL the gateway
    checks); the private key is returned once as PEM for the client system.
    """
    require_operator(acting_user)
    from cryptography.hazmat.primitives import serialization

    from tinhso.signatures import keystore, pki
    from tinhso.signatures import services as sig
    from tinhso.signatures.models import CertificateKind, KeyStorage

    ca = sig.active_issuing_ca()
    certificate = sig._issue_certificate(
        acting_user=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        ca=ca, kind=CertificateKind.ORGANISATION,
        subject=pki.SubjectInfo(common_name=subsystem.identifier,
                                organisation=subsystem.member.name),
        algorithm=pki.EC_P256, key_storage=KeyStorage.SOFTWARE, days=days,
    )
    binding = ClientCertificate.objects.create(subsystem=subsystem, certificate=certificate)
    key = keystore.load_private_key(certificate.fingerprint, certificate.key_pem)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    _event("certificate_issue", actor=acting_user, target=subsystem.identifier,
           data={"serial": certificate.serial})
    return IssuedClientCertificate(binding=binding, certificate_pem=certificate.certificate_pem,
                                   key_pem=key_pem)
