"""The only writer of dossier events: append one row, publish it to the outbox, and notify the
in-transaction subscribers (none are left in the platform; kept for extensions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tinhso.core.hooks import dossier_event_recorded
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.outbox.catalog import DOSSIER_ACTION_TYPES
from tinhso.outbox.services import event_publish


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def record_event(
    dossier: Dossier,
    *,
    actor: Any,
    action: str,
    from_status: int | None,
    to_status: int,
    note: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> DossierEvent:
    event = DossierEvent.objects.create(
        dossier=dossier,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        due_at=dossier.due_at,
        data=data or {},
    )
    event_publish(
        type=DOSSIER_ACTION_TYPES[str(action)], aggregate_type="dossier",
        aggregate_id=dossier.pk, agency_id=dossier.agency_id, actor_id=event.actor_id,
        occurred_at=event.at,
        # The event row above is a write of this transaction: it already has its id, which
        # the dispatcher's gap rule needs before the outbox row takes its number (issue 12).
        after_write=True,
        payload={
            "dossier_id": dossier.pk, "code": dossier.code,
            "procedure_code": dossier.procedure.code, "agency_id": dossier.agency_id,
            "dossier_event_id": event.pk, "action": str(action), "from_status": from_status,
            "to_status": int(to_status), "at": event.at.isoformat(),
            "due_at": _iso(event.due_at), "note": note, "actor_id": event.actor_id,
            "data": event.data, "step": dossier.current_step,
        },
    )
    dossier_event_recorded(dossier, event)
    return event
