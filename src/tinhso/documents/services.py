"""Issuing signed documents: the one-stop forms, results, and e-certified copies.

Rendering and signing happen before the write transaction (they take tens of milliseconds
and touch no rows); the file, the dossier attachment, the ``Document`` row, the register entry
and the audit row are then written in one transaction, so a failure leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid as uuid_lib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.accounts.models import AuditLog
from tinhso.core import blobs
from tinhso.core.errors import DomainError, PermissionDenied, ValidationFailed
from tinhso.core.text import nfc
from tinhso.documents import forms, render, signers
from tinhso.documents.models import (
    CertificationCounter,
    CertificationRegisterEntry,
    Document,
    DocumentForm,
    SignerPosition,
)
from tinhso.signatures import conf, signing
from tinhso.signatures.models import Certificate, CertificateKind
from tinhso.signatures.selectors import usable_certificate

SIGN_AS = ("auto", "officer", "agency", "both")


def verify_url(document_uuid: uuid_lib.UUID | str) -> str:
    return f"{conf.public_url()}/chu-ky-so/xac-minh/{document_uuid}"


def _require_official_of(user: Any, agency: Any) -> None:
    if not getattr(user, "is_official", False) or not user.is_active:
        raise PermissionDenied({"reason": "not_official"})
    if user.agency_id != agency.pk and not user.is_province_admin:
        raise PermissionDenied({"reason": "other_agency"})


def agency_certificate(agency: Any) -> Certificate:
    """The agency's organisation certificate; issued automatically the first time it is needed.

    A receipt must not wait for a CA operator: the seal certificate of an agency is a platform
    matter, issued by the system (event with no actor, ``data.auto = true``). Set
    ``TINHSO_AUTO_AGENCY_CERTIFICATE = False`` to require an explicit issue instead.
    """
    from django.conf import settings

    from tinhso.signatures import services as pki_services

    cert = usable_certificate(holder_agency=agency)
    if cert is not None:
        return cert
    if not getattr(settings, "TINHSO_AUTO_AGENCY_CERTIFICATE", True):
        raise DomainError("AGENCY_CERTIFICATE_MISSING",
                          "Cơ quan chưa có chứng thư số tổ chức.",
                          "The agency has no organisation certificate.",
                          {"agency": agency.code}, status=409)
    return pki_services.agency_certificate_auto_issue(agency=agency)


def _signer_certificates(user: Any, agency: Any, sign_as: str) -> list[Certificate]:
    if sign_as not in SIGN_AS:
        raise ValidationFailed("SIGN_AS_INVALID", "Cách ký không hợp lệ.", "Unknown sign_as.",
                               {"allowed": list(SIGN_AS)})
    officer = usable_certificate(holder_user=user)
    if sign_as in ("officer", "both") and officer is None:
        raise DomainError("OFFICER_CERTIFICATE_MISSING",
                          "Cán bộ chưa có chứng thư số cá nhân còn hiệu lực.",
                          "The officer has no valid personal certificate.", status=409)
    certs: list[Certificate] = []
    if officer is not None and sign_as in ("auto", "officer", "both"):
        certs.append(officer)
    if sign_as in ("agency", "both") or not certs:
        certs.append(agency_certificate(agency))
    return certs


def _stamp_specs(certs: list[Certificate], agency: Any, titles: list[str]
                 ) -> list[render.StampSpec]:
    boxes = render.stamp_boxes(len(certs))
    return [render.StampSpec(title=titles[i], signer=c.common_name, organisation=agency.name,
                             box=boxes[i]) for i, c in enumerate(certs)]


def _sign_all(pdf: bytes, certs: list[Certificate], stamps: list[render.StampSpec],
              *, reason: str, location: str) -> bytes:
    page = render.page_count(pdf) - 1
    for i, (cert, stamp) in enumerate(zip(certs, stamps, strict=True)):
        pdf = signing.sign_with(
            pdf, cert, field_name=f"ChuKySo{i + 1}", reason=reason, location=location,
            placement=signing.StampPlacement(page=page, box=stamp.widget_box),
        )
    return pdf


def _signer_rows(certs: list[Certificate]) -> list[dict[str, Any]]:
    return [{"common_name": c.common_name, "serial": c.serial, "kind": c.kind,
             "certificate_id": c.pk} for c in certs]


def _store(*, doc_uuid: uuid_lib.UUID, pdf: bytes, form: str, agency: Any, dossier: Any,
           acting_user: Any, certs: list[Certificate], signed_at: dt.datetime) -> Document:
    """Write the file and rows; call inside a transaction."""
    from tinhso.dossiers.models import Attachment, AttachmentKind

    sha = hashlib.sha256(pdf).hexdigest()
    doc = Document(uuid=doc_uuid, dossier=dossier, agency=agency, form=form, size=len(pdf),
                   sha256=sha, signers=_signer_rows(certs), signed_at=signed_at,
                   created_by=acting_user)
    if dossier is not None:
        attachment = Attachment(
            dossier=dossier,
            kind=AttachmentKind.RESULT if form == DocumentForm.RESULT else AttachmentKind.DOCUMENT,
            original_name=f"{form}-{dossier.code}.pdf", content_type="application/pdf",
            size=len(pdf), sha256=sha, uploaded_by=acting_user,
        )
        # Stored like every attachment (tinhso.core.blobs): atomic, verified, never deleted
        # here; a rolled-back issue leaves an unreferenced file for the sweep.
        attachment.file.name = blobs.put(pdf, area="dossiers", sha256=sha).name
        attachment.save()
        doc.attachment = attachment
        doc.file.name = attachment.file.name  # one stored copy, two rows pointing at it
    else:
        doc.file.name = blobs.put(pdf, area="documents", sha256=sha, suffix=".pdf").name
    doc.save()
    AuditLog.objects.create(actor=acting_user, action="document_issue", object_type="document",
                            object_id=str(doc.uuid),
                            data={"form": form, "sha256": sha, "signers": doc.signers,
                                  "dossier": dossier.code if dossier else None})
    from tinhso.outbox.services import event_publish

    event_publish(
        type="document.issued", aggregate_type="document", aggregate_id=doc.pk,
        agency_id=getattr(agency, "pk", None), actor_id=getattr(acting_user, "pk", None),
        payload={"document_id": doc.pk, "uuid": str(doc.uuid), "form": form,
                 "dossier_id": getattr(dossier, "pk", None),
                 "dossier_code": dossier.code if dossier else None, "sha256": sha,
                 "signed_at": signed_at.isoformat()})
    return doc


def document_issue(*, acting_user: Any, dossier: Any, form: str,
                   extra: dict[str, Any] | None = None,
                   doc_uuid: uuid_lib.UUID | None = None) -> Document:
    """Render form ``form`` for ``dossier``, sign it (PAdES B-LT), store it; return the row.

    Signed by the officer's personal certificate when they have one, else by the agency's
    organisation certificate; results are signed by both when possible. ``extra["sign_as"]``
    forces ``officer``, ``agency`` or ``both``. See ``forms.py`` for the other ``extra`` keys.
    ``doc_uuid`` fixes the document's uuid in advance (the issuing job's, see DocumentJob).
    """
    extra = dict(extra or {})
    # A certified copy has its own service; the register (07) covers an agency and a period.
    if form not in DocumentForm.values or form in (DocumentForm.CERTIFIED_COPY,
                                                   DocumentForm.REGISTER):
        raise ValidationFailed("DOCUMENT_FORM_INVALID", "Loại văn bản không hợp lệ.",
                               "Unknown document form.", {"form": form})
    agency = dossier.agency
    _require_official_of(acting_user, agency)
    sign_as = extra.get("sign_as") or (
        "both" if form == DocumentForm.RESULT and usable_certificate(holder_user=acting_user)
        else "auto")
    certs = _signer_certificates(acting_user, agency, sign_as)
    doc_uuid = doc_uuid or uuid_lib.uuid4()
    now = timezone.now()
    officer_name = acting_user.full_name or acting_user.username
    content = forms.build(form, dossier=dossier, agency=agency, officer_name=officer_name,
                          issued_at=now, verify_url=verify_url(doc_uuid), extra=extra)
    titles = ["Người ký" if c.kind != CertificateKind.ORGANISATION else "Cơ quan"
              for c in certs]
    content.stamps = _stamp_specs(certs, agency, titles)
    pdf = render.render_form(content)
    signed = _sign_all(pdf, certs, content.stamps, reason=nfc(DocumentForm(form).label),
                       location=content.place)
    with transaction.atomic():
        return _store(doc_uuid=doc_uuid, pdf=signed, form=form, agency=agency, dossier=dossier,
                      acting_user=acting_user, certs=certs, signed_at=now)


# --- E-certified copies (2.000815) -----------------------------------------------------------


def certification_fee(pages: int, copies: int = 1) -> int:
    """Circular 226/2016/TT-BTC: 2,000 đ per page for pages 1–2, 1,000 đ from page 3,
    at most 200,000 đ per copy."""
    per_copy = min(2000 * min(pages, 2) + 1000 * max(pages - 2, 0), 200_000)
    return per_copy * copies


@dataclass(frozen=True)
class CertifiedCopy:
    entry: CertificationRegisterEntry
    document: Document


def _next_number(agency: Any, year: int) -> int:
    counter, _ = CertificationCounter.objects.get_or_create(agency=agency, year=year)
    counter = CertificationCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def certified_copy_issue(
    *, acting_user: Any, scan_file: bytes, description: str, pages: int | None = None,
    dossier: Any = None, applicant_name: str = "", applicant_id_number: str = "",
    copies: int = 1, scan_name: str = "",
) -> CertifiedCopy:
    """Certify a scan of an original: add the certification text and number, sign it with the
    officer's and the commune's certificates, and record it in the register."""
    from tinhso.documents import copies as copy_pdf

    agency = dossier.agency if dossier is not None else getattr(acting_user, "agency", None)
    if agency is None:
        raise PermissionDenied({"reason": "not_official"})
    _require_official_of(acting_user, agency)
    if dossier is not None:
        applicant_name = applicant_name or dossier.applicant_name
        applicant_id_number = applicant_id_number or dossier.applicant_id_number
    if not applicant_name.strip() or not description.strip():
        raise ValidationFailed("CERTIFICATION_FIELDS_REQUIRED",
                               "Cần ghi tên người yêu cầu và loại giấy tờ bản chính.",
                               "The applicant's name and the original's description are required.")
    if not 1 <= copies <= 50:
        raise ValidationFailed("COPIES_INVALID", "Số bản không hợp lệ.", "Invalid copy count.")
    # Decree 23/2015 art. 5: only the agency's registered chairman/vice-chairman (commune) or
    # head/deputy (justice office) signs; checked before any work is done.
    position = signers.require_competent(acting_user, agency)
    scan_pdf = copy_pdf.scan_to_pdf(scan_file, name=scan_name or "scan")
    scan_pages = render.page_count(scan_pdf)
    pages = pages or scan_pages
    certs = _signer_certificates(acting_user, agency, "both")
    now = timezone.now()
    year = timezone.localtime(now).year
    doc_uuid = uuid_lib.uuid4()
    with transaction.atomic():
        # The number is taken in the transaction that records it: gap-free per agency and year.
        number = _next_number(agency, year)
        book = f"{year}-SCT/BS"
        stamps = _stamp_specs(certs, agency, ["Người chứng thực", "Cơ quan chứng thực"])
        certified = copy_pdf.add_certification_page(
            scan_pdf, agency=agency, officer_name=acting_user.full_name or acting_user.username,
            number=number, book=book, when=now, pages=pages, applicant_name=applicant_name,
            description=description, verify_url=verify_url(doc_uuid), stamps=stamps,
            officer_position=SignerPosition(position).label if position else "",
        )
        signed = _sign_all(certified, certs, stamps,
                           reason="Chứng thực bản sao đúng với bản chính",
                           location=agency.unit.name if agency.unit_id else "")
        doc = _store(doc_uuid=doc_uuid, pdf=signed, form=DocumentForm.CERTIFIED_COPY,
                     agency=agency, dossier=dossier, acting_user=acting_user, certs=certs,
                     signed_at=now)
        entry = CertificationRegisterEntry.objects.create(
            agency=agency, year=year, book_number=book, number=number,
            certified_on=timezone.localdate(now), original_description=nfc(description.strip()),
            pages=pages, copies=copies, fee=certification_fee(pages, copies),
            officer=acting_user, applicant_name=nfc(applicant_name.strip()),
            applicant_id_number=applicant_id_number, dossier=dossier, document=doc,
        )
        AuditLog.objects.create(actor=acting_user, action="certification_register",
                                object_type="certification", object_id=str(entry.pk),
                                data={"number": number, "book": book, "document": str(doc_uuid)})
    return CertifiedCopy(entry=entry, document=doc)
