"""Background entry points of the notifications app (Huey through ``huey.contrib.djhuey``).

They only call services. A delivery is one task; a failed attempt raises ``RetryLater`` and
Huey runs it again with backoff (30 s, 60 s, 120 s, 240 s), the delivery row logging each try.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tinhso.notifications import conf


@db_task(retries=4, retry_delay=30, retry_backoff=2)
def deliver(delivery_id: int) -> str:
    from tinhso.notifications.services import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)


@db_task(retries=3, retry_delay=10, retry_backoff=2)
def notify_dossier_event(dossier_event_id: int) -> int:
    """The direct path (before the outbox exists): announce one DossierEvent."""
    from tinhso.dossiers.models import DossierEvent
    from tinhso.notifications.handlers import notify_for_dossier_event

    event = DossierEvent.objects.select_related("dossier").filter(pk=dossier_event_id).first()
    return notify_for_dossier_event(event) if event is not None else 0


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
