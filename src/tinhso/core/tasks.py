"""Periodic platform work (Huey): the stored-files sweep."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="3", minute="15"))
def sweep_media() -> None:
    """Delete stored files no committed row references, older than the grace period (a day)."""
    from tinhso.core.blobsweep import sweep_orphans

    report = sweep_orphans()
    logger.info("media sweep: %s", report)
