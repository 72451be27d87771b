"""Scopes of the index: a province, district or commune (either structure), an agency, a
procedure or a field, resolved from a code, and who may see which.

Administrative units and agencies are small tables (hundreds of rows); one query each loads a
directory that answers every tree question in memory, so a dashboard's query count does not
depend on how many units it shows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tinhso.catalog.models import Field, Procedure
from tinhso.core.errors import DomainError, PermissionDenied
from tinhso.units.models import AdminUnit, Agency, AgencyKind, Level, Structure

PREFIXES = ("agency", "unit", "current2", "legacy3", "procedure", "field")


@dataclass(frozen=True)
class UnitRow:
    id: int
    structure: str
    code: str
    name: str
    unit_type: str
    level: int
    parent_id: int | None
    successor_id: int | None


@dataclass(frozen=True)
class AgencyRow:
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    unit_id: int
    parent_id: int | None


class Directory:
    """Units and agencies in memory (two queries)."""

    def __init__(self) -> None:
        self.units: dict[int, UnitRow] = {
            row["id"]: UnitRow(**row) for row in AdminUnit.objects.values(
                "id", "structure", "code", "name", "unit_type", "level", "parent_id",
                "successor_id")
        }
        self.agencies: dict[int, AgencyRow] = {
            row["id"]: AgencyRow(**row) for row in Agency.objects.values(
                "id", "code", "name", "short_name", "kind", "unit_id", "parent_id")
        }
        self.unit_children: dict[int | None, list[int]] = defaultdict(list)
        for unit in self.units.values():
            self.unit_children[unit.parent_id].append(unit.id)
        self.agency_children: dict[int | None, list[int]] = defaultdict(list)
        self.agencies_by_unit: dict[int, list[int]] = defaultdict(list)
        for agency in self.agencies.values():
            self.agency_children[agency.parent_id].append(agency.id)
            self.agencies_by_unit[agency.unit_id].append(agency.id)
        self._current: dict[int, int | None] = {}

    # -- units ------------------------------------------------------------------------------

    def unit_by_code(self, code: str, structure: str | None = None) -> UnitRow | None:
        for wanted in ([structure] if structure else [Structure.CURRENT_2, Structure.LEGACY_3]):
            for unit in self.units.values():
                if unit.code == code and unit.structure == wanted:
                    return unit
        return None

    def unit_subtree(self, unit_id: int) -> set[int]:
        out, stack = set(), [unit_id]
        while stack:
            uid = stack.pop()
            out.add(uid)
            stack.extend(self.unit_children.get(uid, []))
        return out

    def current_of(self, unit_id: int) -> int | None:
        """The current-structure unit a unit's history rolls up to: itself when current; its
        successor; else its nearest ancestor's successor (a district, abolished in 2025, rolls
        up to the new province)."""
        if unit_id in self._current:
            return self._current[unit_id]
        unit = self.units[unit_id]
        result: int | None
        if unit.structure == Structure.CURRENT_2:
            result = unit.id
        elif unit.successor_id is not None:
            result = self.current_of(unit.successor_id)
        elif unit.parent_id is not None:
            result = self.current_of(unit.parent_id)
        else:
            result = None
        self._current[unit_id] = result
        return result

    def ancestor_at_level(self, unit_id: int, level: int) -> int | None:
        unit: UnitRow | None = self.units.get(unit_id)
        while unit is not None and unit.level > level:
            unit = self.units.get(unit.parent_id) if unit.parent_id else None
        return unit.id if unit is not None and unit.level == level else None

    def view_unit(self, unit_id: int, structure: str) -> int | None:
        """The unit of ``structure`` a fact's unit is shown under."""
        unit = self.units.get(unit_id)
        if unit is None:
            return None
        if structure == Structure.CURRENT_2:
            return self.current_of(unit_id)
        return unit_id if unit.structure == structure else None

    def units_for_scope(self, unit: UnitRow) -> set[int]:
        """Units whose dossiers belong to ``unit``: its own subtree, plus, for a current unit,
        every legacy unit that rolls up into that subtree (historical dossiers keep their
        unit; the current view reaches them through succession)."""
        subtree = self.unit_subtree(unit.id)
        if unit.structure != Structure.CURRENT_2:
            return subtree
        extra = {uid for uid, row in self.units.items()
                 if row.structure != Structure.CURRENT_2 and self.current_of(uid) in subtree}
        return subtree | extra

    def label(self, unit_id: int) -> str:
        unit = self.units[unit_id]
        return f"{unit.unit_type} {unit.name}".strip()

    # -- agencies ---------------------------------------------------------------------------

    def agency_by_code(self, code: str) -> AgencyRow | None:
        for agency in self.agencies.values():
            if agency.code == code:
                return agency
        return None

    def agency_subtree(self, agency_id: int) -> set[int]:
        out, stack = set(), [agency_id]
        while stack:
            aid = stack.pop()
            out.add(aid)
            stack.extend(self.agency_children.get(aid, []))
        return out

    def agencies_in_units(self, unit_ids: set[int]) -> set[int]:
        return {aid for uid in unit_ids for aid in self.agencies_by_unit.get(uid, [])}

    def agency_label(self, agency_id: int) -> str:
        agency = self.agencies[agency_id]
        return agency.short_name or agency.name


