"""Incoming documents: registration (exchange, e-mail, scanned paper), assignment with a
deadline in working days, handling notes, forwarding, completion, rejection.

``incoming_register`` is the entry point other apps use (the official-mail app registers what
IMAP fetched): see docs/correspondence.md#incoming_register. A state change of a document that
came through the exchange sends an edXML status message back to its sender
(``tinhso.correspondence.exchange.status_emit``) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.core import blobs
from tinhso.core.errors import Conflict, DomainError, ValidationFailed
from tinhso.core.text import fold, nfc
from tinhso.correspondence import permissions as perm
from tinhso.correspondence.models import (
    CorrFile,
    IncomingDocument,
    IncomingEvent,
    InState,
    OrgUnit,
    Register,
    Source,
)
from tinhso.correspondence.numbering import next_number

MAX_ATTACHMENTS = 50
MAX_WORKING_DAYS = 365


def search_text_in(doc: IncomingDocument) -> str:
    return fold(" ".join([str(doc.incoming_number), doc.notation, doc.subject,
                          doc.sender_name, doc.sender_code]))


def _event(doc: IncomingDocument, actor: Any, action: str, to_state: str, note: str = "",
           *, from_state: str | None = None, to_unit: Any = None,
           to_user: Any = None) -> IncomingEvent:
    return IncomingEvent.objects.create(
        incoming=doc, actor=actor, action=action,
        from_state=doc.state if from_state is None else from_state, to_state=to_state,
        note=nfc(note or ""), to_unit=to_unit, to_user=to_user)


def _publish(doc: IncomingDocument, actor: Any, action: str) -> None:
    from tinhso.outbox.services import event_publish

    event_publish(type=f"correspondence.incoming_{action}", aggregate_type="incoming_document",
                  aggregate_id=doc.pk, agency_id=doc.agency_id,
                  actor_id=getattr(actor, "pk", None),
                  payload={"incoming_id": doc.pk, "agency_id": doc.agency_id,
                           "incoming_number": doc.incoming_number, "year": doc.year,
                           "source": doc.source, "notation": doc.notation,
                           "state": doc.state, "due_on": doc.due_on.isoformat()
                           if doc.due_on else None})


@transaction.atomic
def incoming_register(*, acting_user: Any, agency: Any, source: str, sender_name: str,
                      number: str = "", notation: str = "", subject: str, doc_type: str = "",
                      promulgated_on: dt.date | None = None,
                      attachments: Iterable[tuple[str, bytes]] = (),
                      external_ref: str | None = None, sender_code: str = "",
                      received_at: dt.datetime | None = None,
                      content_types: list[str] | None = None) -> IncomingDocument:
    """Register an incoming document with the next incoming number of ``agency`` this year.

    ``acting_user`` None means the system (the exchange, the mail fetcher); otherwise an
    official of ``agency``. With ``external_ref`` the call is idempotent: a second call with
    the same reference returns the first registration and writes nothing.
    """
    if acting_user is not None:
        perm.require_official_of(acting_user, agency.pk)
    if source not in Source.values:
        raise ValidationFailed("CORR_SOURCE_INVALID", "Nguồn văn bản đến không hợp lệ.",
                               "Unknown source.", {"allowed": list(Source.values)})
    subject = nfc(" ".join((subject or "").split()))
    sender_name = nfc(" ".join((sender_name or "").split()))
    if not subject or not sender_name or len(subject) > 500 or len(sender_name) > 200:
        raise ValidationFailed("CORR_INCOMING_INVALID",
                               "Cần trích yếu (tối đa 500 ký tự) và cơ quan gửi.",
                               "Subject (≤ 500 characters) and sender are required.")
    files = list(attachments)
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationFailed("CORR_TOO_MANY_FILES", "Quá nhiều tệp đính kèm.",
                               "Too many attachments.", {"max": MAX_ATTACHMENTS})
    if external_ref:
        existing = IncomingDocument.objects.filter(agency=agency,
                                                   external_ref=external_ref).first()
        if existing is not None:
            return existing
    now = received_at or timezone.now()
    year = timezone.localtime(now).year
    try:
        with transaction.atomic():
            doc = IncomingDocument(
                agency=agency, year=year, received_at=now, source=source,
                sender_name=sender_name, sender_code=sender_code[:40], number=str(number)[:20],
                notation=nfc(notation)[:60], doc_type=doc_type[:4], subject=subject,
                promulgated_on=promulgated_on, external_ref=external_ref or None,
                registered_by=acting_user,
                incoming_number=next_number(agency=agency, register=Register.INCOMING,
                                            year=year))
            doc.search_text = search_text_in(doc)
            doc.save()
    except IntegrityError:
        # A concurrent registration of the same reference won; its number stays, ours is
        # given back with the savepoint.
        if external_ref:
            return IncomingDocument.objects.get(agency=agency, external_ref=external_ref)
        raise
    types = content_types or []
    for i, (name, content) in enumerate(files):
        store_file(doc, name, content, types[i] if i < len(types) else "application/pdf")
    _event(doc, acting_user, "register", InState.REGISTERED, f"nguồn: {source}",
           from_state="")
    _publish(doc, acting_user, "registered")
    return doc


def store_file(doc: IncomingDocument, name: str, content: bytes,
               content_type: str = "application/pdf") -> CorrFile:
    sha = hashlib.sha256(content).hexdigest()
    blob = blobs.put(content, area="documents", sha256=sha)
    return CorrFile.objects.create(agency_id=doc.agency_id, incoming=doc,
                                   name=nfc(name)[:200] or "tep", content_type=content_type,
                                   file=blob.name, size=len(content), sha256=sha)


def _locked(doc: IncomingDocument) -> IncomingDocument:
    return IncomingDocument.objects.select_for_update(of=("self",)).select_related(
        "agency", "handling_unit").get(pk=doc.pk)


def _require_open(doc: IncomingDocument) -> None:
    if not doc.is_open:
        raise Conflict("CORR_WRONG_STATE",
                       f"Văn bản đến đang ở trạng thái “{doc.get_state_display()}”.",
                       f"The incoming document is {doc.state}.", {"state": doc.state})


def _may_dispatch(user: Any, doc: IncomingDocument) -> bool:
    """Leaders and clerks dispatch; the assigned unit's head re-dispatches inside it."""
    return (perm.is_leader(user, doc.agency_id) or perm.is_clerk(user, doc.agency_id)
            or (doc.handling_unit is not None and doc.handling_unit.head_id == user.pk))


