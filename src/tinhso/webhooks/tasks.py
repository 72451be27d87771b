"""Background entry points of outgoing events (Huey; they only call services).

``send_due_task`` is enqueued after each commit that created deliveries or replayed one; when
retries wait (5 s, 5 min …) it schedules itself for the next due time; a per-minute periodic
sweep is the safety net (a lost task, a killed worker)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

# Follow-ups sooner than the periodic sweep (Huey's periodic granularity is one minute).
FOLLOW_UP_MAX_SECONDS = 60


def _send() -> int:
    from tinhso.webhooks.services import deliveries_send_due, next_due_in

    sent = deliveries_send_due()
    wait = next_due_in()
    if wait is not None and wait < FOLLOW_UP_MAX_SECONDS:
        send_due_task.schedule(delay=max(1.0, wait))
    return sent


@db_task(priority=5)
def send_due_task() -> int:
    return _send()


@db_periodic_task(crontab(minute="*"))
def send_due_periodic() -> int:
    return _send()
