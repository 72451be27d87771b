"""Explicit in-transaction subscribers to dossier events.

Derived data follows the dossier events through the outbox now (tinhso.outbox, consumers in a
worker: a bug there cannot roll back a legal act). What remains here:

* bulk subscribers: the importer and the demo generator hand whole batches of events to them
  inside their own (bulk) transaction; the IOC's set-based fact computation is one;
* bulk loaders: a bulk subscriber may name a loader factory that the set-based (COPY) paths
  use instead of it — they hand each NEW dossier with its events to the loader as they write
  it and call ``finish()`` once at the end (the IOC's :class:`tinhso.ioc.facts_bulk.FactLoader`);
* single-event subscribers, called by ``record_event`` inside the event's transaction: none in
  the platform; only for derived data that must never lag (prefer an outbox consumer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tinhso.dossiers.models import Dossier, DossierEvent

EventSubscriber = Callable[["Dossier", "DossierEvent"], None]
# Bulk paths (import, demo generator) hand over many events at once.
BulkSubscriber = Callable[[Sequence["DossierEvent"]], None]

_subscribers: list[EventSubscriber] = []
_bulk_subscribers: list[BulkSubscriber] = []
# Bulk subscriber -> factory of the loader that replaces it in the set-based paths.
_bulk_loaders: dict[BulkSubscriber, Callable[[], Any]] = {}


def subscribe_dossier_events(func: EventSubscriber) -> EventSubscriber:
    if func not in _subscribers:
        _subscribers.append(func)
    return func


def subscribe_dossier_events_bulk(func: BulkSubscriber) -> BulkSubscriber:
    if func not in _bulk_subscribers:
        _bulk_subscribers.append(func)
    return func


def register_bulk_loader(subscriber: BulkSubscriber, factory: Callable[[], Any]) -> None:
    """``factory()`` gives an object with ``add(row, events, last_event_id)``,
    ``flush(send=None)``, ``discard(dossier_ids)`` and ``finish()`` that does for a load of new
    dossiers what ``subscriber`` does, and optionally ``prepare()``. A load that sends its
    COPYs from a worker thread calls ``prepare()`` first and passes ``send(table, columns,
    text)`` to ``flush`` (tinhso.core.copytext.CopyPipeline.copy)."""
    _bulk_loaders[subscriber] = factory


def bulk_loaders() -> tuple[list[Any], list[BulkSubscriber]]:
    """For a set-based load: (fresh loaders, subscribers without a loader — those still get
    the events in batches)."""
    loaders = [_bulk_loaders[f]() for f in _bulk_subscribers if f in _bulk_loaders]
    plain = [f for f in _bulk_subscribers if f not in _bulk_loaders]
    return loaders, plain


def dossier_event_recorded(dossier: Dossier, event: DossierEvent) -> None:
    for func in _subscribers:
        func(dossier, event)


def dossier_events_bulk_recorded(events: Sequence[DossierEvent]) -> None:
    for func in _bulk_subscribers:
        func(events)
