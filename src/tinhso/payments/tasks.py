"""Periodic payment work (Huey); tasks only call services."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
def resolve_pending_payments() -> None:
    """Ask VNPAY about attempts whose IPN never came (querydr); confirm or fail them."""
    from tinhso.payments.gateway import payments_resolve_pending

    summary = payments_resolve_pending()
    if summary.queried:
        logger.info("querydr: %s queried, %s paid, %s failed, %s errors", summary.queried,
                    summary.succeeded, summary.failed, len(summary.errors))


@db_periodic_task(crontab(minute="23"))
def receipts_catch_up() -> None:
    """Receipts that could not be signed when their payment settled (the last 7 days)."""
    from tinhso.payments.receipts import receipts_issue_missing

    since = timezone.now() - dt.timedelta(days=7)
    try:
        issued = receipts_issue_missing(limit=500, since=since)
    except Exception:  # the next hour tries again; one bad payment must not stop the task
        logger.exception("receipts catch-up failed")
        return
    if issued:
        logger.info("receipts catch-up: %s issued", issued)
