"""Explicit in-transaction subscribers to dossier events.

Derived data follows the dossier events through the outbox now (tinhso.outbox, consumers in a
worker: a bug there cannot roll back a legal act). What remains here:

* bulk subscribers: the importer and the demo generator hand whole batches of events to them
  inside their own (bulk) transaction; the IOC's set-based fact computation is one;
* single-event subscribers, called by ``record_event`` inside the event's transaction: none in
  the platform; only for derived data that must never lag (prefer an outbox consumer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinhso.dossiers.models import Dossier, DossierEvent

EventSubscriber = Callable[["Dossier", "DossierEvent"], None]
# Bulk paths (import, demo generator) hand over many events at once.
BulkSubscriber = Callable[[Sequence["DossierEvent"]], None]

_subscribers: list[EventSubscriber] = []
_bulk_subscribers: list[BulkSubscriber] = []


def subscribe_dossier_events(func: EventSubscriber) -> EventSubscriber:
    if func not in _subscribers:
        _subscribers.append(func)
    return func


def subscribe_dossier_events_bulk(func: BulkSubscriber) -> BulkSubscriber:
    if func not in _bulk_subscribers:
        _bulk_subscribers.append(func)
    return func


def dossier_event_recorded(dossier: Dossier, event: DossierEvent) -> None:
    for func in _subscribers:
        func(dossier, event)


def dossier_events_bulk_recorded(events: Sequence[DossierEvent]) -> None:
    for func in _bulk_subscribers:
        func(events)
