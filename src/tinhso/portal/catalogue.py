"""Catalogue reads for the portal and back-office pages, through the catalogue selectors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tinhso.catalog import selectors
from tinhso.catalog.models import Field, Procedure, ProcedureLevel
from tinhso.core.text import fold
from tinhso.units.models import AdminUnit, Agency, Level


def search_procedures(query: str = "", *, field_code: str | None = None,
                      agency_code: str | None = None, level: str | None = None,
                      online_level: str | None = None) -> QuerySet[Procedure]:
    """From 1 July 2025 the levels are province and commune: "commune" also finds the
    procedures the abolished districts used to do (now done at the commune)."""
    if level == ProcedureLevel.COMMUNE and after_reform():
        qs = selectors.search_procedures(query, field_code=field_code, agency_code=agency_code,
                                         online_level=online_level)
        return qs.filter(level__in=[ProcedureLevel.COMMUNE, ProcedureLevel.DISTRICT])
    return selectors.search_procedures(query, field_code=field_code, agency_code=agency_code,
                                       level=level, online_level=online_level)


def after_reform(day: dt.date | None = None) -> bool:
    from tinhso.units.models import REFORM_DATE

    return (day or timezone.localdate()) >= REFORM_DATE


def levels_in_force(day: dt.date | None = None) -> list[tuple[str, str]]:
    """Implementing levels offered in filters: province/commune after the reform."""
    if after_reform(day):
        return [(v, label) for v, label in ProcedureLevel.choices
                if v != ProcedureLevel.DISTRICT]
    return list(ProcedureLevel.choices)


def level_label(procedure: Procedure, day: dt.date | None = None) -> str:
    """``Cấp xã (trước 01/7/2025: cấp huyện)`` for a district procedure after the reform."""
    if procedure.level == ProcedureLevel.DISTRICT and after_reform(day):
        return "Cấp xã (trước 01/7/2025: cấp huyện)"
    return str(procedure.get_level_display())


def procedure_get(code: str) -> Procedure:
    """An active procedure; raises a ``NotFound`` subclass otherwise."""
    return selectors.procedure_get(code, active_only=True)


def fields_with_counts() -> list[Field]:
    """Fields that have at least one active procedure (empty fields are no use to browse)."""
    # procedure_count is annotated by the selector, which the stubs do not see.
    return [f for f in selectors.fields_with_counts() if f.procedure_count]  # type: ignore[attr-defined]


def popular_procedures(limit: int = 8) -> list[Procedure]:
    return list(selectors.search_procedures("")[:limit])


def agencies_with_counts() -> list[Agency]:
    """Agencies in force that implement at least one active procedure, with how many."""
    from tinhso.units.selectors import in_force_q

    return list(
        Agency.objects.filter(in_force_q(timezone.localdate()), is_active=True)
        .annotate(procedure_count=Count("procedures", filter=Q(procedures__is_active=True)))
        .filter(procedure_count__gt=0).order_by("name")
    )


# --------------------------------------------------------------------------------------------
# Where to submit ("Nơi nộp hồ sơ"): desks in force, found from the applicant's address or a
# search — never preset to an arbitrary one (docs/web.md, "Choosing the office").
# --------------------------------------------------------------------------------------------


@dataclass
class DeskSearch:
    desks: list[Agency]
    # How the list was narrowed: "query", "address" (the applicant's commune) or "" (all).
    matched_by: str
    total: int


def _unit_labels() -> dict[int, str]:
    """``{current unit id: folded names of it and of every unit it took over}``, so that an
    address or a search naming an old ward (Tân Phú) finds the ward it became (Bình Phước)."""
    from tinhso.units.selectors import current_unit_map

    names = {pk: (fold(f"{t} {n}"), fold(n)) for pk, t, n in
             AdminUnit.objects.values_list("pk", "unit_type", "name")}
    labels: dict[int, list[str]] = {}
    for unit_id, current_id in current_unit_map().items():
        labels.setdefault(current_id, []).extend(names.get(unit_id, ()))
    return {k: " | ".join(v) for k, v in labels.items()}


def _address_units(address: str, levels: dict[int, int]) -> set[int]:
    """Current commune ids named in a free-text address ("phường Tân Phú, Đồng Xoài")."""
    from tinhso.units.selectors import current_unit_map

    text = " " + " ".join(fold(address).replace(",", " ").split()) + " "
    if not text.strip():
        return set()
    mapping = current_unit_map()
    found: set[int] = set()
    for pk, unit_type, name in AdminUnit.objects.filter(level=Level.COMMUNE).values_list(
            "pk", "unit_type", "name"):
        current = mapping.get(pk)
        if (f" {fold(unit_type)} {fold(name)} " in text and current is not None
                and levels.get(current) == Level.COMMUNE):
            found.add(current)
    return found


def desks_for_procedure(procedure: Procedure, *, query: str = "", address: str = "",
                        day: dt.date | None = None) -> DeskSearch:
    """The agencies in force that implement ``procedure``, narrowed by a search (agency, desk
    or commune name, old names included) or else by the applicant's address; provincial desks
    (departments, the centre) always stay in the list."""
    from tinhso.units.selectors import in_force_q

    day = day or timezone.localdate()
    agencies = list(procedure.agencies.filter(in_force_q(day), is_active=True)
                    .select_related("unit").order_by("name"))
    total = len(agencies)
    words = fold(query).split()
    if words:
        labels = _unit_labels()
        texts = {a.pk: " " + " ".join(f"{fold(a.name)} {fold(a.one_stop_desk_name)} "
                                      f"{labels.get(a.unit_id, '')}".split()) for a in agencies}
        # The words as a phrase first ("tân phú" is a ward, not "Tân Triều" + "phường"), else
        # every word at the start of a word.
        phrase = " " + " ".join(words)
        hits = [a for a in agencies if phrase in texts[a.pk]] or [
            a for a in agencies if all(f" {w}" in texts[a.pk] for w in words)]
        return DeskSearch(hits, "query", total)
    levels = dict(AdminUnit.objects.filter(
        pk__in={a.unit_id for a in agencies}).values_list("pk", "level"))
    units = _address_units(address, levels)
    if units:
        near = [a for a in agencies if a.unit_id in units or a.unit.level == Level.PROVINCE]
        if near:
            return DeskSearch(near, "address", total)
    return DeskSearch(agencies, "", total)
