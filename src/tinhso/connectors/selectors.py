"""Reads of the national connectors: the sync log feeds the 766 indicator G1_NATIONAL_SYNC."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from tinhso.connectors.models import PortalSync, SyncState


def national_sync_counts(scope_filter: dict[str, Any], start: dt.date, end: dt.date
                         ) -> tuple[int, int] | None:
    """(synchronised, total) dossiers with a lifecycle step in [start, end] in the scope: a
    dossier counts as synchronised when every one of its steps up to the end of the period
    was acknowledged by the national portal. None when nothing was ever synchronised (the
    connector is off: "no data", not 0 %)."""
    if not PortalSync.objects.exists():
        return None
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    filters = {f"dossier__{k}": v for k, v in scope_filter.items()}
    ids = (PortalSync.objects.filter(occurred_at__gte=lo, occurred_at__lt=hi, **filters)
           .values("dossier_id").distinct())
    agg = (PortalSync.objects.filter(dossier_id__in=ids, occurred_at__lt=hi)
           .values("dossier_id")
           .annotate(waiting=Count("pk", filter=~Q(state=SyncState.ACKNOWLEDGED))))
    total = synced = 0
    for row in agg:
        total += 1
        synced += int(row["waiting"] == 0)
    return synced, total
