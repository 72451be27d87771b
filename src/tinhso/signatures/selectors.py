"""Reads of the PKI and of issued documents, scoped to who asks."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, CharField, Count, F, QuerySet, Value, When
from django.utils import timezone

from tinhso.signatures.models import (
    Certificate,
    CertificateKind,
    CertificateStatus,
)

COUNTED_KINDS = (CertificateKind.PERSONAL, CertificateKind.ORGANISATION, CertificateKind.SIM)


def _effective_status() -> Case:
    """``expired`` is derived: an active certificate past its not-after date."""
    return Case(
        When(status=CertificateStatus.ACTIVE, not_after__lt=timezone.now(),
             then=Value(CertificateStatus.EXPIRED.value)),
        default=F("status"),
        output_field=CharField(),
    )


def certificate_counts() -> dict[str, Any]:
    """Holder certificates by kind and status for the IOC (service certificates excluded).

    ``{"by_kind": {"personal": {"active": n, "suspended": n, "revoked": n, "expired": n},
    ...}, "issued": total ever issued, "revoked": total revoked}`` — one query.
    """
    rows = (Certificate.objects.filter(kind__in=COUNTED_KINDS)
            .annotate(effective=_effective_status())
            .values("kind", "effective").annotate(n=Count("id")))
    by_kind = {kind.value: {status.value: 0 for status in CertificateStatus}
               for kind in COUNTED_KINDS}
    for row in rows:
        by_kind[row["kind"]][row["effective"]] = row["n"]
    issued = sum(sum(statuses.values()) for statuses in by_kind.values())
    revoked = sum(statuses[CertificateStatus.REVOKED] for statuses in by_kind.values())
    return {"by_kind": by_kind, "issued": issued, "revoked": revoked}


def certificates_for(user: Any) -> QuerySet[Certificate]:
    """CA operators see every certificate; others their own and (agency admins) their agency's."""
    return Certificate.objects.visible_to(user).select_related(
        "ca", "holder_user", "holder_agency").annotate(effective_status=_effective_status())


def usable_certificate(*, holder_user: Any = None, holder_agency: Any = None
                       ) -> Certificate | None:
    """The newest active, unexpired certificate whose key the platform can use to sign."""
    from tinhso.signatures.models import KeyStorage

    now = timezone.now()
    qs = Certificate.objects.select_related("ca", "ca__parent").filter(
        status=CertificateStatus.ACTIVE, not_before__lte=now, not_after__gt=now,
    ).exclude(key_storage=KeyStorage.EXTERNAL).exclude(kind=CertificateKind.SERVICE)
    if holder_user is not None:
        qs = qs.filter(holder_user=holder_user)
    elif holder_agency is not None:
        qs = qs.filter(holder_agency=holder_agency, kind=CertificateKind.ORGANISATION)
    else:
        return None
    return qs.order_by("-not_before", "-id").first()


def public_document_info(uuid: Any) -> dict[str, Any] | None:
    """What the QR page may show: no applicant name, ID, address or form data."""
    from tinhso.documents.models import Document

    doc = (Document.objects.select_related("agency", "dossier", "dossier__procedure")
           .filter(uuid=str(uuid)).first())
    if doc is None:
        return None
    serials = [s.get("serial") for s in doc.signers]
    certs = {c.serial: c for c in Certificate.objects.filter(serial__in=serials)}
    now = timezone.now()
    signers = []
    for s in doc.signers:
        cert = certs.get(s.get("serial", ""))
        status = cert.status if cert else ""
        if cert and status == CertificateStatus.ACTIVE and cert.not_after < now:
            status = CertificateStatus.EXPIRED
        signers.append({
            "common_name": s.get("common_name", ""),
            "kind": s.get("kind", ""),
            "status": status,
            "status_display": CertificateStatus(status).label if status else "Không rõ",
        })
    still_valid = bool(signers) and all(
        s["status"] in (CertificateStatus.ACTIVE, CertificateStatus.EXPIRED) for s in signers)
    return {
        "uuid": str(doc.uuid),
        "form": doc.form,
        "form_display": doc.get_form_display(),
        "dossier_code": doc.dossier.code if doc.dossier else "",
        "procedure": doc.dossier.procedure.name if doc.dossier else "",
        "agency": doc.agency.name,
        "signed_at": doc.signed_at,
        "sha256": doc.sha256,
        "signers": signers,
        "valid": still_valid,
    }


# --- Public PKI material (CA certificates, CRLs, OCSP): no personal or agency data -----------


def ca_by_name(name: str) -> Any:
    from tinhso.signatures.models import CertificateAuthority

    return CertificateAuthority.objects.filter(name=name).first()


def ca_by_fingerprint(fingerprint: str) -> Any:
    from tinhso.signatures.models import CertificateAuthority

    return CertificateAuthority.objects.filter(fingerprint=fingerprint).first()


def ca_all() -> list[Any]:
    from tinhso.signatures.models import CertificateAuthority

    return list(CertificateAuthority.objects.all())


def certificate_status_row(ca: Any, serial_hex: str) -> Certificate | None:
    """For the OCSP responder: a certificate's status is public by design (RFC 6960)."""
    return Certificate.objects.filter(ca=ca, serial=serial_hex).first()


def certificate_request_get(user: Any, request_id: int) -> Any:
    """A certificate request the user may see, else 404 (someone else's does not exist)."""
    from tinhso.core.errors import NotFound
    from tinhso.signatures.models import CertificateRequest

    req = CertificateRequest.objects.visible_to(user).filter(pk=request_id).first()
    if req is None:
        raise NotFound("Không tìm thấy yêu cầu cấp chứng thư.", "Certificate request not found.",
                       {"request_id": request_id})
    return req
