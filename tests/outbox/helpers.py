"""A test consumer whose effect is a database row, and a publisher of simple events."""

from __future__ import annotations

from tinhso.outbox.models import ConsumerCursor, OutboxEvent
from tinhso.outbox.services import event_publish


def publish(n: int = 1, type_: str = "feedback.received") -> list[OutboxEvent]:
    return [event_publish(
        type=type_, aggregate_type="feedback", aggregate_id=i, agency_id=None, actor_id=None,
        payload={"feedback_id": i, "code": f"PAKN-{i}", "kind": "reflection", "agency_id": 1,
                 "dossier_id": None, "status": "new", "at": "2026-03-02T09:00:00+07:00"})
        for i in range(n)]


def effects() -> int:
    return ConsumerCursor.objects.filter(name__startswith="effect-").count()
