"""Background entry points of the documents app (Huey through ``huey.contrib.djhuey``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tinhso.jobs.policy import retry_policy


@db_task(**retry_policy())
def issue_document(job_id: int, request_id: str = "") -> str:
    from tinhso.core.observability import bound_request_id
    from tinhso.documents.issuing import document_job_run

    with bound_request_id(request_id):
        job = document_job_run(job_id=job_id)
    return job.state if job is not None else ""


@db_periodic_task(crontab(minute="*/10"))
def requeue_stale_document_jobs() -> int:
    from tinhso.documents.issuing import jobs_requeue_stale

    return jobs_requeue_stale()
