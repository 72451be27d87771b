"""Dashboard reads: the index month by month and rankings of units or agencies.

Each function runs a fixed number of queries (facts grouped by month, unit or agency), so a
page costs the same with a thousand dossiers or ten million.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from tinhso.ioc.kpi import (
    GROUPS,
    NO_DATA,
    DossierCounters,
    FeedbackCounters,
    Value,
    build_index,
    indicator_values,
)
from tinhso.ioc.models import DailyFact, MonthlyFact, OpenMonthFact
from tinhso.ioc.scopes import (
    Directory,
    Scope,
    UnitRow,
    check_scope,
    resolve_scope,
    today,
    user_reach,
)
from tinhso.ioc.selectors import (
    EPOCH,
    OPEN_COLUMNS,
    PERIOD_COLUMNS,
    IndexContext,
    _fold_open,
    _fold_period,
    _month_add,
    dossier_counters_from_facts,
    effective_end,
    national_sync_value,
    parse_period,
)
from tinhso.units.models import Level, Structure


def month_end(month: dt.date) -> dt.date:
    return _month_add(month, 1) - dt.timedelta(days=1)


def ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def summary(d: DossierCounters) -> dict[str, Any]:
    """The plain figures shown next to the index."""
    return {
        "received": d.received,
        "received_online": d.received_online,
        "online_rate": ratio(d.received_online, d.received),
        "finished": d.finished,
        "finished_on_time": d.finished_on_time,
        "finished_late": d.finished_late,
        "open_total": d.open_total,
        "open_overdue": d.open_overdue,
        "overdue": d.overdue,
        "on_time_rate": ratio(d.progress_on_time, d.progress_base),
        "refused": d.refused,
        "paid_online": d.received_paid_online,
        "fee_amount": d.fee_amount,
        "paid_online_amount": d.paid_online_amount,
        "rated": d.finished_rated,
        "disliked": d.finished_disliked,
        # What the satisfaction indicator subtracts besides lateness (dislike or complaint).
        "unsatisfied": d.finished_unsatisfied,
    }


# --------------------------------------------------------------------------------------------
# Monthly series
# --------------------------------------------------------------------------------------------


def dossier_counters_by_month(scope: Scope, months: list[dt.date], now: dt.date,
                              ctx: IndexContext) -> dict[dt.date, DossierCounters]:
    """Counters of each month in ``months`` (first days, ascending), the current month judged
    at the end of ``now``. Five to eight queries whatever the number of months."""
    filters = scope.fact_filter()
    out = {m: DossierCounters() for m in months}
    complete = [m for m in months if month_end(m) <= now]
    partial = [m for m in months if m <= now < month_end(m)]
    sums = {c: Sum(c) for c in PERIOD_COLUMNS}
    # Period sums: whole months from MonthlyFact, the running month from DailyFact.
    per_month: dict[dt.date, dict[tuple[Any, ...], dict[str, int]]] = defaultdict(dict)
    if complete:
        for row in (MonthlyFact.objects.filter(month__in=complete, **filters)
                    .values("month", "procedure_id").annotate(**sums)):
            per_month[row["month"]][(row["procedure_id"],)] = {
                c: row[c] or 0 for c in PERIOD_COLUMNS}
    for m in partial:
        for row in (DailyFact.objects.filter(day__gte=m, day__lte=now, **filters)
                    .values("procedure_id").annotate(**sums)):
            per_month[m][(row["procedure_id"],)] = {c: row[c] or 0 for c in PERIOD_COLUMNS}
    for m, rows in per_month.items():
        _fold_period(rows, ctx.catalog, out[m])
    # Open at each month end: running totals over the whole history, month by month.
    open_sums = {c: Sum(c) for c in OPEN_COLUMNS}
    if months:
        upto = partial[0] if partial else _month_add(complete[-1], 1)  # exclusive
        running = dict.fromkeys(OPEN_COLUMNS, 0)
        steps: list[tuple[dt.date, dict[str, int]]] = []
        if scope.procedure_id is None and scope.field_id is None:
            # The procedure-less open table (a few rows per agency and month).
            history = [
                {"month": row["month"], "received": row["r"], "finished_on_time": row["f"],
                 "finished_late": 0, "overdue_started": row["os"], "overdue_ended": row["oe"]}
                for row in OpenMonthFact.objects.filter(month__gte=EPOCH, month__lt=upto,
                                                        **filters)
                .values("month").annotate(r=Sum("received"), f=Sum("finished"),
                                          os=Sum("overdue_started"), oe=Sum("overdue_ended"))
                .order_by("month")]
        else:
            history = list(MonthlyFact.objects.filter(month__gte=EPOCH, month__lt=upto,
                                                      **filters)
                           .values("month").annotate(**open_sums).order_by("month"))
        for row in history:
            for c in OPEN_COLUMNS:
                running[c] += row[c] or 0
            steps.append((row["month"], dict(running)))

        def before(limit: dt.date) -> dict[str, int]:
            """Running totals of every month strictly before ``limit``."""
            found = dict.fromkeys(OPEN_COLUMNS, 0)
            for month, totals in steps:
                if month >= limit:
                    break
                found = totals
            return dict(found)

        for m in complete:
            _fold_open(before(_month_add(m, 1)), out[m])
        for m in partial:
            base = before(m)
            row = (DailyFact.objects.filter(day__gte=m, day__lte=now, **filters)
                   .aggregate(**open_sums))
            for c in OPEN_COLUMNS:
                base[c] += row[c] or 0
            _fold_open(base, out[m])
    # Communes that issued electronic certified copies.
    if ctx.catalog.certified_ids:
        cert_filters = {**filters, "procedure_id__in": sorted(ctx.catalog.certified_ids)}
        found: dict[dt.date, set[int]] = defaultdict(set)
        if complete:
            for row in (MonthlyFact.objects.filter(month__in=complete, **cert_filters)
                        .values("month", "unit_id").annotate(n=Sum("finished_eresult"))):
                if row["n"]:
                    found[row["month"]].add(row["unit_id"])
        for m in partial:
            for row in (DailyFact.objects.filter(day__gte=m, day__lte=now, **cert_filters)
                        .values("unit_id").annotate(n=Sum("finished_eresult"))):
                if row["n"]:
                    found[m].add(row["unit_id"])
        for m, units in found.items():
            shown = {ctx.directory.view_unit(u, scope.view_structure) for u in units}
            out[m].certified_communes = frozenset(u for u in shown if u is not None)
    return out


def series_for_scope(scope: Scope, scope_code: str, months: int, ctx: IndexContext,
                     source: str = "facts") -> list[dict[str, Any]]:
    """The index month by month (``source="raw"``: each month from the raw tables, the
    reference for tests and benchmarks)."""
    from tinhso.feedback.selectors import feedback_counters
    from tinhso.ioc.raw import dossier_counters_from_raw

    now = today()
    starts = [_month_add(now.replace(day=1), -i) for i in reversed(range(months))]
    if source == "facts":
        counters = dossier_counters_by_month(scope, starts, now, ctx)
    else:
        counters = {m: dossier_counters_from_raw(scope, m, min(month_end(m), now), ctx.catalog,
                                                 ctx.directory)[None] for m in starts}
    communes = scope.commune_units(ctx.directory)
    procs = ctx.catalog.procedures_in(scope)
    points = []
    for m in starts:
        end = min(month_end(m), now)
        values = indicator_values(counters[m], ctx.catalog.counters(procs, m, end),
                                  feedback_counters(scope, m, end), communes, procs)
        values["G1_NATIONAL_SYNC"] = national_sync_value(scope, m, end)
        doc = build_index(scope_code, m, end, values)
        d = counters[m]
        points.append({
            "month": m.strftime("%Y-%m"),
            "score": doc["score"], "max": doc["max"],
            "groups": {g["code"]: g["score"] for g in doc["groups"]},
            **{k: v for k, v in summary(d).items()
               if k in ("received", "online_rate", "on_time_rate", "overdue")},
            "paid_online": d.received_paid_online,
            "document": doc,
        })
    return points


def monthly_series(user: Any, scope_code: str, months: int = 12,
                   ctx: IndexContext | None = None) -> list[dict[str, Any]]:
    ctx = ctx or IndexContext.load()
    scope = resolve_scope(scope_code, ctx.directory)
    check_scope(scope, user_reach(user, ctx.directory))
    return series_for_scope(scope, scope_code, months, ctx)


# --------------------------------------------------------------------------------------------
# Rankings
# --------------------------------------------------------------------------------------------


@dataclass
class RankKey:
    kind: str      # unit | agency
    id: int
    code: str
    name: str
    scope_code: str


def ranking_plan(scope: Scope, directory: Directory, by: str) -> tuple[str, int | None]:
    """(``unit`` or ``agency``, unit level) the ranking lists below ``scope``."""
    if by == "agency" or scope.kind in ("agency", "procedure", "field"):
        return "agency", None
    if by == "district":
        return "unit", Level.DISTRICT
    if by == "commune":
        return "unit", Level.COMMUNE
    if scope.level == Level.PROVINCE:
        return "unit", (Level.DISTRICT if scope.structure == Structure.LEGACY_3
                        else Level.COMMUNE)
    if scope.level == Level.DISTRICT:
        return "unit", Level.COMMUNE
    return "agency", None


def ranking(user: Any, scope_code: str, date_from: Any, date_to: Any, by: str = "auto",
            ctx: IndexContext | None = None, source: str = "facts") -> dict[str, Any]:
    from tinhso.feedback.selectors import feedback_counters_by_agency
    from tinhso.ioc.raw import dossier_counters_from_raw

    start, end = parse_period(date_from, date_to)
    judged = effective_end(end)
    ctx = ctx or IndexContext.load()
    directory = ctx.directory
    scope = resolve_scope(scope_code, directory)
    check_scope(scope, user_reach(user, directory))
    kind, level = ranking_plan(scope, directory, by)
    structure = scope.view_structure

    keys: dict[int, RankKey] = {}
    unit: UnitRow | None
    aid: int | None  # an agency; below also the None key of feedback without one
    if kind == "unit":
        assert scope.unit_id is not None and level is not None
        for uid in directory.unit_subtree(scope.unit_id):
            unit = directory.units[uid]
            if unit.level == level and unit.structure == structure:
                keys[uid] = RankKey("unit", uid, unit.code, directory.label(uid),
                                    f"{structure}:{unit.code}")

        def key_of_unit(raw_unit: int) -> int | None:
            shown = directory.view_unit(raw_unit, structure)
            if shown is None:
                return None
            found = directory.ancestor_at_level(shown, level)
            return found if found in keys else None
        key_of_agency = lambda a: key_of_unit(directory.agencies[a].unit_id)  # noqa: E731
    else:
        covered = (scope.covered_agency_ids if scope.covered_agency_ids is not None
                   else frozenset(directory.agencies))
        for aid in covered:
            agency = directory.agencies[aid]
            keys[aid] = RankKey("agency", aid, agency.code, agency.name,
                                f"agency:{agency.code}")
        key_of_agency = lambda a: a if a in keys else None  # noqa: E731

    counters: dict[int, DossierCounters] = defaultdict(DossierCounters)
    compute = dossier_counters_from_facts if source == "facts" else dossier_counters_from_raw
    grouped = compute(scope, start, judged, ctx.catalog, directory,
                      group="unit" if kind == "unit" else "agency")
    for raw_key, c in grouped.items():
        k = key_of_unit(raw_key) if kind == "unit" else key_of_agency(raw_key)
        if k is not None:
            counters[k].add(c)
    feedback: dict[int, FeedbackCounters] = defaultdict(FeedbackCounters)
    if judged >= start:
        for aid, fc in feedback_counters_by_agency(scope, start, judged).items():
            k = key_of_agency(aid) if aid is not None else None
            if k is not None:
                feedback[k].add(fc)
    rows = []
    for k, key in keys.items():
        if kind == "unit":
            units = directory.unit_subtree(k)
            agencies = directory.agencies_in_units(directory.units_for_scope(directory.units[k]))
            communes = [u for u in units if directory.units[u].level == Level.COMMUNE]
        else:
            agencies = {k}
            unit = directory.units.get(directory.agencies[k].unit_id)
            communes = [unit.id] if unit is not None and unit.level == Level.COMMUNE else []
        procs: set[int] = set()
        for a in agencies:
            procs |= ctx.catalog.by_agency.get(a, set())
        procs &= {p for p in procs if ctx.catalog.procs[p].is_active}
        if scope.kind == "procedure":
            procs &= {scope.procedure_id}
        elif scope.kind == "field":
            procs = {p for p in procs if ctx.catalog.procs[p].field_id == scope.field_id}
        d = counters[k]
        values = indicator_values(d, ctx.catalog.counters(procs, start, judged), feedback[k],
                                  set(communes), procs)
        values["G1_NATIONAL_SYNC"] = _sync_of_agencies(agencies, start, judged)
        doc = build_index(key.scope_code, start, judged, values)
        s = summary(d)
        rows.append({
            "code": key.code, "name": key.name, "scope": key.scope_code,
            "score": doc["score"], "max": doc["max"],
            "received": s["received"], "on_time_rate": s["on_time_rate"],
            "online_rate": s["online_rate"], "overdue": s["overdue"],
            "groups": {g["code"]: g["score"] for g in doc["groups"]},
            "indicators": {i["code"]: i for g in doc["groups"] for i in g["indicators"]},
        })
    rows.sort(key=lambda r: (-(r["score"] / r["max"] if r["score"] is not None and r["max"]
                               else -1), r["name"]))
    return {"scope": scope, "kind": kind, "level": level, "rows": rows,
            "from": start, "to": judged}


def _sync_of_agencies(agencies: set[int], start: dt.date, end: dt.date) -> Value:
    """G1_NATIONAL_SYNC of one ranking row (its agencies), from the national portal's sync log."""
    from tinhso.connectors.selectors import national_sync_counts

    counts = (national_sync_counts({"agency_id__in": sorted(agencies)}, start, end)
              if end >= start else None)
    return NO_DATA if counts is None else Value(*counts)


GROUP_CODES = [g.code for g in GROUPS]
