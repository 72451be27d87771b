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


def offline_resolve(host: str, port: int) -> list[str]:
    """The tests' resolver: no DNS query leaves the machine (names are unknown but localhost)."""
    import socket

    if host == "localhost":
        return ["127.0.0.1"]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def rebinding_dns(monkeypatch: Any, name: str, public: str = "14.225.10.20") -> None:
    """``name`` answers ``public`` once (registration), then 127.0.0.1 — to the guard's
    resolver and to the system's (so that code without the guard would reach the receiver)."""
    import socket

    from tinhso.core import outbound

    answers = iter([[public]])
    monkeypatch.setattr(outbound, "resolve",
                        lambda host, port: next(answers, ["127.0.0.1"]))
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == name else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
