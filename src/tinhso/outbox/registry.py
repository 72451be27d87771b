"""Consumers of the outbox, registered by name in an ``AppConfig.ready``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinhso.outbox.models import OutboxEvent

# A consumer's effect; whatever it returns (a count, for tests and logs) is ignored.
Handler = Callable[["OutboxEvent"], object]


@dataclass(frozen=True)
class Consumer:
    name: str
    handler: Handler
    types: frozenset[str] | None
    batch: int = 1

    def wants(self, event_type: str) -> bool:
        return self.types is None or event_type in self.types


_consumers: dict[str, Consumer] = {}


def register_consumer(name: str, handler: Handler, *, types: set[str] | None = None,
                      batch: int = 1) -> None:
    """Deliver the outbox to ``handler`` (in a worker, in id order, at least once).

    ``handler(event)`` must be idempotent keyed by ``event.event_id``. It runs inside the
    transaction that advances the consumer's cursor: effects written to the database are
    applied exactly once. An exception leaves the cursor before the event (retried later).
    ``batch`` events share one transaction (fast, short handlers such as the IOC facts); keep
    the default 1 for slow handlers, which would otherwise hold the transaction (and SQLite's
    write lock) for the whole batch.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    from tinhso.outbox.catalog import EVENT_TYPES

    if types is not None:
        unknown = set(types) - set(EVENT_TYPES)
        if unknown:
            raise ValueError(f"consumer {name!r}: unknown event types {sorted(unknown)}")
    existing = _consumers.get(name)
    if existing is not None and existing.handler is not handler:
        raise ValueError(f"consumer {name!r} is already registered")
    _consumers[name] = Consumer(name, handler, frozenset(types) if types is not None else None,
                                batch)


def get_consumer(name: str) -> Consumer:
    try:
        return _consumers[name]
    except KeyError:
        raise KeyError(f"no outbox consumer named {name!r}") from None


def consumer_names() -> list[str]:
    return sorted(_consumers)
