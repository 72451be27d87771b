"""Background entry points of the trace app (they only call services): capture jobs, the
ledger's signed tree head every TINHSO_TRACE_STH_SECONDS (whole minutes; 0 turns it off —
then ``tinhso trace sign-head``), and the delivery of EPCIS query subscriptions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from huey import crontab as huey_crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task(retries=2, retry_delay=10)
def run_capture(job_id: str) -> str:
    from tinhso.trace.services import capture_job_run

    job = capture_job_run(job_id=job_id)
    return job.state if job is not None else ""


def sign_tree_head() -> None:
    from tinhso.trace.ledger import head_publish_if_ready

    head_publish_if_ready()


def _crontab() -> Any:
    minutes = max(1, -(-int(settings.TINHSO_TRACE_STH_SECONDS) // 60))
    return huey_crontab(minute=f"*/{minutes}" if minutes < 60 else "0")


if settings.TINHSO_TRACE_STH_SECONDS > 0:
    sign_tree_head_periodic = db_periodic_task(_crontab())(sign_tree_head)


@db_task(priority=5)
def send_subscriptions() -> int:
    """Send the due EPCIS query subscriptions (enqueued after a capture commits)."""
    from tinhso.trace.subscriptions import deliveries_send_due

    return deliveries_send_due()


def _subscriptions_minute() -> int:
    from tinhso.trace.subscriptions import deliveries_send_due, mark_scheduled_due

    mark_scheduled_due()
    return deliveries_send_due()


# Every minute: scheduled subscriptions whose schedule matches, and the safety net for stream
# ones (a lost task, a killed worker, a retry whose wait is over).
subscriptions_periodic = db_periodic_task(huey_crontab(minute="*"))(_subscriptions_minute)
