"""Background entry points of the trace app (they only call services): capture jobs, and the
ledger's signed tree head every TINHSO_TRACE_STH_SECONDS (whole minutes; 0 turns it off —
then ``tinhso trace sign-head``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from huey.contrib.djhuey import db_task


@db_task(retries=2, retry_delay=10)
def run_capture(job_id: str) -> str:
    from tinhso.trace.services import capture_job_run

    job = capture_job_run(job_id=job_id)
    return job.state if job is not None else ""


def sign_tree_head() -> None:
    from tinhso.trace.ledger import head_publish_if_ready

    head_publish_if_ready()


def _crontab() -> Any:
    from huey import crontab

    minutes = max(1, -(-int(settings.TINHSO_TRACE_STH_SECONDS) // 60))
    return crontab(minute=f"*/{minutes}" if minutes < 60 else "0")


if settings.TINHSO_TRACE_STH_SECONDS > 0:
    from huey.contrib.djhuey import db_periodic_task

    sign_tree_head_periodic = db_periodic_task(_crontab())(sign_tree_head)
