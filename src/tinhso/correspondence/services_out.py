"""Outgoing documents: drafting with versions and comments, the approval chain, numbering,
the two PAdES signatures (leader, then the agency seal) and release to recipients.

Chain: draft → pending_head (the drafting unit's head; skipped when there is none) →
pending_leader → signed (leader: number taken, PDF rendered, personal signature) → issued
(clerk: agency seal) → released (clerk: recipients, edXML packages). Each state change and
each comment is an ``OutgoingEvent`` written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.core import blobs
from tinhso.core.errors import Conflict, DomainError, ValidationFailed
from tinhso.core.text import fold, nfc
from tinhso.correspondence import permissions as perm
from tinhso.correspondence.doctypes import DocType, notation, type_label
from tinhso.correspondence.models import (
    AgencyProfile,
    CorrFile,
    OrgUnit,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingVersion,
    OutState,
    Register,
)
from tinhso.correspondence.numbering import next_number

MAX_SUBJECT = 500
MAX_BODY = 50_000


def profile_of(agency: Any) -> AgencyProfile:
    """The agency's abbreviation and place; derived from its short name when not set."""
    profile = AgencyProfile.objects.filter(agency=agency).first()
    if profile is not None:
        return profile
    words = [w for w in fold(agency.short_name or agency.name).upper().split() if w]
    return AgencyProfile(agency=agency, abbreviation="".join(w[0] for w in words)[:10] or "CQ",
                         place_name=agency.unit.name if agency.unit_id else "")


def search_text_out(doc: OutgoingDocument) -> str:
    return fold(" ".join([doc.notation, doc.subject, doc.agency.name]))


def _event(doc: OutgoingDocument, actor: Any, action: str, to_state: str = "",
           note: str = "", from_state: str | None = None) -> OutgoingEvent:
    return OutgoingEvent.objects.create(document=doc, actor=actor, action=action,
                                        from_state=doc.state if from_state is None
                                        else from_state, to_state=to_state, note=note)


def _locked(doc: OutgoingDocument) -> OutgoingDocument:
    return (OutgoingDocument.objects.select_for_update(of=("self",))
            .select_related("agency", "unit").get(pk=doc.pk))


def _require_state(doc: OutgoingDocument, *states: str) -> None:
    if doc.state not in states:
        raise Conflict("CORR_WRONG_STATE",
                       f"Văn bản đang ở trạng thái “{doc.get_state_display()}”, không thể "
                       "thực hiện thao tác này.",
                       f"The document is {doc.state}; this action is not allowed now.",
                       {"state": doc.state, "allowed_from": list(states)})


def _clean_text(subject: str, body: str) -> tuple[str, str]:
    subject = nfc(" ".join((subject or "").split()))
    body = nfc((body or "").strip())
    if not subject:
        raise ValidationFailed("CORR_SUBJECT_REQUIRED", "Cần nhập trích yếu văn bản.",
                               "The subject is required.", {"field": "subject"})
    if len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        raise ValidationFailed("CORR_TEXT_TOO_LONG", "Trích yếu hoặc nội dung quá dài.",
                               "The subject or body is too long.",
                               {"max_subject": MAX_SUBJECT, "max_body": MAX_BODY})
    return subject, body


def _version(doc: OutgoingDocument, author: Any) -> OutgoingVersion:
    return OutgoingVersion.objects.create(document=doc, number=doc.version, subject=doc.subject,
                                          body=doc.body, recipients_text=doc.recipients_text,
                                          author=author)


@transaction.atomic
def outgoing_create(*, acting_user: Any, doc_type: str, subject: str, body: str = "",
                    recipients_text: str = "", unit: OrgUnit | None = None,
                    due_on: dt.date | None = None) -> OutgoingDocument:
    """A new draft (version 1) by an official of their own agency."""
    perm.require_official_of(acting_user, getattr(acting_user, "agency_id", None))
    if doc_type not in DocType.values:
        raise ValidationFailed("CORR_DOC_TYPE_INVALID", "Loại văn bản không hợp lệ.",
                               "Unknown document type.", {"allowed": list(DocType.values)})
    if unit is None:
        unit = OrgUnit.objects.filter(agency_id=acting_user.agency_id,
                                      members=acting_user).first()
    elif unit.agency_id != acting_user.agency_id:
        raise ValidationFailed("CORR_UNIT_INVALID", "Đơn vị không thuộc cơ quan.",
                               "The unit belongs to another agency.", {"unit": unit.pk})
    subject, body = _clean_text(subject, body)
    doc = OutgoingDocument(agency=acting_user.agency, unit=unit, doc_type=doc_type,
                           subject=subject, body=body, recipients_text=nfc(recipients_text),
                           author=acting_user, due_on=due_on)
    doc.search_text = search_text_out(doc)
    doc.save()
    _version(doc, acting_user)
    _event(doc, acting_user, "create", OutState.DRAFT, from_state="")
    return doc


