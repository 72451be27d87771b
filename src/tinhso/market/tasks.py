"""Periodic and queued work of the marketplace (Huey); tasks only call services."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tinhso.jobs.policy import retry_policy

logger = logging.getLogger(__name__)


@db_task(**retry_policy())
def market_refund_owed(order_id: int) -> int:
    """Refund a cancelled paid order at once (the sweep below catches up if this fails)."""
    from tinhso.core.errors import Conflict
    from tinhso.market.refunds import refund_owed
    from tinhso.payments.gateway import GatewayUnavailable

    try:
        return len(refund_owed(order_id) or [])
    except (GatewayUnavailable, Conflict):
        logger.warning("refund of order %s left for the sweep", order_id, exc_info=True)
        return 0


@db_periodic_task(crontab(minute="*/5"))
def market_payments_sweep() -> None:
    """querydr for market attempts whose IPN never came; refunds owed by cancelled orders."""
    from tinhso.market.refunds import market_payments_sweep as sweep

    summary = sweep()
    if summary.queried or summary.refunds_sent or summary.errors:
        logger.info("market payments: %s queried, %s paid, %s failed, %s refunds, %s errors",
                    summary.queried, summary.succeeded, summary.failed, summary.refunds_sent,
                    len(summary.errors))


@db_periodic_task(crontab(minute="7"))
def market_deadlines() -> None:
    """Escalate unanswered disputes, complete delivered orders past their time limit."""
    from tinhso.market.deadlines import deadlines_apply

    done = deadlines_apply()
    if any(done.values()):
        logger.info("market deadlines: %s", done)
