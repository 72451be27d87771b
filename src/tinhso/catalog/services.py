"""Writes on the procedure catalogue: create, update, bulk import; and the export it round-trips.

Every write validates its whole input first (``tinhso.catalog.validation``), then applies it in
one transaction together with its ``AuditLog`` row: a rejected call changes nothing. ``search_text``
is recomputed from the name on every write, so search never disagrees with the name.

``acting_user=None`` means the operator's command line or the demo loader (trusted code paths on
the server itself); the API always passes the authenticated user, who must be a province admin or
an agency admin (``tinhso.catalog.permissions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction

from tinhso.accounts.services import audit_log_write
from tinhso.catalog.models import Field, Procedure, ProcedureComponent
from tinhso.catalog.permissions import can_edit_catalog, can_edit_procedure
from tinhso.catalog.validation import EntryError, normalise_entry, validate_entries
from tinhso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tinhso.core.text import fold
from tinhso.units.models import Agency

if TYPE_CHECKING:
    from tinhso.accounts.models import User

# Model attributes copied verbatim from a normalised entry.
_PLAIN_ATTRS = (
    "name", "level", "implementing_body", "processing_days", "fee", "fee_note",
    "applicant_type", "online_level", "result_type", "result_name", "description",
    "legal_basis", "form_schema", "process_template", "announced_at", "published_at",
    "effective_from", "is_active", "popularity", "note", "deadline_kind", "processing_hours",
    "cutoff_time", "payment_pauses_clock",
)


@dataclass
class ImportReport:
    """Outcome of ``catalog_import``: which codes were created, updated or left as they were."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "errors": self.errors}


class ProcedureNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"Không tìm thấy thủ tục hành chính có mã {code}.",
                         f"No administrative procedure has the code {code}.", {"code": code})
        self.code = "PROCEDURE_NOT_FOUND"


def _invalid(errors: list[EntryError]) -> ValidationFailed:
    return ValidationFailed(
        "CATALOG_INVALID",
        f"Dữ liệu thủ tục không hợp lệ ({len(errors)} lỗi); không có thay đổi nào được lưu.",
        f"The procedure data is invalid ({len(errors)} errors); nothing was saved.",
        {"errors": [e.as_dict() for e in errors]},
    )


def _known_agency_codes(entries: list[Any]) -> set[str]:
    wanted = {code for e in entries if isinstance(e, dict) and isinstance(e.get("agencies"), list)
              for code in e["agencies"] if isinstance(code, str)}
    if not wanted:
        return set()
    return set(Agency.objects.filter(code__in=wanted).values_list("code", flat=True))


def validate_catalog(data: Any) -> list[EntryError]:
    """Every problem of ``data`` (a list of entries), agency codes checked against the database."""
    entries = data if isinstance(data, list) else []
    return validate_entries(data, known_agency_codes=_known_agency_codes(entries))


# --------------------------------------------------------------------------------------------
# Applying validated entries (shared by the services and the demo loader)
# --------------------------------------------------------------------------------------------


def _field_for(values: dict[str, str], cache: dict[str, Field]) -> Field:
    code = values["code"]
    obj = cache.get(code)
    if obj is None:
        obj, _ = Field.objects.get_or_create(code=code, defaults={"name": values["name"]})
        cache[code] = obj
    if obj.name != values["name"]:
        obj.name = values["name"]
        obj.save(update_fields=["name"])
    return obj


def _sync_components(procedure: Procedure, wanted: list[dict[str, Any]], *,
                     is_new: bool = False) -> bool:
    """Make the procedure's components exactly ``wanted`` (in order); True when anything changed.

    Components are matched by code so that dossier attachments pointing at a component keep
    pointing at it across re-imports.
    """
    if is_new:
        ProcedureComponent.objects.bulk_create([
            ProcedureComponent(procedure=procedure, order=order, **item)
            for order, item in enumerate(wanted, start=1)
        ])
        return bool(wanted)
    existing = {c.code: c for c in procedure.components.all()}
    changed = False
    for order, item in enumerate(wanted, start=1):
        comp = existing.pop(item["code"], None)
        if comp is None:
            ProcedureComponent.objects.create(procedure=procedure, order=order, **item)
            changed = True
            continue
        new = {**item, "order": order}
        if any(getattr(comp, k) != v for k, v in new.items()):
            for k, v in new.items():
                setattr(comp, k, v)
            comp.save()
            changed = True
    if existing:
        ProcedureComponent.objects.filter(pk__in=[c.pk for c in existing.values()]).delete()
        changed = True
    return changed