def _holder_may_edit(user: Any, doc: OutgoingDocument) -> bool:
    if doc.state == OutState.DRAFT:
        return user.pk == doc.author_id or perm.is_leader(user, doc.agency_id)
    if doc.state == OutState.PENDING_HEAD:
        return doc.unit is not None and doc.unit.head_id == user.pk
    if doc.state == OutState.PENDING_LEADER:
        return perm.is_leader(user, doc.agency_id)
    return False


@transaction.atomic
def outgoing_edit(*, acting_user: Any, document: OutgoingDocument, subject: str, body: str,
                  recipients_text: str | None = None,
                  expected_version: int | None = None) -> OutgoingDocument:
    """Save an edit as a new immutable version (by whoever holds the draft now)."""
    doc = _locked(document)
    perm.require_official_of(acting_user, doc.agency_id)
    _require_state(doc, OutState.DRAFT, OutState.PENDING_HEAD, OutState.PENDING_LEADER)
    if not _holder_may_edit(acting_user, doc):
        raise DomainError("CORR_NOT_HOLDER", "Chỉ người đang giữ dự thảo mới được sửa.",
                          "Only the current holder of the draft may edit it.", status=403)
    if expected_version is not None and expected_version != doc.version:
        raise Conflict("CORR_VERSION_CONFLICT",
                       "Dự thảo đã được người khác sửa; vui lòng tải lại.",
                       "The draft was changed meanwhile; reload it.",
                       {"version": doc.version})
    doc.subject, doc.body = _clean_text(subject, body)
    if recipients_text is not None:
        doc.recipients_text = nfc(recipients_text)
    doc.version += 1
    doc.search_text = search_text_out(doc)
    doc.save()
    _version(doc, acting_user)
    _event(doc, acting_user, "edit", doc.state, note=f"phiên bản {doc.version}")
    return doc


@transaction.atomic
def outgoing_comment(*, acting_user: Any, document: OutgoingDocument,
                     text: str) -> OutgoingEvent:
    doc = _locked(document)
    perm.require_official_of(acting_user, doc.agency_id)
    text = nfc((text or "").strip())
    if not text or len(text) > 4000:
        raise ValidationFailed("CORR_COMMENT_INVALID", "Ý kiến phải có nội dung (tối đa 4000 "
                               "ký tự).", "A comment needs 1 to 4000 characters.")
    return _event(doc, acting_user, "comment", doc.state, note=text)


def _next_after_draft(doc: OutgoingDocument, author: Any) -> str:
    unit = doc.unit
    if unit is None or unit.head_id is None or unit.head_id == author.pk:
        return OutState.PENDING_LEADER
    return OutState.PENDING_HEAD


@transaction.atomic
def outgoing_submit(*, acting_user: Any, document: OutgoingDocument,
                    note: str = "") -> OutgoingDocument:
    doc = _locked(document)
    perm.require_official_of(acting_user, doc.agency_id)
    _require_state(doc, OutState.DRAFT)
    if acting_user.pk != doc.author_id:
        raise DomainError("CORR_NOT_AUTHOR", "Chỉ người soạn thảo trình dự thảo.",
                          "Only the author submits the draft.", status=403)
    return _move(doc, acting_user, "submit", _next_after_draft(doc, acting_user), note)


def _move(doc: OutgoingDocument, actor: Any, action: str, to: str, note: str = ""
          ) -> OutgoingDocument:
    _event(doc, actor, action, to, nfc(note or ""))
    doc.state = to
    doc.save(update_fields=["state", "updated_at", *(
        ["number", "year", "notation", "promulgated_on", "signer", "signer_title", "pdf",
         "pdf_sha256", "search_text"] if action == "sign" else
        ["pdf", "pdf_sha256"] if action == "seal" else [])])
    return doc


