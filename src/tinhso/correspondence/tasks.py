"""Background entry points of correspondence (they only call services): sending packages and
status messages to outside agencies over the LGSP, and the daily deadline reminders."""

from __future__ import annotations

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task(retries=3, retry_delay=60)
def send_pending() -> int:
    from tinhso.correspondence.transport import send_pending_messages

    return send_pending_messages()


def send_pending_later() -> None:
    """After the commit, when a send URL is configured."""
    from django.conf import settings

    if getattr(settings, "TINHSO_EDXML_SEND_URL", ""):
        transaction.on_commit(send_pending)


@db_periodic_task(crontab(minute="20", hour="7"))
def correspondence_reminders() -> dict[str, int]:
    from tinhso.correspondence.reminders import reminders_send
    from tinhso.notifications import conf

    if not conf.enabled():
        return {}
    return reminders_send()
