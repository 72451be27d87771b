"""Demo catalogue: the procedures of ``data/procedures.json`` linked to the demo agencies.

``load_catalog()`` is idempotent: procedures are created or updated by code through the same
path as ``catalog_import`` (so ``search_text`` is always in sync), and each procedure's agencies
are replaced by the ones the rules below pick. Needs ``tinhso.units.demo.load_agencies()``.

Linking rules (the 3-level structure before 1 July 2025):

- province level → the department named in ``implementing_body`` ("Sở Tư pháp" …; by field when
  the text names none) plus the provincial public-administration service centre, where the
  one-stop desk receives the dossiers;
- district level → the land-registry branches when the implementing body is the land-registry
  office (Văn phòng đăng ký đất đai), else the district People's Committees;
- commune level → every commune People's Committee.

Matching uses the agency kind, the level of its unit and its folded name, never a fixed code, so
it keeps working when the demo codes change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from tinhso.catalog.models import Procedure, ProcedureLevel
from tinhso.catalog.services import catalog_import
from tinhso.core.text import fold
from tinhso.units.models import Agency, AgencyKind, Level, Structure

DATA_FILE = Path(__file__).resolve().parent / "data" / "procedures.json"

# When a province-level procedure's implementing body names no known department: the department
# of its field (folded name prefixes, before " tinh <province>").
FIELD_DEPARTMENT = {
    "ly-lich-tu-phap": "so tu phap",
    "ho-tich": "so tu phap",
    "chung-thuc": "so tu phap",
    "nuoi-con-nuoi": "so tu phap",
    "doanh-nghiep": "so ke hoach va dau tu",
    "xay-dung": "so xay dung",
    "dat-dai": "so tai nguyen va moi truong",
}
LAND_REGISTRY = "van phong dang ky dat dai"


def read_data_file(path: Path = DATA_FILE) -> list[dict[str, Any]]:
    """The procedures of a catalogue file: either a list or ``{"procedures": [...]}``."""
    with path.open(encoding="utf-8") as handle:
        doc = json.load(handle)
    if isinstance(doc, dict):
        doc = doc.get("procedures")
    if not isinstance(doc, list):
        raise ValueError(f"{path}: expected a list of procedures or {{\"procedures\": [...]}}")
    return doc


def department_key(agency: Agency) -> str:
    """``Sở Tư pháp tỉnh Bình Phước`` → ``so tu phap`` (the part before the province name)."""
    folded = fold(agency.name)
    return folded.split(" tinh ", 1)[0].strip()


# Departments renamed by the 2025 merger of ministries (Resolution 176/2025/QH15): the key a
# procedure or field names → the key of the department that does that work in 2-level Đồng Nai.
RENAMED_DEPARTMENT = {
    "so tai nguyen va moi truong": "so nong nghiep va moi truong",
    "so ke hoach va dau tu": "so tai chinh",
}


class AgencyPools:
    """The demo agencies grouped the way the linking rules need them (one query).

    Each structure has its own pools: a procedure is linked to the agencies of the 3-level
    structure (before 1 July 2025) *and* of the 2-level one (from then on). After the reform a
    district-level procedure is done at the commune (the district level is gone; Decree
    151/2025/NĐ-CP moved its powers to communes and the province), land registration by the
    provincial land registry's desk.
    """

    def __init__(self, agencies: list[Agency]) -> None:
        def pick(kind: str, level: int, structure: str) -> list[Agency]:
            return [a for a in agencies if a.kind == kind and a.unit.level == level
                    and a.unit.structure == structure]

        legacy, current = Structure.LEGACY_3, Structure.CURRENT_2
        self.centres = pick(AgencyKind.PUBLIC_SERVICE_CENTRE, Level.PROVINCE, legacy)
        self.departments = pick(AgencyKind.DEPARTMENT, Level.PROVINCE, legacy)
        self.district_committees = pick(AgencyKind.PEOPLES_COMMITTEE, Level.DISTRICT, legacy)
        self.commune_committees = pick(AgencyKind.PEOPLES_COMMITTEE, Level.COMMUNE, legacy)
        self.land_branches = [a for a in pick(AgencyKind.BRANCH, Level.DISTRICT, legacy)
                              if "dat dai" in fold(a.name)]
        self.current_centres = pick(AgencyKind.PUBLIC_SERVICE_CENTRE, Level.PROVINCE, current)
        self.current_departments = pick(AgencyKind.DEPARTMENT, Level.PROVINCE, current)
        self.current_communes = pick(AgencyKind.PEOPLES_COMMITTEE, Level.COMMUNE, current)
        self.current_land = [a for a in pick(AgencyKind.BRANCH, Level.PROVINCE, current)
                             if "dat dai" in fold(a.name)]

    @classmethod
    def load(cls) -> AgencyPools:
        return cls(list(Agency.objects.filter(is_active=True).select_related("unit")))

    def for_procedure(self, procedure: Procedure) -> list[Agency]:
        return self._legacy(procedure) + self._current(procedure)

    def _legacy(self, procedure: Procedure) -> list[Agency]:
        body = fold(procedure.implementing_body)
        if procedure.level == ProcedureLevel.PROVINCE:
            named = [d for d in self.departments if department_key(d) and department_key(d) in body]
            if not named:
                wanted = FIELD_DEPARTMENT.get(procedure.field.code)
                named = [d for d in self.departments if department_key(d) == wanted]
            return named + self.centres
        if procedure.level == ProcedureLevel.DISTRICT:
            if LAND_REGISTRY in body and self.land_branches:
                return list(self.land_branches)
            return list(self.district_committees)
        return list(self.commune_committees)

    def _current(self, procedure: Procedure) -> list[Agency]:
        body = fold(procedure.implementing_body)
        if procedure.level == ProcedureLevel.PROVINCE:
            keys = {k for k in (*FIELD_DEPARTMENT.values(), "so tu phap", "so xay dung")
                    if k in body} or {FIELD_DEPARTMENT.get(procedure.field.code, "")}
            keys = {RENAMED_DEPARTMENT.get(k, k) for k in keys}
            named = [d for d in self.current_departments if department_key(d) in keys]
            return named + self.current_centres
        if procedure.level == ProcedureLevel.DISTRICT and LAND_REGISTRY in body:
            return list(self.current_land)
        return list(self.current_communes)


def link_agencies(procedures: list[Procedure], pools: AgencyPools | None = None) -> None:
    """Replace the implementing agencies of ``procedures`` by the rule-picked ones."""
    pools = pools or AgencyPools.load()
    for procedure in procedures:
        wanted = pools.for_procedure(procedure)
        current = set(procedure.agencies.values_list("pk", flat=True))
        if current != {a.pk for a in wanted}:
            procedure.agencies.set(wanted)


@transaction.atomic
def load_catalog() -> None:
    """Load (create or update by code) the demo catalogue and link it to the demo agencies."""
    entries = read_data_file()
    catalog_import(acting_user=None, data=entries)
    codes = [e["code"] for e in entries]
    procedures = list(Procedure.objects.filter(code__in=codes).select_related("field"))
    link_agencies(procedures)
