"""Supplement requests (form 02): the legal clock pauses until the applicant supplements."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tinhso.accounts.models import User
from tinhso.dossiers import lifecycle as lc
from tinhso.dossiers import uploads
from tinhso.dossiers.events import record_event
from tinhso.dossiers.models import Action, AttachmentKind, Dossier, DossierEvent, Status
from tinhso.dossiers.paperwork import issue_after_commit
from tinhso.dossiers.services import _common as c
from tinhso.dossiers.services.intake import Files, attach_files, check_files, validate_form_data


@transaction.atomic
def dossier_request_supplement(*, acting_user: User, dossier: Dossier, reason: str,
                               expected_version: int | None = None) -> Dossier:
    reason = lc.clean_reason(Action.REQUEST_SUPPLEMENT, reason)
    dossier = c.lock_dossier(dossier, expected_version)
    at = c.now()
    lc.guard(Action.REQUEST_SUPPLEMENT, acting_user, dossier, at)
    data: dict[str, Any] = {"resume_status": dossier.status}
    if dossier.status in c.CLOCK_RUNNING:
        data.update(c.pause_clock(dossier, at))
    from_status = dossier.status
    dossier.status = Status.SUPPLEMENT_REQUESTED
    dossier.supplement_count += 1
    c.save(dossier, "status", "paused_at", "remaining_office_seconds", "supplement_count")
    record_event(dossier, actor=acting_user, action=Action.REQUEST_SUPPLEMENT,
                 from_status=from_status, to_status=Status.SUPPLEMENT_REQUESTED, note=reason,
                 data=data, at=at)
    issue_after_commit(acting_user=acting_user, dossier=dossier, form="02",
                       extra={"items": [line for line in reason.splitlines() if line.strip()],
                              "reason": reason})
    return dossier


def dossier_supplement(*, acting_user: User, dossier: Dossier, files: Files,
                       form_data: Any = None, note: str = "") -> Dossier:
    """The applicant answers a supplement request; the clock resumes with the time it had."""
    c.require_applicant(acting_user, dossier)
    if form_data is not None:
        form_data = validate_form_data(dossier.procedure, form_data)
    checked = check_files(dossier.procedure, files, require_all=False)
    if not checked and form_data is None:
        from tinhso.core.errors import ValidationFailed

        raise ValidationFailed("SUPPLEMENT_EMPTY",
                               "Vui lòng tải lên giấy tờ bổ sung hoặc sửa tờ khai.",
                               "Upload the requested documents or correct the form.")
    stored = {item.sha256: uploads.store(item) for item in checked}  # before the lock
    with transaction.atomic():
        dossier = c.lock_dossier(dossier)
        lc.guard(Action.SUPPLEMENT, acting_user, dossier)
        request = (
            DossierEvent.objects.filter(dossier=dossier, action=Action.REQUEST_SUPPLEMENT)
            .order_by("-at", "-id").first()
        )
        info = request.data if request else {}
        at = c.now()
        c.resume_clock(dossier, at, info)
        resume = int(info.get("resume_status", Status.PROCESSING))
        dossier.status = resume
        fields = ["status", "paused_at", "remaining_office_seconds", "due_at",
                  "original_due_at"]
        if form_data is not None:
            dossier.form_data = form_data
            fields.append("form_data")
        attach_files(dossier, checked, user=acting_user, kind=AttachmentKind.SUPPLEMENT,
                     stored=stored)
        c.save(dossier, *fields)
        record_event(dossier, actor=acting_user, action=Action.SUPPLEMENT,
                     from_status=Status.SUPPLEMENT_REQUESTED, to_status=resume,
                     note=note.strip(), at=at,
                     data={"files": [f.sha256 for f in checked]})
    return dossier
