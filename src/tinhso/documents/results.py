"""The real result of a decision, exactly one per decision (issue 11).

After the leader's approval (the decision), an official of the agency attaches its result:

- **generated** from the procedure's template (``forms.result_from_template``), signed by a
  ``DocumentJob`` like every one-stop form — an electronic result gets this one at approval;
- **uploaded**: a PDF made elsewhere (the agency's document system, a scan of a signed paper),
  checked like every upload (type by content, size, active content, polyglots), then sealed
  by the platform with the agency's organisation certificate (PAdES B-LT, as generated results
  are), so the public verification page recognises it.

One current result per decision is a database constraint (``dossier_result_one_per_decision``):
of two racing attaches one commits, the other gets 409 ``RESULT_ALREADY_ATTACHED``. Replacing a
wrong result is a separate, explicit act of the leader with a reason: the old row is marked
replaced (who, when, why), audited, announced, and kept.
"""

from __future__ import annotations

import uuid as uuid_lib
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.accounts.models import AuditLog
from tinhso.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from tinhso.core.text import nfc
from tinhso.documents.models import (
    Document,
    DocumentForm,
    DocumentJob,
    DossierResult,
    IssueState,
    ResultSource,
)

ATTACH_ROLES = ("receiver", "specialist", "leader")
MAX_REASON = 2000


def already_attached(result: DossierResult) -> Conflict:
    return Conflict(
        "RESULT_ALREADY_ATTACHED",
        "Quyết định này đã có kết quả. Muốn thay kết quả sai, lãnh đạo dùng thao tác “Thay "
        "kết quả” và ghi rõ lý do.",
        "This decision already has its result. To replace a wrong result, a leader uses "
        "'replace' with a reason.",
        {"source": result.source, "attached_at": result.attached_at.isoformat()})


def current_result(dossier: Any) -> DossierResult | None:
    """The dossier's current result (of its latest decision), or None."""
    return (DossierResult.objects.select_related("document", "job", "attached_by")
            .filter(dossier_id=dossier.pk, replaced_at__isnull=True)
            .order_by("-decision_id").first())


def result_history(dossier: Any) -> list[DossierResult]:
    return list(DossierResult.objects.select_related("document", "job", "attached_by",
                                                     "replaced_by")
                .filter(dossier_id=dossier.pk).order_by("attached_at", "id"))


def _decision(dossier: Any) -> Any:
    from tinhso.dossiers.models import Action, DossierEvent, Status

    event = None
    if dossier.status in (Status.PROCESSED, Status.RETURNED):
        event = (DossierEvent.objects.filter(dossier_id=dossier.pk, action=Action.APPROVE)
                 .order_by("-at", "-id").first())
    if event is None:
        raise Conflict("RESULT_NO_DECISION",
                       "Hồ sơ chưa được phê duyệt nên chưa thể đính kèm kết quả.",
                       "The dossier has not been approved: there is no decision to attach a "
                       "result to.", {"status": dossier.status})
    return event


def _require_attacher(user: Any, dossier: Any, replacing: bool) -> None:
    if not getattr(user, "is_official", False) or not user.is_active or (
            user.agency_id != dossier.agency_id and not user.is_province_admin):
        raise PermissionDenied({"reason": "other_agency"})
    roles = ("leader",) if replacing else ATTACH_ROLES
    if not (user.has_role(*roles) or user.is_province_admin):
        raise PermissionDenied({"reason": "role", "roles": list(roles)})


def _clean_reason(replace: bool, reason: str) -> str:
    reason = nfc((reason or "").strip())
    if replace and not reason:
        raise ValidationFailed("REASON_REQUIRED",
                               "Cần ghi lý do thay kết quả.",
                               "A reason is required to replace a result.", {"field": "reason"})
    if len(reason) > MAX_REASON:
        raise ValidationFailed("REASON_TOO_LONG", "Lý do dài quá 2.000 ký tự.",
                               "The reason is longer than 2,000 characters.",
                               {"limit": MAX_REASON})
    return reason


