"""The one-stop forms a dossier's steps produce: 01 receipt, 02–06 and the result.

A transition commits first; its signed PDF is produced by a job (``tinhso.documents.issuing``),
never in the request: signing takes ~0.1 s (PAdES B-LT with a time-stamp), and a signing
problem — the provincial CA not initialised, a revoked agency certificate — must not undo or
block the legal act itself. The job's state (đang ký / đã ký / lỗi) shows on the dossier page.

``issue_after_commit`` writes the step's job row in the step's own transaction (so the page shows
"đang ký" at once) and enqueues it after the commit (so it is signed within moments). The
outbox's "documents" consumer is the safety net: if the process dies between the commit and the
enqueue, it finds the same job from the step's event and runs it. Both paths meet on the job's
claim and its pre-chosen document uuid, so a step never gets two documents.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction


def issue_after_commit(*, acting_user: Any, dossier: Any, form: str,
                       extra: dict[str, Any] | None = None, event: Any = None) -> None:
    """Queue the form of the step just recorded for ``dossier``. ``form`` and ``extra`` are
    kept for the callers; the job reads both from the step's event (one path for all).

    ``event``: the step's event as ``record_event`` returned it, in this transaction — saves
    reading it back, and its job is new for sure (nobody else sees the uncommitted event)."""
    from tinhso.documents import issuing
    from tinhso.dossiers.models import DossierEvent

    if event is not None:
        job = issuing.job_for_new_event(event, form)
    else:
        # The dossier row is locked by the step's transaction: its last event is this step's.
        event = (DossierEvent.objects.select_related("dossier", "actor")
                 .filter(dossier_id=dossier.pk).order_by("-id").first())
        if event is None:
            return
        job = issuing.job_for_event(event, form)
    if job is None:
        return
    job_id = job.pk
    transaction.on_commit(lambda: issuing.enqueue(job_id))
