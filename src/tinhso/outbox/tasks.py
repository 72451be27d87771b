"""Background entry points of the outbox (Huey tasks; they only call dispatch).

Lag stays in seconds without a busy loop: ``event_publish`` nudges the dispatcher after each
commit (``nudge_dispatcher``), every starting worker runs it once, and a per-minute periodic run
is the safety net for a lost nudge (the queue was down, a worker was killed holding it) or a
consumer that failed and must be tried again. Huey's periodic tasks
run at most once a minute, so a short wait (a gap in the ids, PostgreSQL) is retried by
scheduling one follow-up a few seconds later instead.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from tinhso.outbox.dispatch import dispatch_all
from tinhso.outbox.models import ConsumerCursor

logger = logging.getLogger(__name__)

GAP_RETRY_SECONDS = 2


def _run() -> None:
    report = dispatch_all()
    if report.pending:
        dispatch_outbox()  # more than one batch waiting: keep going in a fresh task
    elif ConsumerCursor.objects.filter(horizon_id__isnull=False).exists():
        dispatch_outbox.schedule(delay=GAP_RETRY_SECONDS)


@db_task(priority=10)
def dispatch_outbox() -> None:
    _run()


@db_periodic_task(crontab(minute="*"))
def dispatch_outbox_periodic() -> None:
    _run()


@on_startup()
def _dispatch_on_start() -> None:
    # A worker killed mid-job took its dequeued nudges with it: the outbox still holds every
    # event, so a (re)starting worker looks at once instead of at the next minute.
    dispatch_outbox()


def nudge_dispatcher() -> None:
    """Enqueue one dispatcher run (called after a commit that published events)."""
    dispatch_outbox()
