"""The one-stop forms, issued by jobs after the step commits: one document per dossier step.

A step that produces a form (receive → 01, supplement request → 02, refusal → 03, apology → 04,
approval of an electronic result → result) gets one ``DocumentJob`` keyed on its DossierEvent.
The job signs in a worker, never in the request. A signing problem (no CA yet, a revoked
certificate) is recorded on the job as "lỗi" with its reason — the dossier has moved on
regardless — and an official retries it from the dossier page.

``handle_event`` is the outbox's "documents" consumer; until the outbox exists,
``dossiers.paperwork.issue_after_commit`` creates the job in the step's transaction and
enqueues it after the commit. Both paths meet on the (dossier event, form) unique constraint.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from tinhso.documents.models import Document, DocumentForm, DocumentJob, IssueState

logger = logging.getLogger(__name__)

# The forms each step produces: stopping a dossier gives the stop notice (05) and closes the
# processing control sheet (06); returning the result closes the sheet too.
FORMS_FOR_ACTION: dict[str, tuple[str, ...]] = {
    "receive": (DocumentForm.RECEIPT,), "create_direct": (DocumentForm.RECEIPT,),
    "request_supplement": (DocumentForm.SUPPLEMENT,), "refuse": (DocumentForm.REFUSAL,),
    "apologize": (DocumentForm.APOLOGY,), "approve": (DocumentForm.RESULT,),
    "stop": (DocumentForm.STOP, DocumentForm.CONTROL),
    "return_result": (DocumentForm.CONTROL,),
}
ACTION_FOR_FORM: dict[str, tuple[str, ...]] = {
    DocumentForm.RECEIPT: ("receive", "create_direct"),
    DocumentForm.SUPPLEMENT: ("request_supplement",),
    DocumentForm.REFUSAL: ("refuse",),
    DocumentForm.APOLOGY: ("apologize",),
    DocumentForm.RESULT: ("approve",),
    DocumentForm.STOP: ("stop",),
    DocumentForm.CONTROL: ("return_result", "stop"),
}
TYPES = {"dossier.received", "dossier.supplement_requested", "dossier.refused",
         "dossier.apologized", "dossier.approved", "dossier.stopped",
         "dossier.result_returned"}
CLAIM = dt.timedelta(minutes=5)


def extra_for(event: Any, form: str) -> dict[str, Any]:
    """What the form needs beyond the dossier, read from the step's own event."""
    note = event.note or ""
    if form == DocumentForm.SUPPLEMENT:
        return {"items": [line for line in note.splitlines() if line.strip()], "reason": note}
    if form in (DocumentForm.REFUSAL, DocumentForm.STOP):
        return {"reason": note}
    if form == DocumentForm.APOLOGY:
        return {"reason": note, "new_due_at": event.due_at.isoformat() if event.due_at else None}
    return {}


def wanted_forms(event: Any) -> tuple[str, ...]:
    """The forms this step produces (none when issuing is off or no official acted)."""
    if not getattr(settings, "TINHSO_ISSUE_DOCUMENTS", True):
        return ()
    actor = event.actor
    if actor is None or not getattr(actor, "is_official", False):
        return ()
    return tuple(form for form in FORMS_FOR_ACTION.get(event.action, ())
                 if form != DocumentForm.RESULT or event.dossier.result_electronic)


def jobs_for_event(event: Any) -> list[DocumentJob]:
    return [job for form in wanted_forms(event)
            if (job := job_for_event(event, form)) is not None]


def job_for_event(event: Any, form: str) -> DocumentJob | None:
    """Create (or find) the job of this step and form; safe to call any number of times."""
    if form not in wanted_forms(event):
        return None
    try:
        with transaction.atomic():
            job, _ = DocumentJob.objects.get_or_create(
                dossier_event=event, form=form,
                defaults={"dossier_id": event.dossier_id, "actor_id": event.actor_id})
    except IntegrityError:  # created by a concurrent caller
        job = DocumentJob.objects.get(dossier_event=event, form=form)
    if form == DocumentForm.RESULT:
        from tinhso.documents.results import record_generated

        record_generated(job, event)
    return job


def job_for_new_event(event: Any, form: str) -> DocumentJob | None:
    """The job of an event created in the caller's still open transaction: no other
    transaction can see the event yet, so one INSERT, no look-up first and no savepoint."""
    if form not in wanted_forms(event):
        return None
    return DocumentJob.objects.create(dossier_event=event, form=form,
                                      dossier_id=event.dossier_id, actor_id=event.actor_id)


def enqueue(job_id: int) -> None:
    from tinhso.core.observability import current_request_id
    from tinhso.documents.tasks import issue_document

    try:
        issue_document(job_id, request_id=current_request_id())
    except Exception:  # the queue is down: the sweeper picks pending jobs up again
        logger.exception("document job %s not enqueued", job_id)


def _claim(job_id: int, now: dt.datetime) -> DocumentJob | None:
    with transaction.atomic():
        job = DocumentJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != IssueState.PENDING:
            return None
        if job.claimed_until is not None and job.claimed_until > now:
            return None  # another worker is signing it
        job.attempts += 1
        job.claimed_until = now + CLAIM
        job.save(update_fields=["attempts", "claimed_until", "updated_at"])
        return job