@dataclass
class Scope:
    kind: str                      # unit | agency | procedure | field
    code: str                      # canonical code echoed by the API
    label: str
    structure: str | None = None   # units: legacy3/current2; others: None
    level: int | None = None
    unit_id: int | None = None
    agency_id: int | None = None
    procedure_id: int | None = None
    field_id: int | None = None
    # Filters on dossiers/facts; None = no filter on that column.
    unit_ids: frozenset[int] | None = None
    agency_ids: frozenset[int] | None = None
    # Agencies the scope covers (permission check and catalogue linkage); None = all.
    covered_agency_ids: frozenset[int] | None = None
    is_province: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def fact_filter(self) -> dict[str, Any]:
        """Keyword filter for DailyFact/MonthlyFact (same column names as Dossier)."""
        out: dict[str, Any] = {}
        if self.unit_ids is not None:
            out["unit_id__in"] = sorted(self.unit_ids)
        if self.agency_ids is not None:
            out["agency_id__in"] = sorted(self.agency_ids)
        if self.procedure_id is not None:
            out["procedure_id"] = self.procedure_id
        if self.field_id is not None:
            out["procedure__field_id"] = self.field_id
        return out

    def commune_units(self, directory: Directory) -> frozenset[int] | None:
        """Communes (in the scope's structure) that G5_E_CERTIFIED_COPY counts; None when the
        indicator does not apply (procedure and field scopes)."""
        if self.kind == "unit":
            assert self.unit_id is not None
            return frozenset(u for u in directory.unit_subtree(self.unit_id)
                             if directory.units[u].level == Level.COMMUNE)
        if self.kind == "agency":
            assert self.covered_agency_ids is not None
            return frozenset(
                directory.agencies[a].unit_id for a in self.covered_agency_ids
                if directory.units.get(directory.agencies[a].unit_id) is not None
                and directory.units[directory.agencies[a].unit_id].level == Level.COMMUNE)
        return None

    @property
    def view_structure(self) -> str:
        return self.structure or Structure.LEGACY_3


class ScopeNotFound(DomainError):
    status = 404

    def __init__(self, code: str) -> None:
        super().__init__(
            "SCOPE_NOT_FOUND",
            f"Không tìm thấy phạm vi «{code}» (đơn vị hành chính, cơ quan, thủ tục hoặc lĩnh vực).",
            f"No administrative unit, agency, procedure or field has the code {code!r}.",
            {"scope": code},
        )


def _unit_scope(directory: Directory, unit: UnitRow) -> Scope:
    unit_ids = directory.units_for_scope(unit)
    is_province = unit.level == Level.PROVINCE
    return Scope(
        kind="unit", code=unit.code, label=directory.label(unit.id), structure=unit.structure,
        level=unit.level, unit_id=unit.id,
        unit_ids=None if is_province and unit.structure == Structure.CURRENT_2
        else frozenset(unit_ids),
        covered_agency_ids=frozenset(directory.agencies_in_units(unit_ids)),
        is_province=is_province,
    )


def _agency_scope(directory: Directory, agency: AgencyRow) -> Scope:
    ids = frozenset(directory.agency_subtree(agency.id))
    return Scope(kind="agency", code=agency.code, label=agency.name, agency_id=agency.id,
                 agency_ids=ids, covered_agency_ids=ids)


def resolve_scope(code: str, directory: Directory) -> Scope:
    """``code`` is ``[prefix:]value``; without a prefix: agency, current unit, legacy unit,
    procedure, field, in that order (docs/ioc.md)."""
    raw = (code or "").strip()
    prefix, _, value = raw.partition(":")
    if not _ or prefix not in PREFIXES:
        prefix, value = "", raw
    if not value:
        raise ScopeNotFound(raw)
    if prefix in ("", "agency"):
        agency = directory.agency_by_code(value)
        if agency is not None:
            return _agency_scope(directory, agency)
    if prefix in ("", "unit", "current2", "legacy3"):
        structure = {"current2": Structure.CURRENT_2, "legacy3": Structure.LEGACY_3}.get(prefix)
        unit = directory.unit_by_code(value, structure)
        if unit is not None:
            return _unit_scope(directory, unit)
    if prefix in ("", "procedure"):
        proc = Procedure.objects.filter(code=value).values("id", "code", "name").first()
        if proc is not None:
            return Scope(kind="procedure", code=proc["code"], label=proc["name"],
                         procedure_id=proc["id"])
    if prefix in ("", "field"):
        fld = Field.objects.filter(code=value).values("id", "code", "name").first()
        if fld is not None:
            return Scope(kind="field", code=fld["code"], label=fld["name"], field_id=fld["id"])
    raise ScopeNotFound(raw)


