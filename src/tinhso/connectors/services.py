"""National connectors: dossier status sync to the national portal (from the outbox, retried
until acknowledged), its reconciliation, catalogue comparison, and citizen lookups in the
population database (audited, nothing kept)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.accounts.services import audit_log_write
from tinhso.connectors import interfaces
from tinhso.connectors.client import ConnectorError
from tinhso.connectors.models import CatalogueSync, PortalSync, SyncState
from tinhso.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from tinhso.outbox.catalog import DOSSIER_TYPES
from tinhso.outbox.models import OutboxEvent

logger = logging.getLogger(__name__)

NAME = "national_portal"
BACKOFF_FIRST = 30
BACKOFF_MAX = 3600
LEASE_SECONDS = 60


def backoff(attempts: int) -> int:
    """Seconds before the next try: 30 s, 1 min, 2 min … capped at one hour, never giving up."""
    return int(min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempts - 1)))


# --- from the outbox -------------------------------------------------------------------------


def sync_record(event: OutboxEvent) -> PortalSync | None:
    """The consumer's effect: one pending row per dossier lifecycle step (idempotent)."""
    if event.type not in DOSSIER_TYPES:
        return None
    p = event.payload
    row, created = PortalSync.objects.get_or_create(event_id=event.event_id, defaults={
        "outbox_id": event.pk, "dossier_id": p["dossier_id"], "dossier_code": p["code"],
        "agency_id": event.agency_id, "action": p["action"],
        "national_status": p["to_status"], "occurred_at": event.occurred_at,
        "payload": {"procedure_code": p.get("procedure_code", "")},
        "next_attempt_at": timezone.now()})
    if created:
        transaction.on_commit(_enqueue)
    return row


def _enqueue() -> None:
    from tinhso.connectors.tasks import portal_push_task

    try:
        portal_push_task()
    except Exception:  # the queue is down: the periodic run pushes
        logger.exception("Could not enqueue the national portal sync")


# --- pushing ---------------------------------------------------------------------------------


def _claim(pk: int) -> PortalSync | None:
    now = timezone.now()
    with transaction.atomic():
        row: PortalSync | None = (
            PortalSync.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, state=SyncState.PENDING, next_attempt_at__lte=now).first())
        if row is None:
            return None
        row.next_attempt_at = now + dt.timedelta(seconds=LEASE_SECONDS)
        row.save(update_fields=["next_attempt_at"])
        return row


def _agency_code(agency_id: int | None) -> str:
    from tinhso.units.models import Agency

    if agency_id is None:
        return ""
    return Agency.objects.filter(pk=agency_id).values_list("code", flat=True).first() or ""


def portal_push_due(*, portal: interfaces.NationalPortal | None = None,
                    limit: int = 500) -> dict[str, int]:
    """Push the due steps oldest first. A dossier's steps go in order: while one of its steps
    waits (failed, backing off), its later steps wait too. Returns counts."""
    target = portal or interfaces.portal()
    now = timezone.now()
    rows = list(PortalSync.objects.filter(state=SyncState.PENDING)
                .order_by("outbox_id").values_list("pk", "dossier_id", "next_attempt_at")
                [:limit])
    blocked: set[int] = set()
    out = {"acknowledged": 0, "failed": 0, "waiting": 0}
    for pk, dossier_id, due in rows:
        if dossier_id in blocked or due is None or due > now:
            blocked.add(dossier_id)
            out["waiting"] += 1
            continue
        row = _claim(pk)
        if row is None:
            blocked.add(dossier_id)
            continue
        update = interfaces.StatusUpdate(
            event_id=str(row.event_id), dossier_code=row.dossier_code,
            national_status=row.national_status, at=row.occurred_at.isoformat(),
            procedure_code=row.payload.get("procedure_code", ""),
            agency_code=_agency_code(row.agency_id))
        error = ""
        try:
            target.push_status(update)
        except ConnectorError as exc:
            error = str(exc)[:300]
        with transaction.atomic():
            row = PortalSync.objects.select_for_update().get(pk=row.pk)
            row.attempts += 1
            if error:
                row.last_error = error
                row.next_attempt_at = timezone.now() + dt.timedelta(seconds=backoff(row.attempts))
                blocked.add(dossier_id)
                out["failed"] += 1
            else:
                row.state = SyncState.ACKNOWLEDGED
                row.acknowledged_at = timezone.now()
                row.next_attempt_at = None
                row.last_error = ""
                out["acknowledged"] += 1
            row.save()
    return out


def next_due_in() -> float | None:
    first = (PortalSync.objects.filter(state=SyncState.PENDING, next_attempt_at__isnull=False)
             .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first())
    return None if first is None else max(0.0, (first - timezone.now()).total_seconds())