def _may_handle(user: Any, doc: IncomingDocument) -> bool:
    return _may_dispatch(user, doc) or (doc.handler_id is not None and
                                        doc.handler_id == user.pk)


def due_date(agency: Any, working_days: int, start: dt.datetime | None = None) -> dt.date:
    from tinhso.workdays.calendar import add_working_days

    if not 1 <= working_days <= MAX_WORKING_DAYS:
        raise ValidationFailed("CORR_WORKING_DAYS_INVALID",
                               f"Số ngày làm việc phải từ 1 đến {MAX_WORKING_DAYS}.",
                               f"Working days must be 1 to {MAX_WORKING_DAYS}.",
                               {"working_days": working_days})
    due = add_working_days(start or timezone.now(), working_days, agency=agency)
    return timezone.localtime(due).date()


def _unit_of(doc: IncomingDocument, unit: OrgUnit | None, handler: Any) -> None:
    if unit is not None and unit.agency_id != doc.agency_id:
        raise ValidationFailed("CORR_UNIT_INVALID", "Đơn vị không thuộc cơ quan.",
                               "The unit belongs to another agency.", {"unit": unit.pk})
    if handler is not None and not perm.official_of(handler, doc.agency_id):
        raise ValidationFailed("CORR_HANDLER_INVALID", "Người xử lý không thuộc cơ quan.",
                               "The handler is not an official of the agency.")


@transaction.atomic
def incoming_assign(*, acting_user: Any, incoming: IncomingDocument, unit: OrgUnit | None,
                    handler: Any = None, working_days: int = 10,
                    note: str = "") -> IncomingDocument:
    """Assign to a handling unit (and person) with a deadline in working days."""
    doc = _locked(incoming)
    _require_open(doc)
    if not _may_dispatch(acting_user, doc):
        raise DomainError("CORR_NOT_DISPATCHER", "Chỉ lãnh đạo, văn thư hoặc trưởng đơn vị "
                          "xử lý được phân công văn bản.", "Only leaders, clerks or the unit "
                          "head assign incoming documents.", status=403)
    if unit is None:
        raise ValidationFailed("CORR_UNIT_REQUIRED", "Cần chọn đơn vị xử lý.",
                               "Choose a handling unit.", {"field": "unit"})
    _unit_of(doc, unit, handler)
    doc.due_on = due_date(doc.agency, working_days)
    _event(doc, acting_user, "assign", InState.ASSIGNED, note, to_unit=unit, to_user=handler)
    doc.handling_unit, doc.handler, doc.state = unit, handler, InState.ASSIGNED
    doc.save(update_fields=["handling_unit", "handler", "state", "due_on"])
    _publish(doc, acting_user, "assigned")
    _status_back(doc, acting_user, "assigned", note)
    _notify_assigned(doc)
    return doc


