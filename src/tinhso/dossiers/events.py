"""The only writer of dossier events: append one row and notify in-transaction subscribers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tinhso.core.hooks import dossier_event_recorded
from tinhso.dossiers.models import Dossier, DossierEvent


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
    dossier_event_recorded(dossier, event)
    return event
