"""Writes of the PKI: CA set-up, the certificate lifecycle, CRLs and trust anchors.

Each service checks who acts, runs in one transaction and writes a ``CertificateEvent`` there.
A change of revocation status republishes the issuing CA's CRL in the same transaction, so the
CRL served at /chu-ky-so/crl/<ca>.crl is never behind the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from django.db import transaction
from django.utils import timezone

from tinhso.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from tinhso.core.text import nfc
from tinhso.signatures import conf, keystore, pki
from tinhso.signatures.models import (
    CAKind,
    Certificate,
    CertificateAction,
    CertificateAuthority,
    CertificateEvent,
    CertificateKind,
    CertificateRequest,
    CertificateStatus,
    KeyStorage,
    RequestStatus,
    RevocationReason,
    TrustAnchor,
)
from tinhso.signatures.permissions import can_request_for, require_ca_operator

ROOT_DAYS = 20 * 365
ISSUING_DAYS = 10 * 365
TSA_DAYS = 5 * 365


def crl_url(ca_name: str) -> str:
    return f"{conf.public_url()}/chu-ky-so/crl/{ca_name}.crl"


def ocsp_url() -> str:
    return f"{conf.public_url()}/chu-ky-so/ocsp"


def ca_cert_url(ca_name: str) -> str:
    return f"{conf.public_url()}/chu-ky-so/ca/{ca_name}.crt"


def _event(action: str, *, actor: Any, certificate: Certificate | None = None,
           ca: CertificateAuthority | None = None, request: CertificateRequest | None = None,
           anchor: TrustAnchor | None = None, from_status: str = "", to_status: str = "",
           reason: str = "", data: dict[str, Any] | None = None) -> CertificateEvent:
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return CertificateEvent.objects.create(
        action=action, actor=actor_obj, certificate=certificate, ca=ca, request=request,
        anchor=anchor, from_status=from_status, to_status=to_status, reason=reason[:200],
        data=data or {},
    )


def _province_organisation() -> str:
    from django.conf import settings

    from tinhso.units.models import AdminUnit, Level

    unit = AdminUnit.objects.filter(code=getattr(settings, "TINHSO_PROVINCE_CODE", ""),
                                    level=Level.PROVINCE).first()
    return f"Ủy ban nhân dân tỉnh {unit.name}" if unit else "Ủy ban nhân dân tỉnh"


# --- CA hierarchy -------------------------------------------------------------------------


def root_ca() -> CertificateAuthority | None:
    return CertificateAuthority.objects.filter(kind=CAKind.ROOT, is_active=True).first()


def active_issuing_ca() -> CertificateAuthority:
    ca = CertificateAuthority.objects.filter(kind=CAKind.ISSUING, is_active=True).first()
    if ca is None:
        raise DomainError("PKI_NOT_INITIALISED",
                          "Hạ tầng khóa công khai chưa được khởi tạo (tinhso pki init).",
                          "The PKI is not initialised (run `tinhso pki init`).", status=409)
    return ca


def ca_key(ca: CertificateAuthority) -> pki.PrivateKey:
    return keystore.load_private_key(ca.fingerprint, ca.key_pem)


def ca_cert(ca: CertificateAuthority) -> x509.Certificate:
    return pki.load_cert(ca.certificate_pem)


def _save_ca(*, kind: str, name: str, cert: x509.Certificate, key: pki.PrivateKey,
             algorithm: str, parent: CertificateAuthority | None) -> CertificateAuthority:
    return CertificateAuthority.objects.create(
        kind=kind, name=name, subject=cert.subject.rfc4514_string(), parent=parent,
        key_algorithm=algorithm, certificate_pem=pki.cert_pem(cert),
        key_pem=pki.encrypt_key(key, conf.pki_passphrase()),
        serial=pki.serial_hex(cert.serial_number), fingerprint=pki.fingerprint(cert),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
    )


@dataclass(frozen=True)
class PkiInitResult:
    root: CertificateAuthority
    issuing: CertificateAuthority
    tsa: Certificate


@transaction.atomic
def pki_init(*, acting_user: Any = None, algorithm: str = pki.EC_P256,
             organisation: str | None = None) -> PkiInitResult:
    """Create the provincial root CA, the issuing CA and the TSA certificate (once).

    ``acting_user`` None means the operator's shell (``tinhso pki init``).
    """
    if acting_user is not None:
        require_ca_operator(acting_user)
    if algorithm not in pki.ALGORITHMS:
        raise ValidationFailed("KEY_ALGORITHM_INVALID", "Thuật toán khóa không hợp lệ.",
                               "Unknown key algorithm.", {"allowed": list(pki.ALGORITHMS)})
    if CertificateAuthority.objects.select_for_update().filter(kind=CAKind.ROOT).exists():
        raise Conflict("PKI_ALREADY_INITIALISED", "Hạ tầng khóa công khai đã được khởi tạo.",
                       "The PKI is already initialised.")
    org = nfc(organisation or _province_organisation())
    root_key = pki.generate_key(algorithm)
    root_cert = pki.build_ca_certificate(
        subject=pki.SubjectInfo(common_name="tinhso Root CA", organisation=org).to_name(),
        key=root_key, issuer_cert=None, issuer_key=None, days=ROOT_DAYS, path_length=1,
    )
    root = _save_ca(kind=CAKind.ROOT, name="root", cert=root_cert, key=root_key,
                    algorithm=algorithm, parent=None)
    issuing_key = pki.generate_key(algorithm)
    issuing_cert = pki.build_ca_certificate(
        subject=pki.SubjectInfo(common_name="tinhso Issuing CA", organisation=org).to_name(),
        key=issuing_key, issuer_cert=root_cert, issuer_key=root_key, days=ISSUING_DAYS,
        path_length=0, crl_url=crl_url("root"),
    )
    issuing = _save_ca(kind=CAKind.ISSUING, name="issuing", cert=issuing_cert, key=issuing_key,
                       algorithm=algorithm, parent=root)
    for ca in (root, issuing):
        _event(CertificateAction.CA_INIT, actor=acting_user, ca=ca,
               data={"subject": ca.subject, "algorithm": algorithm, "fingerprint": ca.fingerprint})
    tsa = _issue_certificate(
        acting_user=acting_user, ca=issuing, kind=CertificateKind.SERVICE,
        subject=pki.SubjectInfo(common_name="tinhso Time-Stamp Authority", organisation=org),
        algorithm=algorithm, key_storage=KeyStorage.SOFTWARE, days=TSA_DAYS, purpose="tsa",
    )
    crl_publish(ca=root)
    crl_publish(ca=issuing)
    return PkiInitResult(root=root, issuing=issuing, tsa=tsa)


def pki_is_initialised() -> bool:
    return CertificateAuthority.objects.filter(kind=CAKind.ISSUING, is_active=True).exists()


# --- Holder certificates ------------------------------------------------------------------


def _issue_certificate(
    *, acting_user: Any, ca: CertificateAuthority, kind: str, subject: pki.SubjectInfo,
    algorithm: str, key_storage: str, days: int, purpose: str = "signing",
    holder_user: Any = None, holder_agency: Any = None, csr_pem: str = "",
    key_ref: dict[str, Any] | None = None, renewed_from: Certificate | None = None,
    not_before: dt.datetime | None = None,
) -> Certificate:
    """Make the key (where the platform makes it), build and store the certificate."""
    key_ref = dict(key_ref or {})
    key_pem = ""
    private_key: pki.PrivateKey | None = None
    if key_storage == KeyStorage.SOFTWARE:
        private_key = pki.generate_key(algorithm)
        public_key = private_key.public_key()
        key_pem = pki.encrypt_key(private_key, conf.pki_passphrase())
    elif key_storage == KeyStorage.PKCS11:
        from tinhso.signatures import hsm

        if not key_ref.get("id"):
            label = key_ref.get("label") or f"tinhso-{timezone.now():%Y%m%d%H%M%S%f}"
            public_key, key_ref = hsm.generate_keypair(label, algorithm)
        else:
            raise ValidationFailed("PKCS11_KEY_REUSE", "Khóa trên thiết bị đã được dùng.",
                                   "Certify only keys generated for this request.")
    elif key_storage == KeyStorage.REMOTE:
        from tinhso.signatures import remote

        backend = remote.backend(str(key_ref.get("backend", "")))
        if csr_pem:
            # The service that holds the key sent a CSR: signed by that very key, it proves
            # possession (how a CSC provider enrols a new credential with a CA).
            public_key = _load_csr(csr_pem).public_key()  # type: ignore[assignment]
        else:
            public_key = backend.public_key(str(key_ref.get("key_id", "")))
    else:  # EXTERNAL: the holder keeps the key and sent a CSR
        public_key = _load_csr(csr_pem).public_key()  # type: ignore[assignment]
    start = not_before or (timezone.now() - dt.timedelta(minutes=5))
    cert = pki.build_end_entity_certificate(
        issuer_cert=ca_cert(ca), issuer_key=ca_key(ca), public_key=public_key,
        subject=subject.to_name(), purpose=purpose, not_before=start,
        not_after=start + dt.timedelta(days=days), crl_url=crl_url(ca.name),
        ocsp_url=ocsp_url(), ca_issuers_url=ca_cert_url(ca.name),
    )
    certificate = Certificate.objects.create(
        ca=ca, kind=kind, serial=pki.serial_hex(cert.serial_number),
        subject=cert.subject.rfc4514_string(), common_name=subject.common_name,
        holder_user=holder_user, holder_agency=holder_agency,
        key_algorithm=pki.key_algorithm_of(public_key), key_storage=key_storage,
        key_pem=key_pem, key_ref=key_ref, certificate_pem=pki.cert_pem(cert),
        fingerprint=pki.fingerprint(cert), not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc, renewed_from=renewed_from,
        issued_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    _event(CertificateAction.RENEW if renewed_from else CertificateAction.ISSUE,
           actor=acting_user, certificate=certificate, ca=ca,
           to_status=CertificateStatus.ACTIVE,
           data={"serial": certificate.serial, "kind": kind, "key_storage": key_storage,
                 "auto": acting_user is None,
                 **({"renewed_from": renewed_from.serial} if renewed_from else {})})
    _publish_certificate("certificate.issued", certificate, actor=acting_user,
                         renewed_from=renewed_from.serial if renewed_from else None,
                         not_after=certificate.not_after.isoformat())
    return certificate


def _publish_certificate(type_: str, certificate: Certificate, *, actor: Any,
                         **extra: Any) -> None:
    from tinhso.outbox.services import event_publish

    event_publish(
        type=type_, aggregate_type="certificate", aggregate_id=certificate.pk,
        agency_id=certificate.holder_agency_id, actor_id=getattr(actor, "pk", None),
        payload={"certificate_id": certificate.pk, "serial": certificate.serial,
                 "kind": certificate.kind, "ca": certificate.ca.name,
                 "holder_user_id": certificate.holder_user_id,
                 "holder_agency_id": certificate.holder_agency_id,
                 "at": timezone.now().isoformat(), **extra})


def _load_csr(csr_pem: str) -> x509.CertificateSigningRequest:
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ValidationFailed("CSR_INVALID", "Yêu cầu ký chứng thư (CSR) không hợp lệ.",
                               "The certificate signing request is not valid PEM.") from None
    if not csr.is_signature_valid:
        raise ValidationFailed("CSR_SIGNATURE_INVALID", "Chữ ký trên CSR không hợp lệ.",
                               "The CSR's self-signature does not verify.")
    return csr


def _subject_for(kind: str, *, common_name: str, holder_user: Any, holder_agency: Any
                 ) -> pki.SubjectInfo:
    agency = holder_agency or getattr(holder_user, "agency", None)
    return pki.SubjectInfo(
        common_name=common_name,
        organisation=agency.name if agency else "",
        uid=getattr(holder_user, "id_number", "") or (holder_agency.code if holder_agency else ""),
        email=getattr(holder_user, "email", "") or "",
    )


@transaction.atomic
def certificate_request(
    *, acting_user: Any, kind: str, holder_user: Any = None, holder_agency: Any = None,
    common_name: str = "", key_algorithm: str = pki.EC_P256,
    key_storage: str = KeyStorage.SOFTWARE, csr_pem: str = "",
    key_ref: dict[str, Any] | None = None, validity_days: int = 730, note: str = "",
) -> CertificateRequest:
    if kind not in {CertificateKind.PERSONAL, CertificateKind.ORGANISATION, CertificateKind.SIM}:
        raise ValidationFailed("CERTIFICATE_KIND_INVALID", "Loại chứng thư không hợp lệ.",
                               "Unknown certificate kind.", {"kind": kind})
    if kind == CertificateKind.ORGANISATION:
        if holder_agency is None or holder_user is not None:
            raise ValidationFailed("HOLDER_INVALID", "Chứng thư tổ chức phải thuộc một cơ quan.",
                                   "An organisation certificate belongs to an agency.")
    elif holder_user is None or holder_agency is not None:
        raise ValidationFailed("HOLDER_INVALID", "Chứng thư cá nhân phải thuộc một người.",
                               "A personal or SIM certificate belongs to a person.")
    if kind == CertificateKind.SIM and key_storage != KeyStorage.REMOTE:
        raise ValidationFailed("KEY_STORAGE_INVALID",
                               "Chứng thư SIM dùng khóa trên SIM (ký số từ xa).",
                               "A SIM certificate's key is held remotely (on the SIM).")
    if key_storage not in KeyStorage.values or key_algorithm not in pki.ALGORITHMS:
        raise ValidationFailed("KEY_STORAGE_INVALID", "Nơi giữ khóa hoặc thuật toán không hợp lệ.",
                               "Unknown key storage or algorithm.")
    if key_storage == KeyStorage.EXTERNAL and not csr_pem:
        raise ValidationFailed("CSR_REQUIRED", "Cần gửi CSR khi tự giữ khóa.",
                               "A CSR is required when the holder keeps the key.")
    if csr_pem:
        _load_csr(csr_pem)
    if not 1 <= validity_days <= 5 * 365:
        raise ValidationFailed("VALIDITY_INVALID", "Thời hạn chứng thư không hợp lệ.",
                               "Validity must be between 1 day and 5 years.")
    if not can_request_for(acting_user, holder_user=holder_user, holder_agency=holder_agency):
        from tinhso.core.errors import PermissionDenied

        raise PermissionDenied({"reason": "not_holder"})
    name = nfc(common_name or (holder_agency.name if holder_agency else
                               (holder_user.full_name or holder_user.username)))
    req = CertificateRequest.objects.create(
        kind=kind, holder_user=holder_user, holder_agency=holder_agency, common_name=name,
        key_algorithm=key_algorithm, key_storage=key_storage, csr_pem=csr_pem,
        key_ref=key_ref or {}, validity_days=validity_days, note=nfc(note),
        requested_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    _event(CertificateAction.REQUEST, actor=acting_user, request=req,
           to_status=RequestStatus.PENDING, data={"kind": kind, "key_storage": key_storage})
    return req


@dataclass(frozen=True)
class IssuedCertificate:
    certificate: Certificate
    # A PKCS#12 bundle for the holder (software keys only, when a passphrase was given).
    pkcs12: bytes | None = None


@transaction.atomic
def certificate_issue(*, acting_user: Any, request: CertificateRequest,
                      pkcs12_passphrase: str | None = None,
                      not_before: dt.datetime | None = None) -> IssuedCertificate:
    require_ca_operator(acting_user)
    req = CertificateRequest.objects.select_for_update().get(pk=request.pk)
    if req.status != RequestStatus.PENDING:
        raise Conflict("REQUEST_NOT_PENDING", "Yêu cầu này đã được xử lý.",
                       "This request has already been decided.", {"status": req.status})
    ca = active_issuing_ca()
    certificate = _issue_certificate(
        acting_user=acting_user, ca=ca, kind=req.kind,
        subject=_subject_for(req.kind, common_name=req.common_name,
                             holder_user=req.holder_user, holder_agency=req.holder_agency),
        algorithm=req.key_algorithm, key_storage=req.key_storage, days=req.validity_days,
        holder_user=req.holder_user, holder_agency=req.holder_agency, csr_pem=req.csr_pem,
        key_ref=req.key_ref, not_before=not_before,
    )
    req.status = RequestStatus.ISSUED
    req.certificate = certificate
    req.save(update_fields=["status", "certificate"])
    bundle = _pkcs12(certificate, pkcs12_passphrase) if pkcs12_passphrase else None
    return IssuedCertificate(certificate=certificate, pkcs12=bundle)


@transaction.atomic
def certificate_request_reject(*, acting_user: Any, request: CertificateRequest,
                               reason: str) -> CertificateRequest:
    require_ca_operator(acting_user)
    req = CertificateRequest.objects.select_for_update().get(pk=request.pk)
    if req.status != RequestStatus.PENDING:
        raise Conflict("REQUEST_NOT_PENDING", "Yêu cầu này đã được xử lý.",
                       "This request has already been decided.", {"status": req.status})
    req.status = RequestStatus.REJECTED
    req.save(update_fields=["status"])
    _event(CertificateAction.REJECT, actor=acting_user, request=req,
           from_status=RequestStatus.PENDING, to_status=RequestStatus.REJECTED, reason=reason)
    return req


def _pkcs12(certificate: Certificate, passphrase: str) -> bytes:
    if certificate.key_storage != KeyStorage.SOFTWARE:
        raise Conflict("KEY_NOT_EXPORTABLE", "Khóa này không xuất được (nằm trên thiết bị).",
                       "This key cannot be exported (it is held on a device or remotely).")
    if len(passphrase) < 8:
        raise ValidationFailed("PASSPHRASE_TOO_SHORT", "Mật khẩu PKCS#12 cần ít nhất 8 ký tự.",
                               "The PKCS#12 passphrase needs at least 8 characters.")
    key = keystore.load_private_key(certificate.fingerprint, certificate.key_pem)
    chain = [ca_cert(certificate.ca)]
    if certificate.ca.parent:
        chain.append(ca_cert(certificate.ca.parent))
    return pki.pkcs12_bundle(name=certificate.common_name, key=key,
                             cert=pki.load_cert(certificate.certificate_pem), chain=chain,
                             passphrase=passphrase)


@transaction.atomic
def certificate_export_pkcs12(*, acting_user: Any, certificate: Certificate,
                              passphrase: str) -> bytes:
    """The holder (or a CA operator) downloads the software key as PKCS#12."""
    from tinhso.signatures.permissions import can_operate_ca

    if not (can_operate_ca(acting_user) or (certificate.holder_user_id is not None
                                           and certificate.holder_user_id == acting_user.pk)):
        from tinhso.core.errors import PermissionDenied

        raise PermissionDenied({"reason": "not_holder"})
    bundle = _pkcs12(certificate, passphrase)
    _event(CertificateAction.EXPORT_PKCS12, actor=acting_user, certificate=certificate)
    return bundle