def _finish(job: DocumentJob, *, state: str, reason: str = "",
            document: Document | None = None) -> None:
    job.state, job.reason, job.claimed_until = state, reason[:2000], None
    fields = ["state", "reason", "claimed_until", "updated_at"]
    if document is not None:
        job.document = document
        fields.append("document")
    job.save(update_fields=fields)
    if document is not None:
        from tinhso.documents.results import job_signed

        job_signed(job, document)


def document_job_run(*, job_id: int) -> DocumentJob | None:
    """Sign and store the job's document once. A DomainError (signing impossible) is recorded
    as the job's failure and not raised; anything else is recorded and raised for a retry."""
    from tinhso.documents.services import document_issue
    from tinhso.dossiers.models import Dossier, DossierEvent

    job = _claim(job_id, timezone.now())
    if job is None:
        return DocumentJob.objects.filter(pk=job_id).first()
    existing = Document.objects.filter(uuid=job.document_uuid).first()
    if existing is not None:  # stored by an attempt that died before recording it
        _finish(job, state=IssueState.SIGNED, document=existing)
        return job
    event = DossierEvent.objects.get(pk=job.dossier_event_id)
    dossier = Dossier.objects.select_related("procedure", "agency").get(pk=job.dossier_id)
    try:
        if job.actor is None:
            raise PermissionDenied({"reason": "no_signer"})
        document = document_issue(acting_user=job.actor, dossier=dossier, form=job.form,
                                  extra=extra_for(event, job.form),
                                  doc_uuid=job.document_uuid)
    except DomainError as exc:
        _finish(job, state=IssueState.FAILED, reason=f"{exc.code}: {exc.message_vi}")
        logger.warning("form %s for %s not issued: %s %s", job.form, dossier.code, exc.code,
                       exc.message_en)
        return job
    except Exception as exc:
        _finish(job, state=IssueState.PENDING, reason=f"{type(exc).__name__}: {exc}")
        raise
    _finish(job, state=IssueState.SIGNED, document=document)
    return job


def handle_event(event: Any) -> None:
    """The outbox's "documents" consumer: issue the step's form in this worker."""
    from tinhso.dossiers.models import DossierEvent

    if event.type not in TYPES:
        return
    dossier_event_id = (event.payload or {}).get("dossier_event_id")
    dossier_event = (DossierEvent.objects.select_related("dossier", "actor")
                     .filter(pk=dossier_event_id).first())
    if dossier_event is None:
        return
    for job in jobs_for_event(dossier_event):
        if job.state == IssueState.PENDING:
            document_job_run(job_id=job.pk)


def _require_official_of(user: Any, dossier: Any) -> None:
    if not getattr(user, "is_official", False) or not user.is_active or (
            user.agency_id != dossier.agency_id and not user.is_province_admin):
        raise PermissionDenied({"reason": "other_agency"})


@transaction.atomic
def document_request(*, acting_user: Any, dossier: Any, form: str) -> DocumentJob:
    """The "Phát hành PDF" button: issue the form of the dossier's latest matching step, or
    retry it after a failure. An already signed form is returned as it is (no second copy)."""
    from tinhso.dossiers.models import DossierEvent

    _require_official_of(acting_user, dossier)
    actions = ACTION_FOR_FORM.get(form)
    if actions is None:
        raise NotFound("Loại văn bản không hợp lệ.", "Unknown document form.", {"form": form},
                       code="DOCUMENT_FORM_INVALID")
    event = (DossierEvent.objects.select_related("dossier", "actor")
             .filter(dossier=dossier, action__in=actions).order_by("-at", "-id").first())
    if event is None:
        raise Conflict("NO_STEP_FOR_FORM", "Hồ sơ chưa có bước tạo ra văn bản này.",
                       "The dossier has no step that produces this form.", {"form": form})
    job = DocumentJob.objects.select_for_update().filter(dossier_event=event, form=form).first()
    if form == DocumentForm.RESULT:
        _refuse_second_result(dossier, event, job)
    if job is None:
        # A step done before jobs existed, or by a non-official: the requester signs it.
        job = DocumentJob.objects.create(dossier=dossier, dossier_event=event, form=form,
                                         actor=acting_user)
        if form == DocumentForm.RESULT:
            from tinhso.documents.results import record_generated

            record_generated(job, event)
    elif job.state == IssueState.FAILED:
        job.state, job.reason, job.actor = IssueState.PENDING, "", acting_user
        job.save(update_fields=["state", "reason", "actor", "updated_at"])
    else:
        return job  # signing, or signed: nothing to do
    job_id = job.pk
    transaction.on_commit(lambda: enqueue(job_id))
    return job


def _refuse_second_result(dossier: Any, event: Any, job: DocumentJob | None) -> None:
    """The result form belongs to the decision's one result: the button may (re)sign the
    generated result, never add a second result beside an uploaded one."""
    from tinhso.documents.results import already_attached, current_result

    current = current_result(dossier)
    if current is not None and current.decision_id == event.pk and (
            job is None or current.job_id != job.pk):
        raise already_attached(current)


def jobs_requeue_stale(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Pending jobs whose queue message was lost (worker killed, queue down) go back to it."""
    now = timezone.now()
    stale = list(DocumentJob.objects.filter(state=IssueState.PENDING,
                                            updated_at__lt=now - older_than)
                 .exclude(claimed_until__gt=now).values_list("pk", flat=True)[:1000])
    for job_id in stale:
        enqueue(job_id)
    return len(stale)
