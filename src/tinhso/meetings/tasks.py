"""Background entry points of the meetings app (Huey); they only call services.

Every five minutes the reminder job tells each participant of meetings starting within the
``TINHSO_MEETINGS_REMINDER_HOURS`` horizons (24 h and 1 h by default), once per meeting and
horizon (the notification's event key is the deduplication).
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/5"))
def meeting_reminders() -> int:
    from tinhso.meetings.reminders import reminders_send
    from tinhso.notifications import conf

    if not conf.enabled():
        return 0
    return reminders_send()