def _locked(certificate: Certificate) -> Certificate:
    try:
        return Certificate.objects.select_for_update(of=("self",)).select_related("ca").get(
            pk=certificate.pk)
    except Certificate.DoesNotExist:
        raise NotFound("Không tìm thấy chứng thư", "Certificate not found") from None


def _transition(certificate: Certificate, *, allowed_from: set[str], to: str) -> None:
    if certificate.status not in allowed_from:
        raise Conflict("CERTIFICATE_STATE_INVALID",
                       "Trạng thái chứng thư không cho phép thao tác này.",
                       "The certificate's status does not allow this action.",
                       {"status": certificate.status, "target": to})


@transaction.atomic
def certificate_suspend(*, acting_user: Any, certificate: Certificate,
                        reason: str = "") -> Certificate:
    require_ca_operator(acting_user)
    cert = _locked(certificate)
    _transition(cert, allowed_from={CertificateStatus.ACTIVE}, to=CertificateStatus.SUSPENDED)
    cert.status = CertificateStatus.SUSPENDED
    cert.suspended_at = timezone.now()
    cert.save(update_fields=["status", "suspended_at"])
    _event(CertificateAction.SUSPEND, actor=acting_user, certificate=cert, ca=cert.ca,
           from_status=CertificateStatus.ACTIVE, to_status=cert.status, reason=nfc(reason))
    crl_publish(ca=cert.ca)
    return cert


