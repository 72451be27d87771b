"""The retry policy of tasks enqueued one by one, read from the settings once at import.

``TINHSO_JOBS_RETRIES`` attempts after the first, the first after ``TINHSO_JOBS_RETRY_DELAY``
seconds, each next one after twice the previous delay (30 s, 60 s, 120 s, 240 s by default).
Periodic jobs do not retry: their next period is their retry.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

BACKOFF = 2


def retry_policy() -> dict[str, Any]:
    """Keyword arguments for ``db_task``: ``@db_task(**retry_policy())``."""
    return {"retries": max(0, int(settings.TINHSO_JOBS_RETRIES)),
            "retry_delay": max(0, int(settings.TINHSO_JOBS_RETRY_DELAY)),
            "retry_backoff": BACKOFF}
