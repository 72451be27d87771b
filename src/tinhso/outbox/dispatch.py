"""Delivering the outbox to its consumers: in id order, at least once, effects exactly once.

``run_consumer(name)`` delivers one event per transaction: it locks the consumer's cursor row,
reads what follows the cursor, calls the handler and moves the cursor, then commits. A
database effect of the handler commits with the cursor move, so a crash at any point (the
worker killed mid-batch) leaves both undone and the event is delivered again: the effect happens
exactly once. Two dispatchers of one consumer queue on the cursor row (SELECT … FOR UPDATE on
PostgreSQL; on SQLite every write transaction is BEGIN IMMEDIATE and so already serialised).

Gaps in the ids (PostgreSQL). Ids come from a sequence when the event is inserted, but
transactions commit in any order: a reader can see event 11 while event 10 is still being
written by a transaction that will commit later, or that will roll back (then 10 never appears).
Delivering 11 and moving the cursor past 10 would lose event 10. So the cursor never passes a
gap until the gap is known to be final. ``event_publish`` gives its transaction an id
(``pg_current_xact_id()``) before the event takes its number; so the writer of any missing id
below the newest visible one already had a transaction id when we looked, lower than that
moment's snapshot ``xmax``. We remember that ``xmax`` as the gap's horizon; once no transaction
older than the horizon is still running (other than our own), every id below the newest event
we saw then is either visible or never will be, and the cursor may cross the gaps. SQLite has a
single writer at a time: a visible id means every lower id has committed or never will, so
there are no gaps to wait for.
"""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from tinhso.core.observability import bound_request_id
from tinhso.outbox.models import ConsumerCursor, OutboxEvent
from tinhso.outbox.registry import Consumer, consumer_names, get_consumer

logger = logging.getLogger(__name__)

# Rows read after the cursor per step (ids and types only).
SCAN = 200
_local = threading.local()


def _lock(name: str) -> ConsumerCursor:
    cursor = ConsumerCursor.objects.select_for_update().filter(name=name).first()
    if cursor is None:
        ConsumerCursor.objects.get_or_create(name=name)
        cursor = ConsumerCursor.objects.select_for_update().get(name=name)
    return cursor


def hold_consumer(name: str) -> ConsumerCursor:
    """Lock consumer ``name``'s cursor until the caller's transaction ends: no dispatcher
    delivers to it meanwhile (e.g. while the IOC facts are rebuilt)."""
    return _lock(name)


def _anything_after_cursor(name: str) -> bool:
    position = ConsumerCursor.objects.filter(name=name).values_list("position", flat=True).first()
    return OutboxEvent.objects.filter(id__gt=position or 0).exists()


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _snapshot_xmax() -> int:
    with connection.cursor() as c:
        c.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
        return int(c.fetchone()[0])


def _older_all_finished(xmax: int) -> bool:
    """True when no other transaction that started before ``xmax`` is still running."""
    with connection.cursor() as c:
        c.execute("SELECT NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(pg_current_snapshot()) x "
                  "WHERE x < %s::text::xid8)", [str(xmax)])
        return bool(c.fetchone()[0])


def _next_rows(position: int) -> list[tuple[int, str]]:
    return list(OutboxEvent.objects.filter(id__gt=position).order_by("id")
                .values_list("id", "type")[:SCAN])


def _deliverable(cursor: ConsumerCursor) -> list[tuple[int, str]]:
    """The events after the cursor that may be delivered now, in order (see the module doc).
    May record or clear the cursor's gap horizon (saved by the caller)."""
    if not _postgres():
        return _next_rows(cursor.position)
    for _ in range(2):
        if cursor.horizon_id is not None and cursor.position >= cursor.horizon_id:
            cursor.horizon_id = cursor.horizon_xmax = None
        # Checked BEFORE reading: the read then sees every commit of the finished writers.
        passed = cursor.horizon_xmax is not None and _older_all_finished(cursor.horizon_xmax)
        rows = _next_rows(cursor.position)
        expected = cursor.position + 1
        out: list[tuple[int, str]] = []
        blocked = False
        for event_id, type_ in rows:
            crossable = passed and cursor.horizon_id is not None and event_id <= cursor.horizon_id
            if event_id != expected and not crossable:
                blocked = True
                break
            out.append((event_id, type_))
            expected = event_id + 1
        if out or not blocked:
            return out
        if cursor.horizon_id is not None and not passed:
            return []  # still waiting for the writers of an earlier gap
        # A new gap right after the cursor: remember its horizon and look once more at once
        # (usually nobody older is running and the gap is final).
        cursor.horizon_id = rows[-1][0]
        cursor.horizon_xmax = _snapshot_xmax()
    return []


