"""The IOC facts as a projection of the outbox (consumer "ioc").

Nothing in a request's transaction writes facts any more: a bug here can no longer roll back a
legal act. The dispatcher calls :func:`handle` in a worker, one event per transaction together
with the "ioc" cursor, so each event changes the facts exactly once even if the worker is
killed mid-batch. The facts lag the events by the dispatcher's delay (seconds); the pages show
how far they are (:func:`freshness`).

Bulk loads (the importer, the demo generator) publish no per-dossier events: they keep the
set-based fact computation in their own transaction (``on_dossier_events_bulk``), and the
dossiers they load are new, so the two paths never count one event twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.outbox.catalog import DOSSIER_TYPES
from tinhso.outbox.models import OutboxEvent

NAME = "ioc"
TYPES = set(DOSSIER_TYPES) | {"feedback.received", "feedback.refused", "dossier.transferred"}


def handle(event: OutboxEvent) -> None:
    """Apply one event to the facts. Idempotent by construction: the cursor moves in the same
    transaction, so an event whose effect committed is never handed over again."""
    from tinhso.ioc.facts import on_dossier_event, set_complained

    payload = event.payload
    if event.type.startswith("feedback."):
        dossier_id = payload.get("dossier_id")
        if dossier_id is not None:
            from tinhso.feedback.selectors import dossiers_with_complaints

            # The current truth, not the event's: a later event may already have changed it.
            set_complained(dossier_id, bool(dossiers_with_complaints([dossier_id])))
        return
    if event.type == "dossier.transferred":
        from tinhso.ioc.facts import refresh_dossier

        # Its counts move to the successor: recomputed from the row and the whole event log.
        refresh_dossier(payload["dossier_id"])
        return
    dossier_event = DossierEvent.objects.filter(pk=payload["dossier_event_id"]).first()
    dossier = Dossier.objects.filter(pk=payload["dossier_id"]).first()
    if dossier_event is None or dossier is None:
        return  # nothing to count (cannot happen: both are append-only/protected)
    on_dossier_event(dossier, dossier_event)


@dataclass(frozen=True)
class Freshness:
    """How current the facts are: ``up_to`` = every event before it is counted."""

    up_to: dt.datetime
    lag_seconds: float
    pending: int


def freshness(now: dt.datetime | None = None) -> Freshness:
    from tinhso.outbox.selectors import consumer_backlog

    now = now or timezone.now()
    backlog = consumer_backlog(NAME, TYPES)
    if backlog.oldest_pending_at is None:
        return Freshness(now, 0.0, 0)
    oldest = backlog.oldest_pending_at
    return Freshness(oldest, max(0.0, (now - oldest).total_seconds()), backlog.pending)
