"""Exchange between agencies: release builds an edXML package per document, agencies of this
installation receive it at once, outside agencies through a file or the LGSP; importing
registers the incoming document once; status messages travel back to the sender's register.

Status codes (QCVN 102:2016/BTTTT status message; codes as used by the national document
exchange platform — UNCONFIRMED against the standard's text, docs/correspondence.md#status):
01 received (đã đến), 02 rejected (từ chối tiếp nhận), 03 accepted (đã tiếp nhận, vào sổ),
04 assigned (phân công), 05 processing (đang xử lý), 06 completed (hoàn thành),
13 withdrawn (thu hồi, lấy lại).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.core import blobs
from tinhso.core.errors import ValidationFailed
from tinhso.correspondence import edxml
from tinhso.correspondence import permissions as perm
from tinhso.correspondence.doctypes import type_label
from tinhso.correspondence.models import (
    Direction,
    ExchangeMessage,
    ExchangeStatus,
    IncomingDocument,
    InState,
    MessageKind,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingRecipient,
    OutState,
    Source,
)

STATUS_CODES: dict[str, str] = {
    "received": "01", "rejected": "02", "accepted": "03", "assigned": "04",
    "processing": "05", "completed": "06", "withdrawn": "13",
}
CODE_STATUS = {code: name for name, code in STATUS_CODES.items()}
# A recipient's state only moves forward (a late "received" does not undo "completed").
ORDER = ["pending", "sent", "received", "accepted", "assigned", "processing", "completed"]


def signing_key(agency: Any) -> edxml.SigningKey:
    from tinhso.documents.services import agency_certificate
    from tinhso.signatures import keystore

    cert = agency_certificate(agency)
    return edxml.SigningKey(key=keystore.load_private_key(cert.fingerprint, cert.key_pem),
                            certificate_pem=cert.certificate_pem,
                            chain_pems=(cert.ca.certificate_pem,))


def trust(cert: x509.Certificate, chain: Sequence[x509.Certificate] = ()) -> None:
    """The signer's certificate must be valid now, issued by a CA of this installation or an
    imported anchor (checked by signature) — directly, or through one CA certificate that
    came with the package and is itself issued by one (another province's issuing CA under
    its root, which we import as the anchor) — and neither may be revoked here."""
    from tinhso.signatures.models import (
        Certificate,
        CertificateAuthority,
        CertificateStatus,
        TrustAnchor,
    )
    from tinhso.signatures.pki import serial_hex

    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise edxml.refuse("EDXML_UNTRUSTED", "Chứng thư số ký gói edXML đã hết hiệu lực.",
                           "The package signer's certificate is not valid now.")
    pems = list(CertificateAuthority.objects.values_list("certificate_pem", flat=True)) + list(
        TrustAnchor.objects.filter(is_active=True).values_list("certificate_pem", flat=True))
    anchors = [_load_pem(pem) for pem in pems]
    path = [cert]
    if not any(_issued_by(cert, anchor) for anchor in anchors):
        via = next((c for c in chain if _is_ca(c) and _issued_by(cert, c) and
                    c.not_valid_before_utc <= now <= c.not_valid_after_utc and
                    any(_issued_by(c, anchor) for anchor in anchors)), None)
        path = [cert, via] if via is not None else []
    for link in path:
        status = Certificate.objects.filter(serial=serial_hex(link.serial_number)).values_list(
            "status", flat=True).first()
        if status == CertificateStatus.REVOKED:
            raise edxml.refuse("EDXML_UNTRUSTED", "Chứng thư số ký gói edXML đã bị thu hồi.",
                               "The package signer's certificate is revoked.")
    if path:
        return
    raise edxml.refuse("EDXML_UNTRUSTED", "Chứng thư số ký gói edXML không do CA tin cậy cấp.",
                       "The package signer's certificate is not from a trusted CA.")


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


@functools.lru_cache(maxsize=64)
def _load_pem(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _store_message(*, agency: Any, direction: str, kind: str, data: bytes, document_id: str,
                   from_code: str, to_code: str, status_code: str = "") -> ExchangeMessage:
    sha = hashlib.sha256(data).hexdigest()
    existing = ExchangeMessage.objects.filter(agency=agency, direction=direction,
                                              sha256=sha).first()
    if existing is not None:
        return existing
    blob = blobs.put(data, area="documents", sha256=sha, suffix=".xml")
    return ExchangeMessage.objects.create(
        agency=agency, direction=direction, kind=kind, document_id=document_id[:120],
        from_code=from_code[:40], to_code=to_code[:40], status_code=status_code, file=blob.name,
        sha256=sha)


def message_bytes(message: ExchangeMessage) -> bytes:
    size = blobs.path_of(str(message.file.name)).stat().st_size
    with blobs.open_verified(str(message.file.name), sha256=message.sha256, size=size) as handle:
        return handle.read()


def package_of(doc: OutgoingDocument, recipients: list[edxml.Organ]) -> edxml.Package:
    from tinhso.correspondence.services_out import profile_of, signed_pdf

    number, _, tail = doc.notation.partition("/")
    return edxml.Package(
        sender=edxml.Organ(doc.agency.code, doc.agency.name), recipients=recipients,
        document_id=str(doc.uuid), code_number=number, code_notation=tail,
        place=profile_of(doc.agency).place_name, promulgation_date=doc.promulgated_on,
        type_code=doc.doc_type, type_name=type_label(doc.doc_type), subject=doc.subject,
        content="", signer_position=doc.signer_title,
        signer_name=doc.signer.full_name if doc.signer else "", due_date=doc.due_on,
        to_places=[r.name for r in recipients],
        attachments=[edxml.Attachment(name=f"{doc.notation.replace('/', '_')}.pdf",
                                      content=signed_pdf(doc))])


@transaction.atomic
def outgoing_release(*, acting_user: Any, document: OutgoingDocument,
                     agency_codes: list[str] | None = None,
                     external: list[tuple[str, str]] | None = None) -> OutgoingDocument:
    """The clerk releases an issued document: to agencies of this installation (registered in
    their incoming register at once, through the same edXML package) and to outside agencies
    by identifier code (a package kept for the LGSP or for ``tinhso documents export-edxml``)."""
    from tinhso.units.models import Agency

    doc = OutgoingDocument.objects.select_for_update(of=("self",)).select_related(
        "agency", "unit", "signer").get(pk=document.pk)
    if doc.state != OutState.ISSUED:
        raise ValidationFailed("CORR_WRONG_STATE", "Chỉ phát hành văn bản đã đóng dấu.",
                               "Only an issued (sealed) document is released.",
                               {"state": doc.state})
    perm.require_role(acting_user, doc.agency_id, "clerk")
    codes = sorted(set(agency_codes or []))
    internal = list(Agency.objects.filter(code__in=codes, is_active=True).exclude(pk=doc.agency_id))
    unknown = sorted(set(codes) - {a.code for a in internal})
    outside = [(c.strip(), n.strip()) for c, n in (external or []) if c.strip()]
    if unknown or not (internal or outside):
        raise ValidationFailed("CORR_RECIPIENTS_INVALID",
                               "Cần ít nhất một nơi nhận hợp lệ (mã định danh cơ quan).",
                               "At least one valid recipient (agency code) is required.",
                               {"unknown": unknown})
    organs = [edxml.Organ(a.code, a.name) for a in internal] + [
        edxml.Organ(c, n or c) for c, n in outside]
    for organ in organs:
        OutgoingRecipient.objects.create(
            document=doc, agency=next((a for a in internal if a.code == organ.code), None),
            code=organ.code, name=organ.name, status=ExchangeStatus.PENDING)
    data = edxml.build_package(package_of(doc, organs), signing_key(doc.agency))
    now = timezone.now()
    msg = _store_message(agency=doc.agency, direction=Direction.OUT, kind=MessageKind.DOCUMENT,
                         data=data, document_id=str(doc.uuid), from_code=doc.agency.code,
                         to_code=",".join(c for c, _ in outside) or "-")
    OutgoingEvent.objects.create(document=doc, actor=acting_user, action="release",
                                 from_state=doc.state, to_state=OutState.RELEASED,
                                 note=", ".join(o.code for o in organs))
    doc.state = OutState.RELEASED
    doc.save(update_fields=["state", "updated_at"])
    OutgoingRecipient.objects.filter(document=doc).update(status=ExchangeStatus.SENT,
                                                          status_at=now)
    from tinhso.outbox.services import event_publish

    event_publish(type="correspondence.outgoing_released", aggregate_type="outgoing_document",
                  aggregate_id=doc.pk, agency_id=doc.agency_id, actor_id=acting_user.pk,
                  payload={"outgoing_id": doc.pk, "uuid": str(doc.uuid),
                           "notation": doc.notation, "agency_id": doc.agency_id,
                           "recipients": [o.code for o in organs], "sha256": msg.sha256})
    for agency in internal:
        import_package(data=data, agency=agency)
    if outside:
        from tinhso.correspondence.tasks import send_pending_later

        send_pending_later()
    return doc


def import_any(*, data: bytes, agency: Any = None, acting_user: Any = None
               ) -> list[IncomingDocument] | OutgoingRecipient | IncomingDocument | None:
    """A document package or a status message, whichever ``data`` is."""
    root = edxml.parse_xml(data)
    if edxml.kind_of(root) == "status":
        return apply_status(data=data)
    return import_package(data=data, agency=agency, acting_user=acting_user)


@transaction.atomic
def import_package(*, data: bytes, agency: Any = None, acting_user: Any = None
                   ) -> list[IncomingDocument]:
    """Verify and register a package in each addressed agency of this installation (or only
    ``agency``). Importing the same package again returns the same registrations."""
    from tinhso.correspondence.services_in import incoming_register
    from tinhso.units.models import Agency

    pkg = edxml.parse_package(data, trust=trust)
    addressed = {o.code for o in pkg.recipients}
    if agency is not None:
        if agency.code not in addressed:
            raise edxml.refuse("EDXML_NOT_ADDRESSED", "Gói edXML không gửi tới cơ quan này.",
                               "The package is not addressed to this agency.",
                               agency=agency.code)
        targets = [agency]
    else:
        targets = list(Agency.objects.filter(code__in=addressed, is_active=True))
        if not targets:
            raise edxml.refuse("EDXML_NOT_ADDRESSED", "Gói edXML không gửi tới cơ quan nào ở "
                               "đây.", "The package is addressed to no agency here.")
    if acting_user is not None:
        for target in targets:
            perm.require_official_of(acting_user, target.pk)
    out = []
    for target in targets:
        ref = f"{pkg.sender.code}:{pkg.document_id}"
        before = IncomingDocument.objects.filter(agency=target, external_ref=ref).first()
        doc = before or incoming_register(
            acting_user=None, agency=target, source=Source.EXCHANGE,
            sender_name=pkg.sender.name or pkg.sender.code, sender_code=pkg.sender.code,
            number=pkg.code_number, notation=pkg.notation, subject=pkg.subject,
            doc_type=pkg.type_code, promulgated_on=pkg.promulgation_date,
            attachments=[(a.name, a.content) for a in pkg.attachments],
            content_types=[a.content_type for a in pkg.attachments], external_ref=ref)
        if before is None:
            try:
                with transaction.atomic():
                    _store_message(agency=target, direction=Direction.IN,
                                   kind=MessageKind.DOCUMENT, data=data,
                                   document_id=pkg.document_id, from_code=pkg.sender.code,
                                   to_code=target.code)
            except IntegrityError:
                pass
            status_emit(incoming=doc, status="received", actor=None, note="")
        out.append(doc)
    return out


def status_emit(*, incoming: IncomingDocument, status: str, actor: Any, note: str) -> None:
    """Tell the sender of an exchanged document its new state: applied at once when the
    sender is an agency of this installation, else kept for the LGSP or a file export."""
    sender_code, _, document_id = (incoming.external_ref or "").partition(":")
    if not document_id:
        return
    msg = edxml.StatusMessage(
        sender_code=sender_code, document_id=document_id, code=incoming.notation,
        promulgation_date=incoming.promulgated_on.isoformat() if incoming.promulgated_on
        else "", from_organ=edxml.Organ(incoming.agency.code, incoming.agency.name),
        status_code=STATUS_CODES[status], description=(note or "")[:500],
        timestamp=timezone.now(),
        staff=(getattr(actor, "full_name", "") or getattr(actor, "username", "")) if actor
        else "")
    data = edxml.build_status(msg, signing_key(incoming.agency))
    uid = _uuid_or_none(document_id)
    local = uid is not None and OutgoingDocument.objects.filter(
        uuid=uid, agency__code=sender_code).exists()
    if local:
        apply_status(data=data)
        return
    _store_message(agency=incoming.agency, direction=Direction.OUT, kind=MessageKind.STATUS,
                   data=data, document_id=document_id, from_code=incoming.agency.code,
                   to_code=sender_code, status_code=msg.status_code)
    from tinhso.correspondence.tasks import send_pending_later

    send_pending_later()


def _uuid_or_none(value: str) -> str | None:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


@transaction.atomic
def apply_status(*, data: bytes) -> OutgoingRecipient | IncomingDocument | None:
    """Update the sender's register from a recipient's status message (or, for 13 from the
    sender, withdraw the recipient's incoming document)."""
    msg = edxml.parse_status(data, trust=trust)
    if msg.status_code not in CODE_STATUS:
        raise edxml.refuse("EDXML_STATUS_UNKNOWN", "Mã trạng thái edXML không được hỗ trợ.",
                           "Unsupported edXML status code.", status_code=msg.status_code)
    status = CODE_STATUS[msg.status_code]
    if status == "withdrawn" and msg.from_organ.code == msg.sender_code:
        return _withdrawn_here(msg)
    uid = _uuid_or_none(msg.document_id)
    doc = None if uid is None else OutgoingDocument.objects.filter(
        uuid=uid, agency__code=msg.sender_code).first()
    if doc is None:
        raise edxml.refuse("EDXML_UNKNOWN_DOCUMENT", "Không tìm thấy văn bản đi tương ứng.",
                           "No outgoing document matches this status message.",
                           document_id=msg.document_id)
    rec = OutgoingRecipient.objects.select_for_update().filter(
        document=doc, code=msg.from_organ.code).first()
    if rec is None:
        raise edxml.refuse("EDXML_NOT_ADDRESSED", "Cơ quan báo trạng thái không phải nơi nhận.",
                           "The reporting agency is not a recipient.",
                           organ=msg.from_organ.code)
    try:
        with transaction.atomic():
            _store_message(agency=doc.agency, direction=Direction.IN, kind=MessageKind.STATUS,
                           data=data, document_id=msg.document_id,
                           from_code=msg.from_organ.code, to_code=msg.sender_code,
                           status_code=msg.status_code)
    except IntegrityError:
        pass  # the same message stored concurrently
    forward = status in ("rejected", "withdrawn") or (
        rec.status not in ("rejected", "withdrawn")
        and ORDER.index(status if status in ORDER else "completed") >= ORDER.index(rec.status))
    if forward:
        rec.status = status
        rec.status_at = msg.timestamp or timezone.now()
        rec.status_note = msg.description[:500]
        rec.save(update_fields=["status", "status_at", "status_note"])
        OutgoingEvent.objects.create(document=doc, action="status", from_state=doc.state,
                                     to_state=doc.state,
                                     note=f"{rec.code}: {msg.status_code} {status}")
    return rec


def _withdrawn_here(msg: edxml.StatusMessage) -> IncomingDocument | None:
    ref = f"{msg.sender_code}:{msg.document_id}"
    doc = IncomingDocument.objects.select_for_update().filter(external_ref=ref).first()
    if doc is None or doc.state == InState.WITHDRAWN:
        return doc
    from tinhso.correspondence.models import IncomingEvent

    IncomingEvent.objects.create(incoming=doc, action="withdrawn", from_state=doc.state,
                                 to_state=InState.WITHDRAWN, note=msg.description)
    doc.state = InState.WITHDRAWN
    doc.save(update_fields=["state"])
    return doc


@transaction.atomic
def outgoing_withdraw(*, acting_user: Any, document: OutgoingDocument,
                      reason: str) -> OutgoingDocument:
    """The sender withdraws a released document: status 13 to every recipient."""
    doc = OutgoingDocument.objects.select_for_update(of=("self",)).select_related("agency").get(
        pk=document.pk)
    if doc.state != OutState.RELEASED:
        raise ValidationFailed("CORR_WRONG_STATE", "Chỉ thu hồi văn bản đã phát hành.",
                               "Only a released document can be withdrawn.")
    perm.require_role(acting_user, doc.agency_id, "clerk", "leader")
    if not (reason or "").strip():
        raise ValidationFailed("CORR_REASON_REQUIRED", "Cần ghi lý do.", "A reason is required.",
                               {"field": "reason"})
    key = signing_key(doc.agency)
    for rec in OutgoingRecipient.objects.filter(document=doc):
        data = edxml.build_status(edxml.StatusMessage(
            sender_code=doc.agency.code, document_id=str(doc.uuid), code=doc.notation,
            promulgation_date=doc.promulgated_on.isoformat() if doc.promulgated_on else "",
            from_organ=edxml.Organ(doc.agency.code, doc.agency.name), status_code="13",
            description=reason[:500], timestamp=timezone.now()), key)
        if rec.agency_id is not None:
            apply_status(data=data)
        else:
            _store_message(agency=doc.agency, direction=Direction.OUT, kind=MessageKind.STATUS,
                           data=data, document_id=str(doc.uuid), from_code=doc.agency.code,
                           to_code=rec.code, status_code="13")
        rec.status, rec.status_at = ExchangeStatus.WITHDRAWN, timezone.now()
        rec.save(update_fields=["status", "status_at"])
    OutgoingEvent.objects.create(document=doc, actor=acting_user, action="withdraw",
                                 from_state=doc.state, to_state=OutState.WITHDRAWN, note=reason)
    doc.state = OutState.WITHDRAWN
    doc.save(update_fields=["state", "updated_at"])
    return doc


def export_package(document: OutgoingDocument) -> bytes:
    """The signed package of a released document, as sent."""
    message = ExchangeMessage.objects.filter(
        agency_id=document.agency_id, direction=Direction.OUT, kind=MessageKind.DOCUMENT,
        document_id=str(document.uuid)).order_by("-id").first()
    if message is None:
        raise ValidationFailed("CORR_NOT_RELEASED", "Văn bản chưa được phát hành.",
                               "The document has not been released.")
    return message_bytes(message)
