"""The outbox consumer "national_portal" (only with TINHSO_NATIONAL_PORTAL_SERVICE set)."""

from __future__ import annotations

from tinhso.connectors.services import NAME, sync_record
from tinhso.outbox.catalog import DOSSIER_TYPES
from tinhso.outbox.models import OutboxEvent

__all__ = ["NAME", "TYPES", "handle"]
TYPES = set(DOSSIER_TYPES)


def handle(event: OutboxEvent) -> None:
    sync_record(event)