@transaction.atomic
def incoming_note(*, acting_user: Any, incoming: IncomingDocument,
                  note: str) -> IncomingDocument:
    """A handling note; the first one moves the document to "being handled"."""
    doc = _locked(incoming)
    _require_open(doc)
    if not _may_handle(acting_user, doc):
        raise DomainError("CORR_NOT_HANDLER", "Bạn không xử lý văn bản này.",
                          "You do not handle this document.", status=403)
    if not (note or "").strip() or len(note) > 4000:
        raise ValidationFailed("CORR_NOTE_INVALID", "Ý kiến xử lý phải có nội dung.",
                               "A handling note needs 1 to 4000 characters.")
    first = doc.state != InState.PROCESSING
    _event(doc, acting_user, "note", InState.PROCESSING, note)
    doc.state = InState.PROCESSING
    doc.save(update_fields=["state"])
    if first:
        _status_back(doc, acting_user, "processing", note)
    return doc


@transaction.atomic
def incoming_forward(*, acting_user: Any, incoming: IncomingDocument, unit: OrgUnit | None,
                     handler: Any = None, note: str = "") -> IncomingDocument:
    """Pass the document on (another unit or person), keeping its deadline."""
    doc = _locked(incoming)
    _require_open(doc)
    if not _may_handle(acting_user, doc):
        raise DomainError("CORR_NOT_HANDLER", "Bạn không xử lý văn bản này.",
                          "You do not handle this document.", status=403)
    if unit is None and handler is None:
        raise ValidationFailed("CORR_FORWARD_TARGET", "Cần chọn đơn vị hoặc người nhận.",
                               "Choose a unit or a person to forward to.")
    _unit_of(doc, unit, handler)
    _event(doc, acting_user, "forward", doc.state, note, to_unit=unit, to_user=handler)
    doc.handling_unit = unit or doc.handling_unit
    doc.handler = handler
    doc.save(update_fields=["handling_unit", "handler"])
    _notify_assigned(doc)
    return doc


@transaction.atomic
def incoming_complete(*, acting_user: Any, incoming: IncomingDocument,
                      note: str = "") -> IncomingDocument:
    doc = _locked(incoming)
    _require_open(doc)
    if not _may_handle(acting_user, doc):
        raise DomainError("CORR_NOT_HANDLER", "Bạn không xử lý văn bản này.",
                          "You do not handle this document.", status=403)
    _event(doc, acting_user, "complete", InState.COMPLETED, note)
    doc.state, doc.completed_at = InState.COMPLETED, timezone.now()
    doc.save(update_fields=["state", "completed_at"])
    _publish(doc, acting_user, "completed")
    _status_back(doc, acting_user, "completed", note)
    return doc


@transaction.atomic
def incoming_reject(*, acting_user: Any, incoming: IncomingDocument,
                    reason: str) -> IncomingDocument:
    """Refuse a document sent to the wrong agency (the sender is told: status "rejected")."""
    doc = _locked(incoming)
    _require_open(doc)
    if not (perm.is_clerk(acting_user, doc.agency_id) or
            perm.is_leader(acting_user, doc.agency_id)):
        raise DomainError("CORR_NOT_DISPATCHER", "Chỉ lãnh đạo hoặc văn thư được từ chối.",
                          "Only leaders or clerks reject.", status=403)
    if not (reason or "").strip():
        raise ValidationFailed("CORR_REASON_REQUIRED", "Cần ghi lý do.", "A reason is required.",
                               {"field": "reason"})
    _event(doc, acting_user, "reject", InState.REJECTED, reason)
    doc.state = InState.REJECTED
    doc.save(update_fields=["state"])
    _status_back(doc, acting_user, "rejected", reason)
    return doc


def _status_back(doc: IncomingDocument, actor: Any, status: str, note: str) -> None:
    if doc.source == Source.EXCHANGE and doc.external_ref:
        from tinhso.correspondence.exchange import status_emit

        status_emit(incoming=doc, status=status, actor=actor, note=note)


def _notify_assigned(doc: IncomingDocument) -> None:
    from tinhso.correspondence.reminders import notify_assigned

    transaction.on_commit(lambda: notify_assigned(doc.pk))