@dataclass
class _Failure:
    event_pk: int
    error: BaseException
    trace: str


def _step(consumer: Consumer, limit: int) -> tuple[int | None, _Failure | None]:
    """One transaction: deliver up to ``min(consumer.batch, limit)`` wanted events, moving past
    unwanted ones. Returns (delivered, failure): delivered is None when nothing was
    deliverable. Each handler call has its own savepoint: when one raises, the events before it
    keep their effects, the cursor stops before it and the error is stored with it."""
    with transaction.atomic():
        cursor = _lock(consumer.name)
        before = (cursor.position, cursor.horizon_id, cursor.horizon_xmax)
        rows = _deliverable(cursor)
        wanted = [event_id for event_id, type_ in rows if consumer.wants(type_)]
        wanted = wanted[:max(1, min(consumer.batch, limit))]
        events = {e.pk: e for e in OutboxEvent.objects.filter(pk__in=wanted)} if wanted else {}
        delivered = 0
        failure: _Failure | None = None
        for event_id, type_ in rows:
            if event_id in events:
                event = events[event_id]
                try:
                    with transaction.atomic(), bound_request_id(event.request_id):
                        consumer.handler(event)
                except Exception as exc:
                    failure = _Failure(event.pk, exc, "".join(traceback.format_exception(exc)))
                    break
                delivered += 1
                cursor.last_event_at = event.occurred_at
                cursor.position = event_id
                if delivered == len(wanted):
                    break
            elif consumer.wants(type_):
                break  # beyond this batch
            else:
                cursor.position = event_id  # not for this consumer: pass it
        now = timezone.now()
        if failure is not None:
            cursor.failures += 1
            cursor.failing_event_id = failure.event_pk
            cursor.last_error = failure.trace[-4000:]
            cursor.last_error_at = now
        elif delivered:
            cursor.failures = 0
            cursor.failing_event_id = None
            cursor.last_error = ""
        if delivered or failure or (cursor.position, cursor.horizon_id,
                                    cursor.horizon_xmax) != before:
            cursor.delivered += delivered
            cursor.updated_at = now
            cursor.save()
        if not rows:
            return None, None
        if not delivered and failure is None and cursor.position == before[0]:
            return None, None
        return delivered, failure


def run_consumer(name: str, *, limit: int = 500) -> int:
    """Deliver up to ``limit`` events to consumer ``name``; returns how many were delivered.

    Stops early when nothing more is deliverable, or when the handler raises (the error is
    stored on the cursor, the event will be delivered again on a later run)."""
    consumer = get_consumer(name)
    if not _anything_after_cursor(name):
        # Most runs (one nudge per committed request) find nothing new: answer from a plain
        # read instead of a write transaction (on SQLite the write lock every request needs).
        return 0
    delivered = 0
    # Bounded: each step delivers an event or passes at least one unwanted one.
    for _ in range(limit * 2 + SCAN):
        if delivered >= limit:
            break
        count, failure = _step(consumer, limit - delivered)
        if count is None:
            break
        delivered += count
        if failure is not None:
            logger.error("Outbox consumer %s failed on event %s: %s", name, failure.event_pk,
                         failure.error)
            break
    return delivered


@dataclass
class DispatchReport:
    delivered: dict[str, int]
    pending: bool


def dispatch_all(*, limit: int = 500) -> DispatchReport:
    """One pass over every registered consumer (what the periodic dispatcher runs)."""
    if getattr(_local, "running", False):
        # Re-entered from an on-commit nudge inside a handler: the running pass goes on anyway.
        return DispatchReport({}, False)
    _local.running = True
    try:
        delivered = {name: run_consumer(name, limit=limit) for name in consumer_names()}
    finally:
        _local.running = False
    return DispatchReport(delivered, any(n >= limit for n in delivered.values()))


class ConsumerFailed(RuntimeError):
    """A consumer's handler raised (``drain_outbox(strict=True)``)."""


def drain_outbox(*, rounds: int = 1000, strict: bool = True) -> dict[str, int]:
    """Deliver everything deliverable now to every consumer (tests, ``tinhso outbox drain``,
    benchmarks). With ``strict``, a handler's exception is raised instead of kept for later."""
    total: dict[str, int] = {}
    for _ in range(rounds):
        progress = 0
        for name in consumer_names():
            count = run_consumer(name)
            total[name] = total.get(name, 0) + count
            progress += count
            if strict:
                cursor = ConsumerCursor.objects.filter(name=name, failures__gt=0).first()
                if cursor is not None:
                    raise ConsumerFailed(f"consumer {name} failed on event "
                                         f"{cursor.failing_event_id}:\n{cursor.last_error}")
        if not progress:
            break
    return total