def _checked_pdf(upload: Any) -> Any:
    from tinhso.dossiers import uploads

    if upload is None:
        raise ValidationFailed("RESULT_FILE_REQUIRED", "Vui lòng chọn tệp PDF kết quả.",
                               "Choose the result's PDF file.", {"field": "file"})
    checked = uploads.check_upload("result", upload)
    if checked.content_type != "application/pdf":
        raise ValidationFailed("RESULT_NOT_PDF", "Kết quả phải là tệp PDF.",
                               "The result must be a PDF file.",
                               {"detected": checked.content_type})
    return checked


def _seal(content: bytes, agency: Any) -> tuple[bytes, list[Any]]:
    """The agency's seal on the uploaded PDF (an invisible PAdES signature added
    incrementally: signatures already in the file stay valid)."""
    from tinhso.documents.services import agency_certificate
    from tinhso.signatures import signing

    cert = agency_certificate(agency)
    try:
        signed = signing.sign_with(content, cert, field_name=f"KetQua{uuid_lib.uuid4().hex[:8]}",
                                   reason=nfc(DocumentForm.RESULT.label),
                                   location=agency.unit.name if agency.unit_id else "")
    except DomainError:
        raise
    except Exception as exc:  # encrypted, damaged or otherwise unsignable PDF
        raise ValidationFailed("RESULT_PDF_UNREADABLE",
                               "Không ký được tệp PDF này (tệp hỏng hoặc có mật khẩu). "
                               "Vui lòng xuất lại tệp PDF.",
                               "This PDF cannot be signed (damaged or encrypted).",
                               {"error": type(exc).__name__}) from exc
    return signed, [cert]


def result_attach(*, acting_user: Any, dossier: Any, source: str, upload: Any = None,
                  replace: bool = False, reason: str = "") -> DossierResult:
    """Attach the result of the dossier's decision (see the module's docstring).

    ``replace`` must be given to put a new result in place of the current one (leaders only,
    with ``reason``); without it a second attach is refused with RESULT_ALREADY_ATTACHED.
    """
    if source not in ResultSource.values:
        raise ValidationFailed("RESULT_SOURCE_INVALID", "Nguồn kết quả không hợp lệ.",
                               "Unknown result source.", {"allowed": list(ResultSource.values)})
    _require_attacher(acting_user, dossier, replace)
    reason = _clean_reason(replace, reason)
    decision = _decision(dossier)
    existing = current_result(dossier)
    if existing is not None and existing.decision_id == decision.pk and not replace:
        raise already_attached(existing)  # before any signing work
    sealed: tuple[bytes, list[Any]] | None = None
    original_name = ""
    if source == ResultSource.UPLOADED:
        checked = _checked_pdf(upload)
        original_name = checked.original_name
        sealed = _seal(checked.content, dossier.agency)
    try:
        with transaction.atomic():
            return _attach_locked(acting_user=acting_user, dossier=dossier, source=source,
                                  sealed=sealed, original_name=original_name, replace=replace,
                                  reason=reason)
    except IntegrityError as exc:  # the racing attach committed first
        winner = current_result(dossier)
        if winner is None:
            raise
        raise already_attached(winner) from exc