@transaction.atomic
def certificate_reinstate(*, acting_user: Any, certificate: Certificate) -> Certificate:
    require_ca_operator(acting_user)
    cert = _locked(certificate)
    _transition(cert, allowed_from={CertificateStatus.SUSPENDED}, to=CertificateStatus.ACTIVE)
    cert.status = CertificateStatus.ACTIVE
    cert.suspended_at = None
    cert.save(update_fields=["status", "suspended_at"])
    _event(CertificateAction.REINSTATE, actor=acting_user, certificate=cert, ca=cert.ca,
           from_status=CertificateStatus.SUSPENDED, to_status=cert.status)
    crl_publish(ca=cert.ca)
    return cert


@transaction.atomic
def certificate_revoke(*, acting_user: Any, certificate: Certificate, reason: str,
                       note: str = "") -> Certificate:
    require_ca_operator(acting_user)
    if reason not in RevocationReason.values:
        raise ValidationFailed("REVOCATION_REASON_INVALID", "Lý do thu hồi không hợp lệ.",
                               "Unknown revocation reason.",
                               {"allowed": list(RevocationReason.values)})
    cert = _locked(certificate)
    _transition(cert, allowed_from={CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED},
                to=CertificateStatus.REVOKED)
    previous = cert.status
    cert.status = CertificateStatus.REVOKED
    cert.revoked_at = timezone.now()
    cert.revocation_reason = reason
    cert.save(update_fields=["status", "revoked_at", "revocation_reason"])
    _event(CertificateAction.REVOKE, actor=acting_user, certificate=cert, ca=cert.ca,
           from_status=previous, to_status=cert.status, reason=nfc(note or reason),
           data={"reason_code": reason})
    _publish_certificate("certificate.revoked", cert, actor=acting_user, reason=reason)
    crl_publish(ca=cert.ca)
    # A revoked key must not sign again from a warm cache in this process.
    keystore.forget(cert.fingerprint)
    transaction.on_commit(lambda: _forget_signer(cert.pk))
    return cert


