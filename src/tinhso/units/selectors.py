"""Reads of units and agencies. Units and agencies are public data: no user scoping here.

Succession (for the IOC's 2-level view): a legacy commune has a current successor commune; the
legacy province has the new province; a legacy district has none (the level was abolished), so
it — and everything attributed to it — rolls up to its province's successor.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from tinhso.units.models import REFORM_DATE, AdminUnit, Agency, Level, Structure

# Deepest chain of parents in any structure (province → district → commune).
_MAX_DEPTH = 3


def unit_list(*, structure: str | None = None, level: int | None = None,
              parent_code: str | None = None) -> QuerySet[AdminUnit]:
    """Units filtered by structure, level and the code of their parent (all optional)."""
    qs = AdminUnit.objects.select_related("parent")
    if structure:
        qs = qs.filter(structure=structure)
    if level:
        qs = qs.filter(level=level)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    return qs.order_by("structure", "level", "code")


def agency_list(*, unit_code: str | None = None, structure: str | None = None,
                kind: str | None = None, under_unit_code: str | None = None,
                ) -> QuerySet[Agency]:
    """Active agencies, filtered by the code of their unit (or of a unit above it) and kind."""
    qs = Agency.objects.filter(is_active=True).select_related("unit", "parent")
    if structure:
        qs = qs.filter(unit__structure=structure)
    if unit_code:
        qs = qs.filter(unit__code=unit_code)
    if under_unit_code:
        lookup = Q(unit__code=under_unit_code)
        path = "unit"
        for _ in range(_MAX_DEPTH - 1):
            path += "__parent"
            lookup |= Q(**{f"{path}__code": under_unit_code})
        qs = qs.filter(lookup)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("code")


def unit_descendants(unit: AdminUnit, *, include_self: bool = False) -> QuerySet[AdminUnit]:
    """All units under ``unit`` (children, grandchildren …), in one query; for scoping."""
    lookup = Q()
    path = "parent_id"
    for _ in range(_MAX_DEPTH):
        lookup |= Q(**{path: unit.pk})
        path = "parent__" + path
    if include_self:
        lookup |= Q(pk=unit.pk)
    return AdminUnit.objects.filter(lookup)


def agency_descendants(agency: Agency, *, include_self: bool = False) -> QuerySet[Agency]:
    """All agencies under ``agency`` in the parent chain (at most four levels deep)."""
    lookup = Q()
    path = "parent_id"
    for _ in range(4):
        lookup |= Q(**{path: agency.pk})
        path = "parent__" + path
    if include_self:
        lookup |= Q(pk=agency.pk)
    return Agency.objects.filter(lookup)


def current_successor(unit: AdminUnit) -> AdminUnit | None:
    """The current-structure unit that now stands for ``unit`` (itself if already current).

    Follows ``successor`` links; a unit without one (a legacy district) rolls up to its parent's
    successor. ``None`` only when nothing in the chain has a current successor.
    """
    seen: set[int] = set()
    node: AdminUnit | None = unit
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        if node.structure == Structure.CURRENT_2:
            return node
        node = node.successor if node.successor_id else node.parent
    return None


def current_unit_map() -> dict[int, int]:
    """``{unit id: current successor unit id}`` for every unit, from one query.

    For bulk reports (IOC): map the ``unit_id`` of many rows without a query per row.
    """
    rows = {pk: (structure, successor, parent) for pk, structure, successor, parent in
            AdminUnit.objects.values_list("pk", "structure", "successor_id", "parent_id")}
    result: dict[int, int] = {}
    for start in rows:
        seen: set[int] = set()
        node: int | None = start
        while node is not None and node not in seen and node in rows:
            seen.add(node)
            structure, successor, parent = rows[node]
            if structure == Structure.CURRENT_2:
                result[start] = node
                break
            node = successor if successor is not None else parent
    return result


def agency_current_unit(agency: Agency) -> AdminUnit | None:
    """The current-structure unit of an agency: where its dossiers appear in the 2-level view."""
    return current_successor(agency.unit)


def agency_current_unit_map() -> dict[int, int]:
    """``{agency id: current unit id}`` for every agency (two queries)."""
    units = current_unit_map()
    return {
        agency_id: units[unit_id]
        for agency_id, unit_id in Agency.objects.values_list("pk", "unit_id")
        if unit_id in units
    }


def agency_get(agency_id: int) -> Agency | None:
    """An agency by id (the directory of agencies is public)."""
    return Agency.objects.filter(pk=agency_id).first()


def agency_choices() -> QuerySet[Agency]:
    """Active agencies by name, for pick lists (code and name only)."""
    return Agency.objects.filter(is_active=True).order_by("name").only("code", "name")


# --------------------------------------------------------------------------------------------
# The structure in force (the 2025 reform): which agencies may receive dossiers on a day
# --------------------------------------------------------------------------------------------


def in_force_q(day: dt.date, prefix: str = "unit__") -> Q:
    """Agencies (``prefix="unit__"``) or units (``prefix=""``) whose unit is valid on ``day``."""
    return ((Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": day}))
            & (Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": day})))


def agency_in_force(agency: Agency, day: dt.date | None = None) -> bool:
    """Whether the agency's administrative unit exists on ``day`` (today by default): an agency
    of a unit abolished by the 2025 reform receives no dossier after 30 June 2025."""
    return agency.unit.is_valid_on(day or timezone.localdate())


def structure_in_force(day: dt.date | None = None) -> str:
    """``current2`` from 1 July 2025, ``legacy3`` before."""
    return Structure.CURRENT_2 if (day or timezone.localdate()) >= REFORM_DATE \
        else Structure.LEGACY_3


def successor_agencies(agency: Agency, *, procedure_id: int | None = None,
                       day: dt.date | None = None) -> list[Agency]:
    """Agencies in force that took over an abolished agency's work, best first.

    A commune's committee → the committee of the commune it became (``successor``); a
    provincial agency → the agency of the same kind and function in the new province (the
    names differ only by the province, or by the 2025 merger of departments); a district's
    committee or branch → none by unit (the level was abolished): the applicant picks the
    commune from the address. With ``procedure_id`` only agencies implementing it."""
    from tinhso.core.text import fold

    day = day or timezone.localdate()
    unit = current_successor(agency.unit)
    if unit is None or (agency.unit.level == Level.DISTRICT):
        return []
    qs = Agency.objects.filter(in_force_q(day), is_active=True, unit=unit,
                               kind=agency.kind).select_related("unit")
    if procedure_id is not None:
        qs = qs.filter(procedures__pk=procedure_id)
    found = list(qs.order_by("code"))
    if agency.unit.level == Level.PROVINCE:
        old = fold(agency.name).split(" tinh ")[0]
        renamed = {"so tai nguyen va moi truong": "so nong nghiep va moi truong",
                   "so ke hoach va dau tu": "so tai chinh"}.get(old, old)
        found = [a for a in found if fold(a.name).split(" tinh ")[0] == renamed]
    return found
