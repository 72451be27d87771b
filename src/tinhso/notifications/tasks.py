"""Background entry points of the notifications app (Huey through ``huey.contrib.djhuey``).

They only call services. A delivery is one task; a failed attempt raises ``RetryLater`` and
Huey runs it again with backoff (``tinhso.jobs.policy``: 30 s, 60 s, 120 s, 240 s by default),
the delivery row logging each try. A delivery whose job was lost (worker killed) is handed back
to the queue by ``requeue_stale_deliveries``.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tinhso.jobs.policy import retry_policy
from tinhso.notifications import conf


@db_task(**retry_policy())
def deliver(delivery_id: int, request_id: str = "") -> str:
    from tinhso.core.observability import bound_request_id
    from tinhso.notifications.services import delivery_attempt

    with bound_request_id(request_id):
        return delivery_attempt(delivery_id=delivery_id)


@db_periodic_task(crontab(minute="*/10"))
def requeue_stale_deliveries() -> int:
    from tinhso.notifications.services import deliveries_requeue_stale

    return deliveries_requeue_stale()


@db_periodic_task(crontab(minute="15"))
def deadline_reminders() -> dict[str, int]:
    from tinhso.notifications.reminders import reminders_send

    if not conf.enabled():
        return {}
    return reminders_send()