def _forget_signer(certificate_id: int) -> None:
    from tinhso.signatures import signing

    signing.forget_signer(certificate_id)


@transaction.atomic
def certificate_renew(*, acting_user: Any, certificate: Certificate,
                      validity_days: int | None = None,
                      pkcs12_passphrase: str | None = None) -> IssuedCertificate:
    """A new certificate (and, for software keys, a new key) replacing the old one.

    The old certificate is revoked as ``superseded`` so there is one valid certificate per
    holder and purpose. Keys on a token or behind a remote signer are re-certified.
    """
    require_ca_operator(acting_user)
    old = _locked(certificate)
    if old.status != CertificateStatus.ACTIVE or old.kind == CertificateKind.SERVICE:
        raise Conflict("CERTIFICATE_STATE_INVALID", "Chỉ gia hạn được chứng thư đang hoạt động.",
                       "Only an active holder certificate can be renewed.",
                       {"status": old.status})
    days = validity_days or max(1, (old.not_after - old.not_before).days)
    key_ref = dict(old.key_ref)
    if old.key_storage == KeyStorage.PKCS11:
        key_ref = {"label": key_ref.get("label", "")}  # a fresh key on the token
    if old.key_storage == KeyStorage.EXTERNAL:
        raise Conflict("RENEW_NEEDS_CSR", "Chứng thư tự giữ khóa cần yêu cầu (CSR) mới.",
                       "A holder-kept key needs a new request with a CSR.")
    new = _issue_certificate(
        acting_user=acting_user, ca=active_issuing_ca(), kind=old.kind,
        subject=_subject_for(old.kind, common_name=old.common_name, holder_user=old.holder_user,
                             holder_agency=old.holder_agency),
        algorithm=old.key_algorithm if old.key_algorithm in pki.ALGORITHMS else pki.EC_P256,
        key_storage=old.key_storage, days=days, holder_user=old.holder_user,
        holder_agency=old.holder_agency, key_ref=key_ref, renewed_from=old,
    )
    certificate_revoke(acting_user=acting_user, certificate=old,
                       reason=RevocationReason.SUPERSEDED, note=f"Gia hạn: {new.serial}")
    bundle = _pkcs12(new, pkcs12_passphrase) if pkcs12_passphrase else None
    return IssuedCertificate(certificate=new, pkcs12=bundle)


