"""Publishing domain events: ``event_publish`` inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import logging
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from tinhso.core.observability import current_request_id
from tinhso.outbox.catalog import EVENT_TYPES
from tinhso.outbox.models import OutboxEvent

logger = logging.getLogger(__name__)


@cache
def _validator(type_: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(EVENT_TYPES[type_].schema)


def event_publish(*, type: str, aggregate_type: str, aggregate_id: str | int,  # noqa: A002
                  agency_id: int | None, actor_id: int | None, payload: dict[str, Any],
                  occurred_at: dt.datetime | None = None,
                  after_write: bool = False) -> OutboxEvent:
    """Append one domain event to the outbox, in the caller's (already open) transaction.

    The event commits or rolls back with the change it describes. After the commit the
    dispatcher is nudged, so consumers see it within seconds. An unknown type or a payload that
    breaks the type's schema is a programming error (``ValueError``), caught by the tests.

    ``after_write``: the caller has already written a row in this transaction, so PostgreSQL
    has given the transaction its id and the ``pg_current_xact_id()`` round trip is skipped.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r} (add it to tinhso/outbox/catalog.py)")
    errors = sorted(_validator(type).iter_errors(payload), key=str)
    if errors:
        raise ValueError(f"payload of {type} breaks its schema: {errors[0].message}")
    if connection.vendor == "postgresql" and not after_write:
        # Give the transaction its id BEFORE the event takes its sequence number: the dispatcher
        # relies on it to tell a gap that may still fill from one that never will (dispatch.py).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")
    event = OutboxEvent.objects.create(
        type=type, occurred_at=occurred_at or timezone.now(), aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id), agency_id=agency_id, actor_id=actor_id, payload=payload,
        request_id=current_request_id() or None,
    )
    _nudge_on_commit()
    return event


def _nudge_on_commit() -> None:
    """Wake the dispatcher once per transaction, after it commits."""
    if connection.in_atomic_block and any(
            entry[1] is _nudge for entry in connection.run_on_commit):
        return
    transaction.on_commit(_nudge)


def _nudge() -> None:
    from tinhso.outbox.tasks import nudge_dispatcher

    try:
        nudge_dispatcher()
    except Exception:  # the queue is down: the periodic dispatcher still delivers
        logger.exception("Could not enqueue the outbox dispatcher; the periodic run will.")
