"""Reads about the outbox: how far behind each consumer is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Min

from tinhso.outbox.models import ConsumerCursor, OutboxEvent


@dataclass(frozen=True)
class Backlog:
    name: str
    position: int
    delivered: int
    pending: int
    oldest_pending_at: dt.datetime | None
    failures: int
    last_error: str
    failing_event_id: int | None


def consumer_backlog(name: str, types: Iterable[str] | None = None) -> Backlog:
    cursor = ConsumerCursor.objects.filter(name=name).first() or ConsumerCursor(name=name)
    qs = OutboxEvent.objects.filter(id__gt=cursor.position)
    if types is not None:
        qs = qs.filter(type__in=list(types))
    agg = qs.aggregate(n=Count("id"), oldest=Min("occurred_at"))
    return Backlog(name, cursor.position, cursor.delivered, agg["n"], agg["oldest"],
                   cursor.failures, cursor.last_error, cursor.failing_event_id)


def backlogs() -> list[Backlog]:
    from tinhso.outbox.registry import consumer_names, get_consumer

    out = []
    for name in consumer_names():
        types = get_consumer(name).types
        out.append(consumer_backlog(name, types))
    return out
