"""Dossiers caught at an abolished agency's desk on 1 July 2025, moved to its successor.

The 2025 reform abolished the districts and merged Bình Phước into Đồng Nai; dossiers still open
at an agency of an abolished unit would wait forever (``dossier_receive`` refuses them with
AGENCY_ABOLISHED). ``dossiers_transfer`` moves every open one to the agency that took the work
over — the successor found by ``units.selectors.successor_agencies`` or one the province admin
names — keeping the dossier's code, deadlines (``due_at``, ``original_due_at``), steps and
event log. Each move is one transaction with the dossier row locked: a ``DossierTransfer`` row
(unique per dossier and old desk), an audit row and a ``dossier.transferred`` event; the
current assignee is released so the successor's team picks the dossier up from its queue.

Idempotent: a second run finds nothing open at the old desk and moves nothing; a dossier the
successor does not handle (its procedure is not on the successor's list) is reported, not moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.accounts.models import AuditLog
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.dossiers.models import Dossier, DossierStep, DossierTransfer, Status
from tinhso.units.models import Agency
from tinhso.units.selectors import agency_in_force, successor_agencies

# Everything not closed: a processed dossier still waits for its result to be handed over.
OPEN = (Status.NEW, Status.RECEIVED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED,
        Status.PAYMENT_REQUESTED, Status.PROCESSED)


@dataclass
class TransferReport:
    from_agency: str
    to_agency: str
    dry_run: bool
    moved: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (code, reason code)


def _require_province_admin(user: Any) -> None:
    # None: the `tinhso dossiers transfer` command run by an operator (audited as the system).
    if user is not None and not (getattr(user, "is_province_admin", False) and user.is_active):
        raise PermissionDenied({"reason": "province_admin_only"})


def successor_for(from_agency: Agency, to_agency: Agency | None) -> Agency:
    """The agency that receives the dossiers: the one given, else the only successor."""
    today = timezone.localdate()
    if agency_in_force(from_agency, today):
        raise Conflict("AGENCY_IN_FORCE",
                       f"{from_agency.name} vẫn đang hoạt động; chỉ chuyển hồ sơ của cơ quan "
                       "thuộc đơn vị hành chính đã kết thúc hoạt động.",
                       f"{from_agency.name} is still in force; only an abolished agency's "
                       "dossiers are transferred.", {"agency": from_agency.code})
    if to_agency is None:
        candidates = successor_agencies(from_agency, day=today)
        if len(candidates) != 1:
            raise ValidationFailed(
                "SUCCESSOR_REQUIRED",
                "Không xác định được một cơ quan kế nhiệm duy nhất; vui lòng chọn cơ quan nhận "
                "hồ sơ.",
                "There is no single successor agency; choose the agency that takes over.",
                {"agency": from_agency.code,
                 "candidates": [{"code": a.code, "name": a.name} for a in candidates]})
        to_agency = candidates[0]
    if to_agency.pk == from_agency.pk or not agency_in_force(to_agency, today):
        raise ValidationFailed("SUCCESSOR_NOT_IN_FORCE",
                               f"{to_agency.name} không phải cơ quan đang hoạt động.",
                               f"{to_agency.name} is not an agency in force.",
                               {"agency": to_agency.code})
    return to_agency


def dossiers_transfer(*, acting_user: Any, from_agency: Agency, to_agency: Agency | None = None,
                      dry_run: bool = False) -> TransferReport:
    """Move every open dossier of the abolished ``from_agency`` to its successor."""
    _require_province_admin(acting_user)
    to_agency = successor_for(from_agency, to_agency)
    report = TransferReport(from_agency=from_agency.code, to_agency=to_agency.code,
                            dry_run=dry_run)
    offered = set(to_agency.procedures.values_list("pk", flat=True))
    ids = list(Dossier.objects.filter(agency=from_agency, status__in=OPEN)
               .order_by("pk").values_list("pk", flat=True))
    for pk in ids:
        try:
            with transaction.atomic():
                _move_one(pk, from_agency, to_agency, offered, acting_user, dry_run, report)
        except IntegrityError:  # a racing run moved it first
            continue
    if not dry_run and (report.moved or report.skipped):
        AuditLog.objects.create(
            actor=acting_user, action="dossiers_transfer", object_type="agency",
            object_id=from_agency.code,
            data={"to": to_agency.code, "moved": len(report.moved),
                  "skipped": [list(s) for s in report.skipped]})
    return report


def _move_one(pk: int, from_agency: Agency, to_agency: Agency, offered: set[int],
              acting_user: Any, dry_run: bool, report: TransferReport) -> None:
    from tinhso.dossiers.services._common import lock_dossier, save

    dossier = lock_dossier(Dossier(pk=pk))
    if dossier.agency_id != from_agency.pk or dossier.status not in OPEN:
        return  # moved or closed meanwhile
    if dossier.procedure_id not in offered:
        report.skipped.append((dossier.code, "PROCEDURE_NOT_OFFERED"))
        return
    report.moved.append(dossier.code)
    if dry_run:
        return
    at = timezone.now()
    status = dossier.status
    dossier.agency, dossier.unit_id, dossier.assignee = to_agency, to_agency.unit_id, None
    save(dossier, "agency", "unit", "assignee")
    # The open step's holder belonged to the old desk: the successor's team takes it over.
    DossierStep.objects.filter(dossier=dossier, finished_at__isnull=True).update(assignee=None)
    transfer = DossierTransfer.objects.create(dossier=dossier, from_agency=from_agency,
                                              to_agency=to_agency, status=status,
                                              actor=acting_user, at=at)
    AuditLog.objects.create(actor=acting_user, action="dossier_transfer", object_type="dossier",
                            object_id=dossier.code,
                            data={"from": from_agency.code, "to": to_agency.code,
                                  "status": status})
    from tinhso.outbox.services import event_publish

    event_publish(
        type="dossier.transferred", aggregate_type="dossier", aggregate_id=dossier.pk,
        agency_id=to_agency.pk, actor_id=getattr(acting_user, "pk", None),
        payload={"dossier_id": dossier.pk, "code": dossier.code, "transfer_id": transfer.pk,
                 "from_agency": from_agency.code, "to_agency": to_agency.code,
                 "status": status, "due_at": dossier.due_at.isoformat() if dossier.due_at
                 else None, "at": at.isoformat()})


def abolished_desks() -> list[tuple[Agency, int, list[Agency]]]:
    """Agencies no longer in force that still hold open dossiers: (agency, open count,
    successors) — what the province admin's transfer page lists."""
    from django.db.models import Count

    today = timezone.localdate()
    rows = (Dossier.objects.filter(status__in=OPEN).values("agency_id")
            .annotate(n=Count("id")).order_by())
    counts = {r["agency_id"]: r["n"] for r in rows}
    agencies = Agency.objects.select_related("unit").filter(pk__in=counts).order_by("code")
    return [(a, counts[a.pk], successor_agencies(a, day=today)) for a in agencies
            if not agency_in_force(a, today)]