def apply_entry(values: dict[str, Any], *, field_cache: dict[str, Field] | None = None,
                agencies: list[Agency] | None = None,
                existing: dict[str, Procedure] | None = None) -> tuple[Procedure, str]:
    """Create or update one procedure from normalised ``values``; returns (procedure, outcome).

    outcome is "created", "updated" or "unchanged". ``agencies``: replace the implementing
    agencies with these (``None`` leaves them alone). ``existing``: procedures preloaded by code
    (with components and agencies prefetched) by a bulk caller; without it one is looked up.
    Call inside a transaction; no permission check and no audit row here — callers do both.
    """
    cache = field_cache if field_cache is not None else {}
    field_obj = _field_for(values["field"], cache)
    attrs = {k: values[k] for k in _PLAIN_ATTRS}
    attrs["search_text"] = fold(values["name"])
    attrs["field_id"] = field_obj.pk
    if existing is not None:
        procedure = existing.get(values["code"])
    else:
        procedure = Procedure.objects.filter(code=values["code"]).first()
    is_new = procedure is None
    if procedure is None:
        procedure = Procedure.objects.create(code=values["code"], **attrs)
        outcome = "created"
    else:
        dirty = [k for k, v in attrs.items() if _differs(getattr(procedure, k), v)]
        for k in dirty:
            setattr(procedure, k, attrs[k])
        if dirty:
            procedure.save(update_fields=dirty)
        outcome = "updated" if dirty else "unchanged"
    if _sync_components(procedure, values["components"], is_new=is_new) and not is_new:
        outcome = "updated"
    if agencies is not None:
        current = set() if is_new else {a.pk for a in procedure.agencies.all()}
        if current != {a.pk for a in agencies}:
            procedure.agencies.set(agencies)
            if outcome == "unchanged":
                outcome = "updated"
    return procedure, outcome


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return Decimal(str(old)) != Decimal(str(new))
    return bool(old != new)


def _agencies_by_code(codes: set[str]) -> dict[str, Agency]:
    return {a.code: a for a in Agency.objects.filter(code__in=codes)}


# --------------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------------


def _require_editor(acting_user: User | None) -> None:
    if acting_user is not None and not can_edit_catalog(acting_user):
        raise PermissionDenied({"required_roles": ["province_admin", "agency_admin"]})


def procedure_create(*, acting_user: User | None, data: dict[str, Any]) -> Procedure:
    """Create one procedure from an entry in the import format.

    An agency admin's new procedure is linked to their agency unless ``agencies`` is given
    (and then it must include their agency).
    """
    _require_editor(acting_user)
    errors = validate_catalog([data])
    if errors:
        raise _invalid(errors)
    values = normalise_entry(data)
    with transaction.atomic():
        if Procedure.objects.filter(code=values["code"]).exists():
            raise Conflict("PROCEDURE_EXISTS", f"Mã thủ tục {values['code']} đã tồn tại.",
                           f"The procedure code {values['code']} already exists.",
                           {"code": values["code"]})
        agency_codes = values["agencies"]
        agencies = list(_agencies_by_code(set(agency_codes)).values()) if agency_codes else []
        if acting_user is not None and not acting_user.has_role("province_admin"):
            own = acting_user.agency
            if own is None:
                raise PermissionDenied({"reason": "agency admin without an agency"})
            if agency_codes is None:
                agencies = [own]
            elif own.pk not in {a.pk for a in agencies}:
                raise PermissionDenied({"reason": "the procedure must include your agency"})
        procedure, _ = apply_entry(values, agencies=agencies)
        audit_log_write(actor=acting_user, action="catalog.procedure_create",
                        object_type="procedure", object_id=procedure.code,
                        data={"name": procedure.name})
    return procedure


def procedure_update(*, acting_user: User | None, code: str,
                     changes: dict[str, Any]) -> Procedure:
    """Change some keys of a procedure (same keys and rules as an import entry).

    The current procedure is exported, ``changes`` are laid over it and the result is validated
    as a whole, so an update can never leave a procedure that the importer would refuse.
    """
    _require_editor(acting_user)
    if "code" in changes and changes["code"] != code:
        raise ValidationFailed("PROCEDURE_CODE_IMMUTABLE", "Không thể đổi mã thủ tục.",
                               "The procedure code cannot be changed.", {"code": code})
    with transaction.atomic():
        procedure = (Procedure.objects.select_for_update(no_key=True).filter(code=code).first())
        if procedure is None:
            raise ProcedureNotFound(code)
        current_agency_ids = set(procedure.agencies.values_list("pk", flat=True))
        if acting_user is not None and not can_edit_procedure(acting_user, current_agency_ids):
            raise PermissionDenied({"reason": "the procedure is not implemented by your agency"})
        merged = {**export_entry(procedure), **changes}
        errors = validate_catalog([merged])
        if errors:
            raise _invalid(errors)
        values = normalise_entry(merged)
        agencies = None
        if "agencies" in changes:
            agencies = list(_agencies_by_code(set(values["agencies"] or [])).values())
        procedure, outcome = apply_entry(values, agencies=agencies)
        audit_log_write(actor=acting_user, action="catalog.procedure_update",
                        object_type="procedure", object_id=procedure.code,
                        data={"keys": sorted(changes), "outcome": outcome})
    return procedure