# --- CRL ------------------------------------------------------------------------------------

_REASONS: dict[str, x509.ReasonFlags] = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    RevocationReason.PRIVILEGE_WITHDRAWN: x509.ReasonFlags.privilege_withdrawn,
}


def reason_flag(cert: Certificate) -> x509.ReasonFlags | None:
    if cert.status == CertificateStatus.SUSPENDED:
        return x509.ReasonFlags.certificate_hold
    return _REASONS.get(cert.revocation_reason)


def revoked_entries(ca: CertificateAuthority) -> list[pki.RevokedEntry]:
    entries = []
    revoked = Certificate.objects.filter(
        ca=ca, status__in=[CertificateStatus.REVOKED, CertificateStatus.SUSPENDED])
    for cert in revoked.only("serial", "status", "revoked_at", "suspended_at",
                             "revocation_reason"):
        at = cert.revoked_at or cert.suspended_at or timezone.now()
        entries.append(pki.RevokedEntry(int(cert.serial, 16), at, reason_flag(cert)))
    return entries


@transaction.atomic
def crl_publish(*, ca: CertificateAuthority, acting_user: Any = None) -> bytes:
    """Sign a new full CRL for ``ca`` with the next CRL number and store it."""
    locked = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
    now = timezone.now().replace(microsecond=0)
    # Backdated a little: a verifier whose clock lags must still accept a fresh CRL.
    this_update = now - dt.timedelta(minutes=1)
    next_update = now + dt.timedelta(hours=conf.crl_validity_hours())
    number = locked.crl_number + 1
    crl = pki.build_crl(issuer_cert=ca_cert(locked), issuer_key=ca_key(locked),
                        revoked=revoked_entries(locked), number=number,
                        this_update=this_update, next_update=next_update)
    from cryptography.hazmat.primitives.serialization import Encoding

    der = crl.public_bytes(Encoding.DER)
    locked.crl_number = number
    locked.crl_der = der
    locked.crl_this_update = this_update
    locked.crl_next_update = next_update
    locked.save(update_fields=["crl_number", "crl_der", "crl_this_update", "crl_next_update"])
    _event(CertificateAction.CRL_PUBLISH, actor=acting_user, ca=locked,
           data={"number": number, "revoked": len(crl)})
    ca.crl_der, ca.crl_number = der, number
    ca.crl_this_update, ca.crl_next_update = this_update, next_update
    return der


