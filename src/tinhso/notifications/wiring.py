"""How dossier events reach the notification handlers.

With the outbox (``tinhso.outbox``) installed, ``handle_event`` is its "notifications" consumer:
called in a worker, in order, at least once. Without it (this app predates the outbox on some
branches), an in-transaction subscriber enqueues one job per DossierEvent after the commit.
Both paths key messages on the DossierEvent id, so wiring both by mistake announces nothing
twice.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

OUTBOX = False


def connect() -> None:
    global OUTBOX
    from tinhso.notifications import handlers

    try:
        from tinhso.outbox.registry import register_consumer  # type: ignore[import-not-found]
    except ImportError:
        register_consumer = None
    if register_consumer is not None:
        register_consumer("notifications", handlers.handle_event, types=set(handlers.TYPES))
        OUTBOX = True
        return
    from tinhso.core.hooks import subscribe_dossier_events

    subscribe_dossier_events(_after_commit)


def _after_commit(dossier: Any, event: Any) -> None:
    from tinhso.notifications import conf
    from tinhso.notifications.handlers import ACTION_TYPES, TYPES

    if not conf.enabled() or ACTION_TYPES.get(event.action) not in TYPES:
        return
    event_id = event.pk

    def enqueue() -> None:
        from tinhso.notifications.tasks import notify_dossier_event

        notify_dossier_event(event_id)

    transaction.on_commit(enqueue)
