"""The dossier fixtures, and a consumer "test" registered for one test."""

from __future__ import annotations

import pytest

from tests.conftest import start_cursors_at_end
from tests.dossiers.conftest import clock, media_root, officers  # noqa: F401
from tinhso.outbox import registry
from tinhso.outbox.models import ConsumerCursor, OutboxEvent


@pytest.fixture
def consumer(monkeypatch):
    """A consumer "test" whose effect is a database row keyed by the event (a second delivery
    of a committed effect would break the primary key)."""
    monkeypatch.setattr(registry, "_consumers", dict(registry._consumers))
    seen: list[int] = []
    fail_on: set[int] = set()

    def handler(event: OutboxEvent) -> None:
        if event.pk in fail_on:
            raise RuntimeError(f"boom on {event.pk}")
        ConsumerCursor.objects.create(name=f"effect-{event.event_id}")
        seen.append(event.pk)

    registry.register_consumer("test", handler, types={"feedback.received"})
    start_cursors_at_end(["test"])
    return seen, fail_on