def catalog_import(*, acting_user: User | None, data: list[dict[str, Any]]) -> ImportReport:
    """Create or update every procedure of ``data`` (the export format), all or nothing.

    Every entry is validated first; on any problem nothing is written and ``ValidationFailed``
    (code ``CATALOG_INVALID``) lists each problem with its entry index, key and reason.
    """
    _require_editor(acting_user)
    errors = validate_catalog(data)
    if errors:
        raise _invalid(errors)
    report = ImportReport()
    values_list = [normalise_entry(entry) for entry in data]
    wanted_agencies = {c for v in values_list for c in (v["agencies"] or [])}
    with transaction.atomic():
        agencies = _agencies_by_code(wanted_agencies)
        cache: dict[str, Field] = {}
        existing = {p.code: p for p in Procedure.objects.filter(
            code__in=[v["code"] for v in values_list]).prefetch_related("components", "agencies")}
        for values in values_list:
            linked = None
            if values["agencies"] is not None:
                linked = [agencies[c] for c in values["agencies"]]
            procedure, outcome = apply_entry(values, field_cache=cache, agencies=linked,
                                             existing=existing)
            getattr(report, outcome).append(procedure.code)
        audit_log_write(actor=acting_user, action="catalog.import", object_type="catalog",
                        object_id="*", data={"created": len(report.created),
                                             "updated": len(report.updated),
                                             "unchanged": len(report.unchanged)})
    return report


# --------------------------------------------------------------------------------------------
# Export (a read; kept here because it is the inverse of the import)
# --------------------------------------------------------------------------------------------


def _days(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def export_entry(procedure: Procedure) -> dict[str, Any]:
    """One procedure in the import format (uses prefetched components/agencies when present)."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "code": procedure.code,
        "name": procedure.name,
        "field": {"code": procedure.field.code, "name": procedure.field.name},
        "level": procedure.level,
        "implementing_body": procedure.implementing_body,
        "processing_days": _days(procedure.processing_days),
        "fee": procedure.fee,
        "fee_note": procedure.fee_note,
        "applicant_type": procedure.applicant_type,
        "online_level": procedure.online_level,
        "result_type": procedure.result_type,
        "result_name": procedure.result_name,
        "description": procedure.description,
        "legal_basis": procedure.legal_basis,
        "components": [
            {"code": c.code, "name": c.name, "required": c.required, "copies": c.copies}
            for c in sorted(procedure.components.all(), key=lambda c: (c.order, c.pk))
        ],
        "form_schema": procedure.form_schema,
        "process_template": procedure.process_template,
        "announced_at": iso(procedure.announced_at),
        "published_at": iso(procedure.published_at),
        "effective_from": iso(procedure.effective_from),
        "is_active": procedure.is_active,
        "popularity": procedure.popularity,
        "note": procedure.note,
        "agencies": sorted(a.code for a in procedure.agencies.all()),
        **_deadline_keys(procedure),
    }


def _deadline_keys(procedure: Procedure) -> dict[str, Any]:
    """The deadline-rule keys, only where they differ from the defaults (so files written
    before they existed still round-trip unchanged)."""
    out: dict[str, Any] = {}
    if procedure.deadline_kind != "working_days":
        out["deadline_kind"] = procedure.deadline_kind
    if procedure.processing_hours is not None:
        out["processing_hours"] = _days(procedure.processing_hours)
    if procedure.cutoff_time is not None:
        out["cutoff_time"] = procedure.cutoff_time.strftime("%H:%M")
    if procedure.payment_pauses_clock:
        out["payment_pauses_clock"] = True
    return out


def catalog_export() -> list[dict[str, Any]]:
    """The whole catalogue (inactive procedures included) in the import format, by code."""
    procedures = (Procedure.objects.select_related("field")
                  .prefetch_related("components", "agencies").order_by("code"))
    return [export_entry(p) for p in procedures]
