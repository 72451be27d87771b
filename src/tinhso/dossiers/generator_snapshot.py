"""The demo data the generator draws from (procedures, agencies, officials, citizens), read
once in a deterministic order, with the weighted procedure tables of each era."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from tinhso.catalog.models import Procedure
from tinhso.dossiers.generator_clock import OfficeClock
from tinhso.dossiers.generator_params import CAMPAIGN_END, LEVEL_FACTOR
from tinhso.units.models import Agency


@dataclass(slots=True, eq=False)
class AgencyInfo:
    obj: Agency
    desk: str  # "province", "district", "commune" or "land"
    valid_from: int | None
    valid_to: int | None
    clock: OfficeClock
    officials: dict[str, list[int]] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class ProcedureInfo:
    obj: Procedure
    weight: float
    agencies: list[AgencyInfo]
    online: float  # 0 (no online service), 0.97 (partial) or 1 (full online)
    electronic: bool
    steps: list[dict[str, Any]]
    form: dict[str, Any]
    allowed: dict[int, int] = field(default_factory=dict)  # per_day → office seconds


def _example(schema: Any, depth: int = 0) -> Any:
    """A plausible value for a (simple) JSON Schema: demo form data, not validated input."""
    if not isinstance(schema, dict) or depth > 4:
        return None
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        return {key: _example(sub, depth + 1) for key, sub in props.items()
                if key in (schema.get("required") or [])}
    if kind == "string":
        return {"date": "2000-01-01", "email": "nguoinop@example.vn"}.get(
            schema.get("format", ""), schema.get("title", "—")[:50])
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    return None


def _desk(agency: Agency) -> str:
    if agency.kind == "branch" and agency.unit.level == 2:
        return "land"
    return {1: "province", 2: "district"}.get(agency.unit.level, "commune")


class Snapshot:
    """Procedures, agencies and officials read once, in a deterministic order."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        from tinhso.accounts.models import AccountKind, RoleAssignment, User
        from tinhso.dossiers.templates import effective_template

        clocks: dict[tuple[tuple[dt.time, dt.time], ...], OfficeClock] = {}
        agencies: dict[int, AgencyInfo] = {}
        for a in Agency.objects.select_related("unit").order_by("code"):
            periods = tuple(a.office_periods())
            if periods not in clocks:
                clocks[periods] = OfficeClock(periods, first, last)
            u = a.unit
            agencies[a.pk] = AgencyInfo(
                a, _desk(a), u.valid_from.toordinal() if u.valid_from else None,
                u.valid_to.toordinal() if u.valid_to else None, clocks[periods])
        for agency_id, user_id, role in RoleAssignment.objects.filter(
                user__kind=AccountKind.OFFICIAL, user__agency__isnull=False,
                user__is_active=True).order_by("user__username", "role").values_list(
                "user__agency_id", "user_id", "role"):
            agencies[agency_id].officials.setdefault(role, []).append(user_id)
        self.citizens = list(User.objects.filter(kind=AccountKind.CITIZEN, is_active=True)
                             .exclude(id_number="").order_by("username")
                             .values_list("id", "id_number", "full_name")[:50])
        by_level: dict[int, list[AgencyInfo]] = {}
        for info in agencies.values():
            if info.obj.has_one_stop_desk:
                by_level.setdefault(info.obj.unit.level, []).append(info)
        level_no = {"province": 1, "district": 2, "commune": 3}
        self.procedures: list[ProcedureInfo] = []
        links: dict[int, list[int]] = {}
        for proc_id, agency_id in Procedure.agencies.through.objects.values_list(
                "procedure_id", "agency_id"):
            links.setdefault(proc_id, []).append(agency_id)
        for p in Procedure.objects.filter(is_active=True).order_by("code"):
            linked = [agencies[i] for i in sorted(links.get(p.pk, []),
                                                  key=lambda i: agencies[i].obj.code)]
            desks = [a for a in linked if a.obj.has_one_stop_desk] or linked
            desks = desks or by_level.get(level_no.get(p.level, 3), [])
            if not desks:
                continue
            weight = max(p.popularity, 1) * LEVEL_FACTOR.get(p.level, 1.0)
            online = {"full": 1.0, "partial": 0.97}.get(p.online_level, 0.0)
            self.procedures.append(ProcedureInfo(
                p, weight, desks, online, p.result_type == "electronic",
                effective_template(p), _example(p.form_schema) or {}))
        self._tables: dict[tuple[int, ...], Any] = {}
        # Days on which the valid agencies change (valid_to is the last valid day).
        bounds = {b for a in agencies.values()
                  for b in (a.valid_from, a.valid_to + 1 if a.valid_to else None) if b}
        self.bounds = sorted(bounds | {CAMPAIGN_END.toordinal()})

    def table(self, ordinal: int, online_only: bool) -> tuple[list[float], list[Any]]:
        """Cumulative weights and (procedure, agencies valid that day) for one era."""
        era = (bisect_right(self.bounds, ordinal), int(online_only))
        cached = self._tables.get(era)
        if cached is None:
            rows = []
            # After the 2022 campaign counter-only procedures lost ground to online ones.
            campaign = ordinal >= CAMPAIGN_END.toordinal()
            for p in self.procedures:
                if online_only and not p.online:
                    continue
                valid = [a for a in p.agencies
                         if (a.valid_from is None or a.valid_from <= ordinal)
                         and (a.valid_to is None or ordinal <= a.valid_to)]
                weight = p.weight * (0.5 if campaign and not p.online else 1.0)
                rows.append((weight, p, valid or p.agencies))
            cached = (list(accumulate(r[0] for r in rows)), [(r[1], r[2]) for r in rows])
            self._tables[era] = cached
        return cached

