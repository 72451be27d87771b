"""Background entry points of the national connectors (Huey; they only call services)."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

FOLLOW_UP_MAX_SECONDS = 60


def _push() -> dict[str, int]:
    from tinhso.connectors.services import next_due_in, portal_push_due

    if not settings.TINHSO_NATIONAL_PORTAL_SERVICE:
        return {}
    out = portal_push_due()
    wait = next_due_in()
    if wait is not None and wait < FOLLOW_UP_MAX_SECONDS:
        portal_push_task.schedule(delay=max(1.0, wait))
    return out


@db_task(priority=5)
def portal_push_task() -> dict[str, int]:
    return _push()


@db_periodic_task(crontab(minute="*"))
def portal_push_periodic() -> dict[str, int]:
    return _push()


@db_periodic_task(crontab(minute="30", hour="1"))
def catalogue_sync_daily() -> None:
    from tinhso.connectors.services import catalogue_sync

    if settings.TINHSO_NATIONAL_PORTAL_SERVICE:
        catalogue_sync()
