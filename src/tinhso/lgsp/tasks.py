"""Background entry points of the LGSP (they only call services): the message log's signed
tree head, every TINHSO_LGSP_STH_SECONDS (rounded up to whole minutes, Huey's periodic
granularity; 0 turns it off — then ``tinhso lgsp sign-head``)."""

from __future__ import annotations

import logging
from typing import Any

from tinhso.lgsp import conf, messagelog

logger = logging.getLogger(__name__)


def sign_tree_head() -> None:
    """Idempotent: several workers running it side by side sign each tree size once."""
    messagelog.sth_publish_if_ready()


def _crontab() -> Any:
    from huey import crontab

    minutes = max(1, -(-int(conf.sth_seconds()) // 60))
    return crontab(minute=f"*/{minutes}" if minutes < 60 else "0")


if conf.sth_seconds() > 0:
    from huey.contrib.djhuey import db_periodic_task

    sign_tree_head_periodic = db_periodic_task(_crontab())(sign_tree_head)