def _attach_locked(*, acting_user: Any, dossier: Any, source: str,
                   sealed: tuple[bytes, list[Any]] | None, original_name: str, replace: bool,
                   reason: str) -> DossierResult:
    from tinhso.dossiers.services._common import lock_dossier

    dossier = lock_dossier(dossier)
    decision = _decision(dossier)
    now = timezone.now()
    current = (DossierResult.objects.select_for_update()
               .filter(decision_id=decision.pk, replaced_at__isnull=True).first())
    if current is not None and not replace:
        raise already_attached(current)
    if current is not None:
        current.replaced_at, current.replaced_by, current.replace_reason = (
            now, acting_user, reason)
        current.save(update_fields=["replaced_at", "replaced_by", "replace_reason"])
    result = DossierResult(dossier=dossier, decision=decision, source=source,
                           attached_by=acting_user, attached_at=now)
    job_to_run: int | None = None
    if sealed is not None:
        result.document = _store_upload(dossier, acting_user, sealed, original_name, now)
    else:
        result.job, job_to_run = _result_job(dossier, decision, acting_user)
        if result.job.state == IssueState.SIGNED:
            result.document = result.job.document
    result.save()
    AuditLog.objects.create(
        actor=acting_user, action="result_replace" if current else "result_attach",
        object_type="dossier", object_id=dossier.code,
        data={"source": source, "result_id": result.pk, "decision_event": decision.pk,
              "document": str(result.document.uuid) if result.document else None,
              "replaced_result": current.pk if current else None, "reason": reason})
    _publish(result, dossier, acting_user, current)
    if job_to_run is not None:
        from tinhso.documents.issuing import enqueue

        transaction.on_commit(lambda: enqueue(job_to_run))
    return result


def _store_upload(dossier: Any, acting_user: Any, sealed: tuple[bytes, list[Any]],
                  original_name: str, now: Any) -> Document:
    from tinhso.documents.services import _store

    pdf, certs = sealed
    doc = _store(doc_uuid=uuid_lib.uuid4(), pdf=pdf, form=DocumentForm.RESULT,
                 agency=dossier.agency, dossier=dossier, acting_user=acting_user, certs=certs,
                 signed_at=now)
    if doc.attachment is not None and original_name:
        # The citizen downloads it under the name the agency gave it.
        doc.attachment.original_name = original_name
        doc.attachment.save(update_fields=["original_name"])
    return doc


def _result_job(dossier: Any, decision: Any, acting_user: Any) -> tuple[DocumentJob, int | None]:
    """The decision's one signing job of the generated result (created, re-armed after a
    failure, or reused when already signed); the id to enqueue after commit, if any."""
    job = (DocumentJob.objects.select_for_update()
           .filter(dossier_event=decision, form=DocumentForm.RESULT).first())
    if job is None:
        job = DocumentJob.objects.create(dossier=dossier, dossier_event=decision,
                                         form=DocumentForm.RESULT, actor=acting_user)
        return job, job.pk
    if job.state == IssueState.FAILED:
        job.state, job.reason, job.actor = IssueState.PENDING, "", acting_user
        job.save(update_fields=["state", "reason", "actor", "updated_at"])
    return job, (job.pk if job.state == IssueState.PENDING else None)


def _publish(result: DossierResult, dossier: Any, acting_user: Any,
             replaced: DossierResult | None) -> None:
    from tinhso.outbox.services import event_publish

    event_publish(
        type="dossier.result_attached", aggregate_type="dossier", aggregate_id=dossier.pk,
        agency_id=dossier.agency_id, actor_id=getattr(acting_user, "pk", None),
        payload={"dossier_id": dossier.pk, "dossier_code": dossier.code,
                 "result_id": result.pk, "source": result.source,
                 "decision_event_id": result.decision_id,
                 "document_uuid": str(result.document.uuid) if result.document else None,
                 "replaced_result_id": replaced.pk if replaced else None,
                 "at": result.attached_at.isoformat()})


# --- Hooks of the signing jobs (tinhso.documents.issuing) --------------------------------------


def record_generated(job: DocumentJob, event: Any) -> None:
    """An approval that produces an electronic result: its job is the decision's result,
    unless the decision already has (or had) one. Called in the step's transaction."""
    if DossierResult.objects.filter(decision_id=event.pk).exists():
        return
    try:
        with transaction.atomic():
            DossierResult.objects.create(dossier_id=job.dossier_id, decision=event,
                                         source=ResultSource.GENERATED, job=job,
                                         attached_by=event.actor, attached_at=event.at)
    except IntegrityError:  # attached by a concurrent caller: one result all the same
        pass


def job_signed(job: DocumentJob, document: Document) -> None:
    """The generated result's job has signed: its result rows now point at the document."""
    if job.form == DocumentForm.RESULT:
        DossierResult.objects.filter(job=job, document__isnull=True).update(document=document)
