"""Background entry points of official mail (Huey); they only call services.

A mail is one task: a failed SMTP attempt raises ``RetryLater`` and Huey runs it again with
backoff (60 s, 120 s, 240 s, 480 s); the row's log keeps each attempt. Mailboxes are fetched
every ``TINHSO_MAIL_FETCH_MINUTES`` minutes (0: never; ``tinhso mail fetch`` still works).
"""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task(retries=4, retry_delay=60, retry_backoff=2)
def deliver_mail(mail_id: int) -> str:
    from tinhso.mail.services import mail_deliver

    return mail_deliver(mail_id=mail_id)


def _every() -> str:
    minutes = settings.TINHSO_MAIL_FETCH_MINUTES
    return f"*/{min(minutes, 59)}" if minutes > 0 else "0"


@db_periodic_task(crontab(minute=_every()))
def fetch_mailboxes() -> int:
    from tinhso.mail.imap import fetch_all

    if settings.TINHSO_MAIL_FETCH_MINUTES <= 0:
        return 0
    return sum(r.stored for r in fetch_all())


@db_periodic_task(crontab(minute="*/10"))
def requeue_stale_mail() -> int:
    from tinhso.mail.services import mail_requeue_stale

    return mail_requeue_stale()
