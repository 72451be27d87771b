from __future__ import annotations

from typing import Any

from django.db import transaction

from tinhso.outbox.dispatch import run_consumer
from tinhso.outbox.models import OutboxEvent
from tinhso.outbox.services import event_publish
from tinhso.webhooks import consumer


def feedback_event(agency_id: int | None, n: int = 1,
                   type_: str = "feedback.received") -> OutboxEvent:
    with transaction.atomic():
        return event_publish(
            type=type_, aggregate_type="feedback", aggregate_id=n, agency_id=agency_id,
            actor_id=None,
            payload={"feedback_id": n, "code": f"PAKN-{n}", "kind": "reflection",
                     "agency_id": agency_id or 0, "dossier_id": None, "status": "new",
                     "at": "2026-03-02T09:00:00+07:00", "note": "Phản ánh về thủ tục"})


def deliver_outbox() -> Any:
    return run_consumer(consumer.NAME)


# For a worker started in a subprocess: its receivers listen on 127.0.0.1 (random ports).
LOCAL_RECEIVERS = {"TINHSO_OUTBOUND_ALLOW": "127.0.0.0/8", "TINHSO_OUTBOUND_PORTS": "*"}