@transaction.atomic
def outgoing_approve(*, acting_user: Any, document: OutgoingDocument,
                     note: str = "") -> OutgoingDocument:
    """The head of unit approves and passes the draft to the leaders."""
    doc = _locked(document)
    _require_state(doc, OutState.PENDING_HEAD)
    if doc.unit is None or doc.unit.head_id != acting_user.pk:
        raise DomainError("CORR_NOT_HEAD", "Chỉ trưởng đơn vị soạn thảo duyệt bước này.",
                          "Only the head of the drafting unit approves this step.", status=403)
    perm.require_official_of(acting_user, doc.agency_id)
    return _move(doc, acting_user, "approve", OutState.PENDING_LEADER, note)


@transaction.atomic
def outgoing_return(*, acting_user: Any, document: OutgoingDocument,
                    note: str) -> OutgoingDocument:
    """Head or leader sends the draft back to its author with a reason."""
    doc = _locked(document)
    _require_state(doc, OutState.PENDING_HEAD, OutState.PENDING_LEADER)
    if not _holder_may_edit(acting_user, doc):
        raise DomainError("CORR_NOT_HOLDER", "Bạn không giữ dự thảo này.",
                          "You do not hold this draft.", status=403)
    if not (note or "").strip():
        raise ValidationFailed("CORR_REASON_REQUIRED", "Cần ghi lý do trả lại.",
                               "A reason is required.", {"field": "note"})
    return _move(doc, acting_user, "return", OutState.DRAFT, note)


def _content(doc: OutgoingDocument, *, signer_name: str, signer_title: str, authority: str,
             stamps: list[Any], draft: bool) -> Any:
    from tinhso.correspondence.render import OfficialContent

    profile = profile_of(doc.agency)
    parent_agency = doc.agency.parent
    parent = profile.parent_name or (parent_agency.name if parent_agency is not None else "")
    recipients = [line.strip(" -;.") for line in (doc.recipients_text or "").splitlines()
                  if line.strip(" -;.")]
    keep = "VT" + (f", {doc.unit.code}" if doc.unit is not None else "")
    return OfficialContent(
        parent_name=parent, agency_name=doc.agency.name, notation=doc.notation,
        place=profile.place_name or doc.agency.unit.name, day=doc.promulgated_on,
        type_name="" if doc.doc_type == DocType.CONG_VAN else type_label(doc.doc_type),
        subject=doc.subject, body=doc.body, authority=authority, signer_title=signer_title,
        signer_name=signer_name, recipients=recipients, keep=keep, stamps=stamps, draft=draft)


def draft_pdf(document: OutgoingDocument) -> bytes:
    """The current version laid out as it will be issued (no number, no signature)."""
    from tinhso.correspondence.render import render_official

    return render_official(_content(document, signer_name="", signer_title="Người ký",
                                    authority="", stamps=[], draft=True))


def _stamps(doc: OutgoingDocument, leader_cert: Any, seal_common_name: str) -> list[Any]:
    from tinhso.correspondence.render import stamp_boxes
    from tinhso.documents.render import StampSpec

    boxes = stamp_boxes()
    return [StampSpec(title="Người ký", signer=leader_cert.common_name,
                      organisation=doc.agency.name, box=boxes[0]),
            StampSpec(title="Cơ quan", signer=seal_common_name, organisation=doc.agency.name,
                      box=boxes[1])]