# --------------------------------------------------------------------------------------------
# Who sees what
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """What a user may see: everything (``everything``), or these units and agencies."""

    everything: bool = False
    unit_ids: frozenset[int] = frozenset()
    agency_ids: frozenset[int] = frozenset()
    root_unit_id: int | None = None
    root_agency_id: int | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.unit_ids and not self.agency_ids


LEADER_ROLES = ("leader", "agency_admin")


def _shared_dashboard_agency_ids(user: Any) -> tuple[bool, frozenset[int] | None]:
    """(available, ids) from tinhso.accounts.permissions (``dashboard_agency_ids``, else
    ``visible_agency_ids``); ids None = everything (province admins, IOC viewers)."""
    try:
        from tinhso.accounts import permissions
    except ImportError:  # pragma: no cover - the accounts app always ships it now
        return False, None
    func = getattr(permissions, "dashboard_agency_ids", None) or getattr(
        permissions, "visible_agency_ids", None)
    if func is None:  # pragma: no cover
        return False, None
    result = func(user)
    return True, None if result is None else frozenset(int(i) for i in result)


def _reach_basis(user: Any) -> tuple[str, frozenset[int] | None]:
    """The part of the rule that needs no directory: ``("nothing", None)``,
    ``("everything", None)``, or ``("agency", shared ids)`` for an official with an agency,
    whose reach ``user_reach`` then works out from the directory."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "nothing", None
    if user.is_superuser or getattr(user, "is_province_admin", False):
        return "everything", None
    if not getattr(user, "is_official", False):
        return "nothing", None
    available, shared = _shared_dashboard_agency_ids(user)
    if available and shared is None:
        return "everything", None
    if not user.agency_id:
        return "nothing", None
    return "agency", shared


def may_open_ioc(user: Any) -> bool:
    """Whether ``user_reach`` gives the user anything (so the IOC pages open for them), without
    loading the directory: menus ask this on every page. An agency foreign key always points
    to an existing agency, so an official with an agency always reaches at least it."""
    return _reach_basis(user)[0] != "nothing"


def user_reach(user: Any, directory: Directory) -> Reach:
    """Province admins, IOC viewers, superusers and leaders of the province People's Committee
    see everything; leaders of a district/commune People's Committee see their unit's subtree
    (aggregates only: drill-down lists show no personal data); other officials see their
    agency and the agencies under it; others see nothing."""
    basis, shared = _reach_basis(user)
    if basis == "nothing":
        return Reach()
    if basis == "everything":
        return Reach(everything=True)
    agency = directory.agencies.get(user.agency_id)
    if agency is None:  # pragma: no cover - the foreign key forbids it
        return Reach()
    unit = directory.units.get(agency.unit_id)
    if (agency.kind == AgencyKind.PEOPLES_COMMITTEE and user.has_role(*LEADER_ROLES)
            and unit is not None):
        if unit.level == Level.PROVINCE:
            return Reach(everything=True)
        units = frozenset(directory.unit_subtree(unit.id))
        agencies = frozenset(directory.agencies_in_units(set(units))
                             | directory.agency_subtree(agency.id))
        return Reach(unit_ids=units, agency_ids=agencies, root_unit_id=unit.id,
                     root_agency_id=agency.id)
    agencies = frozenset(directory.agency_subtree(agency.id) | (shared or frozenset()))
    return Reach(agency_ids=agencies, root_agency_id=agency.id)


def check_scope(scope: Scope, reach: Reach) -> None:
    """Raise 403 FORBIDDEN unless every agency and unit the scope covers is within reach."""
    if reach.everything:
        return
    if scope.kind == "unit":
        assert scope.unit_id is not None
        if scope.unit_id in reach.unit_ids:
            return
    elif (scope.kind == "agency" and scope.covered_agency_ids
          and scope.covered_agency_ids <= reach.agency_ids):
        return
    raise PermissionDenied({"scope": scope.code})


def default_scope_code(reach: Reach, directory: Directory, structure: str) -> str:
    """Where a user's dashboard opens: the province (in the requested structure), their unit
    or their agency."""
    if reach.everything:
        from django.conf import settings

        province = directory.unit_by_code(settings.TINHSO_PROVINCE_CODE, Structure.LEGACY_3)
        if province is None:
            candidates = [u for u in directory.units.values() if u.level == Level.PROVINCE]
            province = candidates[0] if candidates else None
        if province is None:
            return ""
        if structure == Structure.CURRENT_2:
            current = directory.current_of(province.id)
            if current is not None:
                return f"current2:{directory.units[current].code}"
        return f"{province.structure}:{province.code}"
    if reach.root_unit_id is not None:
        unit = directory.units[reach.root_unit_id]
        return f"{unit.structure}:{unit.code}"
    if reach.root_agency_id is not None:
        return f"agency:{directory.agencies[reach.root_agency_id].code}"
    return ""


def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()