def crl_current(ca: CertificateAuthority) -> bytes:
    """The latest CRL, republished first when it is within an hour of its next update."""
    if ca.crl_der is None or ca.crl_next_update is None or (
        ca.crl_next_update - timezone.now() < dt.timedelta(hours=1)
    ):
        return crl_publish(ca=ca)
    return bytes(ca.crl_der)


def crl_refresh_due(*, margin: dt.timedelta = dt.timedelta(hours=2)) -> list[str]:
    """Republish every CA's CRL that expires within ``margin`` (the hourly periodic job, so a
    CRL nobody asked for does not lapse). Idempotent: the due check is repeated under the CA's
    row lock, so two job consumers running it at once publish one CRL, not two."""
    published = []
    for ca_id in CertificateAuthority.objects.values_list("pk", flat=True):
        with transaction.atomic():
            ca = CertificateAuthority.objects.select_for_update().get(pk=ca_id)
            if ca.crl_next_update is not None and ca.crl_next_update - timezone.now() > margin:
                continue
            crl_publish(ca=ca)
            published.append(ca.name)
    return published


# --- Trust anchors ---------------------------------------------------------------------------


@transaction.atomic
def trust_anchor_import(*, acting_user: Any, pem: bytes, name: str = "") -> TrustAnchor:
    if acting_user is not None:
        require_ca_operator(acting_user)
    try:
        cert = pki.load_cert(pem)
    except ValueError:
        raise ValidationFailed("CERTIFICATE_INVALID", "Tệp không phải chứng thư X.509 hợp lệ.",
                               "The file is not a valid X.509 certificate.") from None
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ValidationFailed("NOT_A_CA_CERTIFICATE", "Chứng thư này không phải của một CA.",
                               "The certificate is not a CA certificate.")
    fp = pki.fingerprint(cert)
    if TrustAnchor.objects.filter(fingerprint=fp).exists():
        raise Conflict("ANCHOR_EXISTS", "Chứng thư gốc này đã được nhập.",
                       "This trust anchor is already imported.", {"fingerprint": fp})
    anchor = TrustAnchor.objects.create(
        name=nfc(name or pki.common_name_of(cert.subject)), subject=cert.subject.rfc4514_string(),
        certificate_pem=pki.cert_pem(cert), fingerprint=fp, not_after=cert.not_valid_after_utc,
        imported_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    _event(CertificateAction.ANCHOR_IMPORT, actor=acting_user, anchor=anchor,
           data={"fingerprint": fp, "subject": anchor.subject})
    return anchor


@transaction.atomic
def agency_certificate_auto_issue(*, agency: Any) -> Certificate:
    """System issue of an agency's organisation (seal) certificate, software key.

    Called by document issuing when an agency has none yet; the event has no actor and
    ``data.auto = true`` so the audit shows it was the platform, not an operator.
    """
    from tinhso.units.models import Agency

    # One issue at a time per agency; NO KEY so dossiers may still reference the agency meanwhile.
    Agency.objects.select_for_update(no_key=True).filter(pk=agency.pk).first()
    existing = Certificate.objects.filter(
        holder_agency=agency, kind=CertificateKind.ORGANISATION, status=CertificateStatus.ACTIVE,
        not_after__gt=timezone.now()).exclude(key_storage=KeyStorage.EXTERNAL).first()
    if existing is not None:
        return existing
    ca = active_issuing_ca()
    req = CertificateRequest.objects.create(
        kind=CertificateKind.ORGANISATION, holder_agency=agency, common_name=nfc(agency.name),
        status=RequestStatus.ISSUED, note="Cấp tự động cho con dấu điện tử của cơ quan",
    )
    cert = _issue_certificate(
        acting_user=None, ca=ca, kind=CertificateKind.ORGANISATION,
        subject=_subject_for(CertificateKind.ORGANISATION, common_name=agency.name,
                             holder_user=None, holder_agency=agency),
        algorithm=ca.key_algorithm, key_storage=KeyStorage.SOFTWARE, days=730,
        holder_agency=agency,
    )
    req.certificate = cert
    req.save(update_fields=["certificate"])
    _event(CertificateAction.REQUEST, actor=None, request=req, certificate=cert,
           to_status=RequestStatus.ISSUED, data={"auto": True})
    return cert