# --- reconciliation and catalogue ------------------------------------------------------------


@dataclass
class Reconciliation:
    checked: int = 0
    matched: int = 0
    pending: int = 0  # steps not acknowledged yet
    mismatched: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # dossiers the portal does not know


def reconcile(*, portal: interfaces.NationalPortal | None = None,
              since: dt.datetime | None = None, limit: int = 10000) -> Reconciliation:
    """Compare each synchronised dossier's local status with the portal's (read-only)."""
    from tinhso.dossiers.models import Dossier

    target = portal or interfaces.portal()
    rows = PortalSync.objects.all()
    if since is not None:
        rows = rows.filter(occurred_at__gte=since)
    ids = list(rows.values_list("dossier_id", flat=True).distinct()[:limit])
    report = Reconciliation(pending=PortalSync.objects.filter(
        state=SyncState.PENDING, dossier_id__in=ids).count())
    for code, status in (Dossier.objects.filter(pk__in=ids).order_by("pk")
                         .values_list("code", "status")):
        report.checked += 1
        remote = target.dossier_status(code)
        if remote is None:
            report.missing.append(code)
        elif remote != status:
            report.mismatched.append({"code": code, "local": status, "portal": remote})
        else:
            report.matched += 1
    return report


def catalogue_sync(*, portal: interfaces.NationalPortal | None = None) -> CatalogueSync:
    """Compare the local active procedures with the national catalogue and keep the result
    (codes missing on either side, names that differ). Nothing is changed automatically: the
    catalogue's editors act on the report (docs/lgsp.md)."""
    from tinhso.catalog.models import Procedure

    target = portal or interfaces.portal()
    now = timezone.now()
    try:
        national = {p["MaTTHC"]: p.get("TenTTHC", "") for p in target.catalogue()}
    except (ConnectorError, KeyError, TypeError) as exc:
        return CatalogueSync.objects.create(at=now, error=str(exc)[:300])
    local = dict(Procedure.objects.filter(is_active=True).values_list("code", "name"))
    return CatalogueSync.objects.create(
        at=now, national_count=len(national), local_count=len(local),
        missing_locally=sorted(set(national) - set(local)),
        missing_nationally=sorted(set(local) - set(national)),
        name_differs=sorted(c for c in set(national) & set(local)
                            if " ".join(national[c].split()) != " ".join(local[c].split())))


# --- population database ---------------------------------------------------------------------

_ID_NUMBER = re.compile(r"^\d{12}$")
CITIZEN_FIELDS = ("so_dinh_danh", "ho_ten", "ngay_sinh", "gioi_tinh", "noi_thuong_tru")


class LookupUnavailable(DomainError):
    status = 503


def citizen_lookup(*, acting_user: Any, id_number: str, purpose: str,
                   population: interfaces.PopulationDatabase | None = None
                   ) -> dict[str, Any] | None:
    """Look a citizen up by the 12-digit personal identification number, for prefilling or
    checking a form. Officials only. Every lookup writes one audit line (who, which number,
    why, found or not) — and nothing of what came back is stored."""
    if not getattr(acting_user, "is_official", False) or not acting_user.is_active:
        raise PermissionDenied({"required": "official"})
    if not _ID_NUMBER.match(id_number or ""):
        raise ValidationFailed("INVALID_ID_NUMBER", "Số định danh cá nhân phải gồm 12 chữ số.",
                               "The personal identification number has 12 digits.",
                               {"field": "id_number"})
    purpose = " ".join((purpose or "").split())[:200]
    if not purpose:
        raise ValidationFailed("LOOKUP_PURPOSE_REQUIRED", "Phải nêu mục đích tra cứu.",
                               "State the purpose of the lookup.", {"field": "purpose"})
    if population is None and not getattr(settings, "TINHSO_POPULATION_SERVICE", ""):
        raise Conflict("POPULATION_NOT_CONFIGURED",
                       "Chưa cấu hình kết nối Cơ sở dữ liệu quốc gia về dân cư.",
                       "The population database connector is not configured.")
    error = ""
    found: dict[str, Any] | None = None
    try:
        target = population or interfaces.population()
        found = target.lookup(id_number, user_id=acting_user.get_username())
    except ConnectorError as exc:
        error = str(exc)[:200]
    with transaction.atomic():
        audit_log_write(actor=acting_user, action="population_lookup", object_type="citizen",
                        object_id=id_number, data={"purpose": purpose,
                                                   "found": found is not None,
                                                   "error": error})
    if error:
        raise LookupUnavailable("POPULATION_UNAVAILABLE",
                                "Không kết nối được Cơ sở dữ liệu quốc gia về dân cư.",
                                "The national population database could not be reached.")
    if found is None:
        return None
    return {k: found.get(k) for k in CITIZEN_FIELDS}
