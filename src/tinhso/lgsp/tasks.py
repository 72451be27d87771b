"""Background entry points of the LGSP (they only call services)."""

from __future__ import annotations

from tinhso.core.periodic import PeriodicJob, start_periodic
from tinhso.lgsp import conf, messagelog


def sign_tree_head() -> None:
    messagelog.sth_publish_if_ready()


def start_tree_head_signer() -> PeriodicJob | None:
    """Sign the message log's head every TINHSO_LGSP_STH_SECONDS in this process (idempotent:
    several server processes doing it side by side sign each size once)."""
    return start_periodic(conf.sth_seconds(), sign_tree_head, name="lgsp-sth")
