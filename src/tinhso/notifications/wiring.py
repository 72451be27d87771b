"""How domain events reach the notification handlers: ``handle_event`` is the outbox's
"notifications" consumer, called in a worker, in order, at least once; messages are keyed on the
event, so a redelivery announces nothing twice."""

from __future__ import annotations


def connect() -> None:
    from tinhso.notifications import handlers
    from tinhso.outbox.registry import register_consumer

    register_consumer("notifications", handlers.handle_event, types=set(handlers.TYPES))
