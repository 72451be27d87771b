"""Periodic PKI work (Huey): keep every CA's CRL fresh."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tinhso.signatures.services import crl_refresh_due

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="7"))
def crl_refresh() -> None:
    published = crl_refresh_due()
    if published:
        logger.info("CRL republished for %s", ", ".join(published))
