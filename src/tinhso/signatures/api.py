"""/api/v1/signatures: verification (public), certificates, certified copies and the register."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from tinhso.core.api_schema import MAX_NOTE, ErrorOut, IsoDate
from tinhso.core.errors import DomainError, NotFound, ValidationFailed
from tinhso.core.requests import AuthedRequest
from tinhso.documents import selectors as doc_selectors
from tinhso.signatures import conf, pki, selectors, services
from tinhso.signatures.models import (
    Certificate,
    KeyStorage,
    RevocationReason,
)

router = Router(tags=["signatures"])


class SignatureOut(Schema):
    signer: str
    signed_at: str | None
    intact: bool
    trusted: bool
    revoked: bool
    covers_whole_document: bool
    reason: str
    field_name: str
    reason_vi: str
    reason_en: str
    timestamped: bool
    certificate_serial: str
    issuer: str
    signing_reason: str
    modification_level: str
    valid: bool


class VerifyOut(Schema):
    valid: bool
    signatures: list[SignatureOut]



def _read_upload(upload: UploadedFile) -> bytes:
    limit = conf.max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise DomainError("FILE_TOO_LARGE", "Tệp quá lớn.", "The file is too large.",
                          {"max_bytes": limit}, status=413)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise DomainError("FILE_TOO_LARGE", "Tệp quá lớn.", "The file is too large.",
                          {"max_bytes": limit}, status=413)
    return data


@router.post("/verify", auth=None, response={200: VerifyOut, 413: ErrorOut, 422: ErrorOut})
def verify(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    """Verify every signature of a PDF (ours or anybody's). Public; the file is not kept."""
    from tinhso.core import ratelimit
    from tinhso.signatures.verify import verify_known_or_full

    ratelimit.check_rate(ratelimit.verify_rate(), ratelimit.client_address(request))
    return verify_known_or_full(_read_upload(file)).as_dict()


class CountsOut(Schema):
    by_kind: dict[str, dict[str, int]]
    issued: int
    revoked: int


@router.get("/certificates/counts", response=CountsOut)
def certificate_counts(request: HttpRequest) -> dict[str, Any]:
    return selectors.certificate_counts()


class CertificateOut(Schema):
    id: int
    kind: str
    status: str
    serial: str
    common_name: str
    subject: str
    key_storage: str
    key_algorithm: str
    not_before: dt.datetime
    not_after: dt.datetime
    holder_user_id: int | None
    holder_agency_id: int | None
    revocation_reason: str
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return str(getattr(obj, "effective_status", obj.status))


@router.get("/certificates", response=list[CertificateOut])
def certificate_list(request: AuthedRequest, kind: str = "", status: str = "") -> Any:
    qs = selectors.certificates_for(request.auth)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        # An annotation of certificates_for, which the stubs do not follow through its return type.
        qs = qs.filter(effective_status=status)  # type: ignore[misc]
    return list(qs[:500])


class RequestIn(Schema):
    # Choices are checked by the service (its own codes); the schema lists them.
    kind: str = Field(..., json_schema_extra={"enum": ["personal", "organisation", "sim"]})
    holder_user_id: int | None = Field(None, ge=1, le=2**63 - 1)
    holder_agency_id: int | None = Field(None, ge=1, le=2**63 - 1)
    common_name: str = Field("", max_length=200)
    key_algorithm: str = Field("ec-p256", json_schema_extra={"enum": list(pki.ALGORITHMS)})
    key_storage: str = Field("software", json_schema_extra={"enum": list(KeyStorage.values)})
    csr_pem: str = Field("", max_length=20_000)
    validity_days: int = Field(730, ge=1, le=5 * 365)
    note: str = Field("", max_length=MAX_NOTE)


class RequestOut(Schema):
    id: int
    kind: str
    status: str
    common_name: str
    certificate_id: int | None


@router.post("/certificates/requests", response={201: RequestOut})
def certificate_request(request: AuthedRequest, payload: RequestIn) -> Any:
    from tinhso.accounts.selectors import user_get_visible
    from tinhso.units.selectors import agency_get

    # An account the requester may not see answers like a missing one.
    holder_user = (user_get_visible(user=request.auth, user_id=payload.holder_user_id)
                   if payload.holder_user_id else None)
    holder_agency = agency_get(payload.holder_agency_id) if payload.holder_agency_id else None
    if (payload.holder_user_id and holder_user is None) or (
            payload.holder_agency_id and holder_agency is None):
        raise ValidationFailed("HOLDER_INVALID", "Không tìm thấy người hoặc cơ quan giữ.",
                               "The holder does not exist.")
    req = services.certificate_request(
        acting_user=request.auth, kind=payload.kind, holder_user=holder_user,
        holder_agency=holder_agency, common_name=payload.common_name,
        key_algorithm=payload.key_algorithm, key_storage=payload.key_storage,
        csr_pem=payload.csr_pem, validity_days=payload.validity_days, note=payload.note,
    )
    return Status(201, req)


class IssueIn(Schema):
    pkcs12_passphrase: str | None = Field(None, max_length=200)


class IssuedOut(Schema):
    certificate: CertificateOut
    certificate_pem: str
    pkcs12_base64: str | None


def _issued(result: services.IssuedCertificate) -> dict[str, Any]:
    return {
        "certificate": result.certificate,
        "certificate_pem": result.certificate.certificate_pem,
        "pkcs12_base64": base64.b64encode(result.pkcs12).decode() if result.pkcs12 else None,
    }


@router.post("/certificates/requests/{request_id}/issue", response=IssuedOut)
def certificate_issue(request: AuthedRequest, request_id: int, payload: IssueIn) -> Any:
    req = selectors.certificate_request_get(request.auth, request_id)
    return _issued(services.certificate_issue(acting_user=request.auth, request=req,
                                              pkcs12_passphrase=payload.pkcs12_passphrase))


def _certificate(user: Any, certificate_id: int) -> Certificate:
    cert = selectors.certificates_for(user).filter(pk=certificate_id).first()
    if cert is None:
        raise NotFound("Không tìm thấy chứng thư", "Certificate not found")
    return cert


class RevokeIn(Schema):
    reason: str = Field(..., json_schema_extra={"enum": list(RevocationReason.values)})
    note: str = Field("", max_length=MAX_NOTE)


class SuspendIn(Schema):
    reason: str = Field("", max_length=MAX_NOTE)


@router.post("/certificates/{certificate_id}/revoke", response=CertificateOut)
def certificate_revoke(request: AuthedRequest, certificate_id: int, payload: RevokeIn) -> Any:
    return services.certificate_revoke(acting_user=request.auth,
                                       certificate=_certificate(request.auth, certificate_id),
                                       reason=payload.reason, note=payload.note)


@router.post("/certificates/{certificate_id}/suspend", response=CertificateOut)
def certificate_suspend(request: AuthedRequest, certificate_id: int, payload: SuspendIn) -> Any:
    return services.certificate_suspend(acting_user=request.auth,
                                        certificate=_certificate(request.auth, certificate_id),
                                        reason=payload.reason)


@router.post("/certificates/{certificate_id}/reinstate", response=CertificateOut)
def certificate_reinstate(request: AuthedRequest, certificate_id: int) -> Any:
    return services.certificate_reinstate(acting_user=request.auth,
                                          certificate=_certificate(request.auth, certificate_id))


@router.post("/certificates/{certificate_id}/renew", response=IssuedOut)
def certificate_renew(request: AuthedRequest, certificate_id: int, payload: IssueIn) -> Any:
    return _issued(services.certificate_renew(
        acting_user=request.auth, certificate=_certificate(request.auth, certificate_id),
        pkcs12_passphrase=payload.pkcs12_passphrase))


# --- E-certified copies and the register -----------------------------------------------------


class RegisterEntryOut(Schema):
    id: int
    number: int
    book_number: str
    year: int
    certified_on: dt.date
    original_description: str
    pages: int
    copies: int
    fee: int
    applicant_name: str
    agency_id: int
    officer_id: int
    document_uuid: str
    verify_url: str

    @staticmethod
    def resolve_document_uuid(obj: Any) -> str:
        return str(obj.document.uuid)

    @staticmethod
    def resolve_verify_url(obj: Any) -> str:
        from tinhso.documents.services import verify_url

        return verify_url(obj.document.uuid)


@router.post("/certified-copies", response={201: RegisterEntryOut, 403: ErrorOut, 413: ErrorOut,
                                            422: ErrorOut})
def certified_copy(
    request: AuthedRequest, file: File[UploadedFile],
    description: str = Form(..., max_length=300),
    applicant_name: str = Form("", max_length=200),
    applicant_id_number: str = Form("", max_length=14),
    pages: int | None = Form(None, ge=1, le=10_000), copies: int = Form(1, ge=1, le=50),
    dossier_code: str = Form("", max_length=40),
) -> Any:
    """Officer uploads the scan of the presented original; returns the register entry.

    Only the agency's registered competent signers may certify (Decree 23/2015 art. 5):
    anyone else gets 403 CERTIFIER_NOT_COMPETENT."""
    from tinhso.documents.services import certified_copy_issue
    from tinhso.dossiers.selectors import dossier_get_for_user

    # Another agency's dossier answers exactly like an unknown one (same 404, code and body).
    dossier = dossier_get_for_user(request.auth, dossier_code) if dossier_code else None
    result = certified_copy_issue(
        acting_user=request.auth, scan_file=_read_upload(file), description=description,
        pages=pages, dossier=dossier, applicant_name=applicant_name,
        applicant_id_number=applicant_id_number, copies=copies, scan_name=file.name or "",
    )
    return Status(201, result.entry)


def _register(request: AuthedRequest, q: str, year: int | None,
              date_from: dt.date | None, date_to: dt.date | None) -> Any:
    from tinhso.accounts.permissions import is_active_official
    from tinhso.core.errors import PermissionDenied

    # The register holds applicants' names and ID numbers: officials only (403 to citizens,
    # like the IOC pages); within it, each agency's own entries (province admins: all).
    if not (is_active_official(request.auth) or getattr(request.auth, "is_superuser", False)):
        raise PermissionDenied({"required": "official"})
    return doc_selectors.register_for(request.auth, q=q, year=year, date_from=date_from,
                                      date_to=date_to)


@router.get("/certification-register", response=list[RegisterEntryOut])
def register_list(request: AuthedRequest, q: str = "", year: int | None = None,
                  date_from: IsoDate | None = None, date_to: IsoDate | None = None) -> Any:
    return list(_register(request, q, year, date_from, date_to)[:1000])


@router.get("/certification-register.csv")
def register_export(request: AuthedRequest, q: str = "", year: int | None = None,
                    date_from: IsoDate | None = None,
                    date_to: IsoDate | None = None) -> HttpResponse:
    body = doc_selectors.register_csv(_register(request, q, year, date_from, date_to))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="so-chung-thuc.csv"'
    return response