@transaction.atomic
def outgoing_sign(*, acting_user: Any, document: OutgoingDocument, signer_title: str = "",
                  authority: str = "") -> OutgoingDocument:
    """The leader approves and signs: the number is taken (locked counter, same transaction:
    a failed signature gives it back), the PDF rendered and signed with the leader's personal
    certificate (PAdES B-LT)."""
    from tinhso.correspondence.render import render_official
    from tinhso.documents.services import agency_certificate
    from tinhso.signatures import signing
    from tinhso.signatures.selectors import usable_certificate

    doc = _locked(document)
    _require_state(doc, OutState.PENDING_LEADER)
    perm.require_role(acting_user, doc.agency_id, "leader")
    leader_cert = usable_certificate(holder_user=acting_user)
    if leader_cert is None:
        raise DomainError("OFFICER_CERTIFICATE_MISSING",
                          "Lãnh đạo chưa có chứng thư số cá nhân còn hiệu lực.",
                          "The leader has no valid personal certificate.", status=409)
    seal = agency_certificate(doc.agency)
    today = timezone.localdate()
    doc.year = today.year
    doc.number = next_number(agency=doc.agency, register=Register.OUTGOING, year=today.year,
                             doc_type=doc.doc_type)
    profile = profile_of(doc.agency)
    doc.notation = notation(doc.number, doc.doc_type, profile.abbreviation,
                            doc.unit.code if doc.unit is not None else "")
    doc.promulgated_on = today
    doc.signer = acting_user
    doc.signer_title = nfc(signer_title or "Lãnh đạo")
    stamps = _stamps(doc, leader_cert, seal.common_name)
    pdf = render_official(_content(doc, signer_name=acting_user.full_name or
                                   acting_user.username, signer_title=doc.signer_title,
                                   authority=nfc(authority), stamps=stamps, draft=False))
    signed = signing.sign_with(pdf, leader_cert, field_name="ChuKyLanhDao",
                               reason=f"Ký ban hành {doc.notation}", location=profile.place_name,
                               placement=signing.StampPlacement(page=_last_page(pdf),
                                                                box=stamps[0].widget_box))
    _store_pdf(doc, signed)
    doc.search_text = search_text_out(doc)
    return _move(doc, acting_user, "sign", OutState.SIGNED, f"Số {doc.notation}")


def _last_page(pdf: bytes) -> int:
    from tinhso.documents.render import page_count

    return page_count(pdf) - 1


def _store_pdf(doc: OutgoingDocument, pdf: bytes) -> None:
    sha = hashlib.sha256(pdf).hexdigest()
    doc.pdf.name = blobs.put(pdf, area="documents", sha256=sha, suffix=".pdf").name
    doc.pdf_sha256 = sha


def signed_pdf(doc: OutgoingDocument) -> bytes:
    with blobs.open_verified(str(doc.pdf.name), sha256=doc.pdf_sha256,
                             size=_size(doc)) as handle:
        return handle.read()


def _size(doc: OutgoingDocument) -> int:
    return blobs.path_of(str(doc.pdf.name)).stat().st_size


@transaction.atomic
def outgoing_seal(*, acting_user: Any, document: OutgoingDocument) -> OutgoingDocument:
    """The clerk adds the agency's organisation signature (the digital seal) over the leader's:
    an incremental update, so both signatures verify."""
    from tinhso.documents.services import agency_certificate
    from tinhso.signatures import signing

    doc = _locked(document)
    _require_state(doc, OutState.SIGNED)
    perm.require_role(acting_user, doc.agency_id, "clerk")
    seal = agency_certificate(doc.agency)
    pdf = signed_pdf(doc)
    leader_cert_name = doc.signer.full_name if doc.signer else ""
    box = _stamps_for_seal(doc, leader_cert_name, seal.common_name)
    sealed = signing.sign_with(pdf, seal, field_name="ChuKyCoQuan",
                               reason=f"Văn thư đóng dấu {doc.notation}",
                               location=profile_of(doc.agency).place_name,
                               placement=signing.StampPlacement(page=_last_page(pdf), box=box))
    _store_pdf(doc, sealed)
    CorrFile.objects.create(agency=doc.agency, outgoing=doc,
                            name=f"{doc.notation.replace('/', '_')}.pdf",
                            file=doc.pdf.name, size=len(sealed), sha256=doc.pdf_sha256)
    return _move(doc, acting_user, "seal", OutState.ISSUED)


def _stamps_for_seal(doc: OutgoingDocument, leader: str, seal: str) -> tuple[int, int, int, int]:
    from tinhso.correspondence.render import stamp_boxes
    from tinhso.documents.render import StampSpec

    return StampSpec(title="Cơ quan", signer=seal, organisation=doc.agency.name,
                     box=stamp_boxes()[1]).widget_box


def outgoing_withdraw_allowed(doc: OutgoingDocument) -> bool:
    return doc.state == OutState.RELEASED
