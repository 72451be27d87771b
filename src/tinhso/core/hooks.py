"""Explicit in-transaction subscribers to dossier events.

Apps that keep derived data current with the event log (the IOC's daily facts) register a
callable here in their ``AppConfig.ready``. ``record_event`` calls every subscriber inside the
same transaction as the event row, so derived data can never disagree with committed events.
Subscribers must only write their own derived tables; business decisions stay in services.
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
