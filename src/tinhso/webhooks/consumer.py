"""The outbox consumer "webhooks": each event becomes pending deliveries (see services)."""

from __future__ import annotations

from tinhso.outbox.models import OutboxEvent
from tinhso.webhooks.services import deliveries_for_event

NAME = "webhooks"


def handle(event: OutboxEvent) -> None:
    deliveries_for_event(event)
