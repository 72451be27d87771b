"""Reads for the IOC: the index of a scope and period (from the facts, or from the raw tables
for verification and benchmarks), series, rankings. Every entry point taking a user checks the
scope against what the user may see (tinhso.ioc.scopes.user_reach)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum

from tinhso.catalog.models import OnlineLevel, Procedure
from tinhso.core.errors import ValidationFailed
from tinhso.ioc.kpi import (
    NO_DATA,
    CatalogCounters,
    DossierCounters,
    FeedbackCounters,
    Value,
    build_index,
    indicator_values,
)
from tinhso.ioc.models import OPEN_COLUMNS_MONTHLY, DailyFact, MonthlyFact, OpenMonthFact
from tinhso.ioc.scopes import (
    Directory,
    Scope,
    check_scope,
    resolve_scope,
    today,
    user_reach,
)
from tinhso.workdays.calendar import is_working_day

EPOCH = dt.date(1900, 1, 1)
OPEN_COLUMNS = ("received", "finished_on_time", "finished_late", "overdue_started",
                "overdue_ended")
PERIOD_COLUMNS = (
    "received", "received_online", "received_paid_online", "received_digitized",
    "finished_on_time", "finished_late", "finished_with_result", "finished_eresult",
    "finished_digitized", "finished_rated", "finished_disliked", "finished_unsatisfied",
    "finished_multi_supplement", "refused", "fee_amount", "paid_online_amount",
)
# Electronic certified copy from the original (DOMAIN §5): procedure 2.000815 and local
# variants of its code.
CERTIFIED_COPY_PREFIXES: tuple[str, ...] = tuple(
    getattr(settings, "TINHSO_IOC_CERTIFIED_COPY_PROCEDURES", ("2.000815",))
)
# UNCONFIRMED rules, configurable (docs/kpi.md §3.1).
ANNOUNCE_LEAD_DAYS: int = getattr(settings, "TINHSO_IOC_ANNOUNCE_LEAD_DAYS", 0)
PUBLISH_DEADLINE_WORKING_DAYS: int = getattr(settings, "TINHSO_IOC_PUBLISH_DEADLINE_DAYS", 5)


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


def parse_period(date_from: str | dt.date | None, date_to: str | dt.date | None
                 ) -> tuple[dt.date, dt.date]:
    """Validated (from, to); 422 PERIOD_INVALID on a bad date or from > to."""
    def parse(value: str | dt.date | None, name: str) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except (TypeError, ValueError):
            raise ValidationFailed(
                "PERIOD_INVALID", f"Ngày «{value}» không hợp lệ (định dạng YYYY-MM-DD).",
                f"{name}={value!r} is not a date (YYYY-MM-DD).", {"field": name},
            ) from None
    start, end = parse(date_from, "from"), parse(date_to, "to")
    if start > end:
        raise ValidationFailed(
            "PERIOD_INVALID", "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.",
            "from must not be after to.", {"from": start.isoformat(), "to": end.isoformat()},
        )
    if start < EPOCH:
        raise ValidationFailed("PERIOD_INVALID", "Ngày bắt đầu quá sớm.", "from is too early.",
                               {"from": start.isoformat()})
    return start, end


def effective_end(date_to: dt.date) -> dt.date:
    """Unfinished dossiers are judged at the end of the period's last day, but never at a day
    that has not come yet: a period reaching into the future is judged at the end of today."""
    return min(date_to, today())


def _month_add(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def split_range(start: dt.date, end: dt.date
                ) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """[start, end] as (whole months for MonthlyFact, leftover day ranges for DailyFact)."""
    if end < start:
        return None, []
    first_full = start if start.day == 1 else _month_add(start, 1)
    after_end = end + dt.timedelta(days=1)
    # The last whole month: the month of ``end`` when ``end`` is its last day, else the one before.
    last_full_start = _month_add(end, 0) if after_end.day == 1 else _month_add(end, -1)
    if first_full > last_full_start:
        return None, [(start, end)]
    days: list[tuple[dt.date, dt.date]] = []
    if start < first_full:
        days.append((start, first_full - dt.timedelta(days=1)))
    last_full_end = _month_add(last_full_start, 1) - dt.timedelta(days=1)
    if last_full_end < end:
        days.append((last_full_end + dt.timedelta(days=1), end))
    return (first_full, last_full_start), days


def range_sum(filters: dict[str, Any], start: dt.date, end: dt.date, by: Iterable[str],
              columns: Iterable[str]) -> dict[tuple[Any, ...], dict[str, int]]:
    """SUM(columns) of the facts over [start, end] grouped by ``by``: whole months from
    MonthlyFact, the rest from DailyFact (at most two queries)."""
    by, columns = list(by), list(columns)
    months, day_ranges = split_range(start, end)
    out: dict[tuple[Any, ...], dict[str, int]] = {}

    def fold(rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            key = tuple(row[b] for b in by)
            bucket = out.setdefault(key, dict.fromkeys(columns, 0))
            for c in columns:
                bucket[c] += row[c] or 0

    sums = {c: Sum(c) for c in columns}
    if months is not None:
        qs = MonthlyFact.objects.filter(month__gte=months[0], month__lte=months[1], **filters)
        fold(qs.values(*by).annotate(**sums) if by else [qs.aggregate(**sums)])
    if day_ranges:
        q = Q()
        for lo, hi in day_ranges:
            q |= Q(day__gte=lo, day__lte=hi)
        qs = DailyFact.objects.filter(q, **filters)
        fold(qs.values(*by).annotate(**sums) if by else [qs.aggregate(**sums)])
    return out


def open_sums(scope: Scope, end: dt.date, by: list[str]
              ) -> dict[tuple[Any, ...], dict[str, int]]:
    """Σ_{day ≤ end} of the open-state counters (OPEN_COLUMNS) grouped by ``by``.

    Unit and agency scopes read OpenMonthFact (no procedure dimension: a few rows per agency
    and month) for the whole months and DailyFact for the days of ``end``'s month; procedure
    and field scopes need the procedure and read MonthlyFact."""
    filters = scope.fact_filter()
    if scope.procedure_id is not None or scope.field_id is not None:
        return range_sum(filters, EPOCH, end, by, OPEN_COLUMNS)
    months, day_ranges = split_range(EPOCH, end)
    out: dict[tuple[Any, ...], dict[str, int]] = {}
    if months is not None:
        qs = OpenMonthFact.objects.filter(month__gte=months[0], month__lte=months[1], **filters)
        sums = {c: Sum(c) for c in OPEN_COLUMNS_MONTHLY}
        rows = qs.values(*by).annotate(**sums) if by else [qs.aggregate(**sums)]
        for row in rows:
            bucket = out.setdefault(tuple(row[b] for b in by), dict.fromkeys(OPEN_COLUMNS, 0))
            bucket["received"] += row["received"] or 0
            bucket["finished_on_time"] += row["finished"] or 0
            bucket["overdue_started"] += row["overdue_started"] or 0
            bucket["overdue_ended"] += row["overdue_ended"] or 0
    for lo, hi in day_ranges:
        for key, row in range_sum(filters, lo, hi, by, OPEN_COLUMNS).items():
            bucket = out.setdefault(key, dict.fromkeys(OPEN_COLUMNS, 0))
            for c in OPEN_COLUMNS:
                bucket[c] += row[c]
    return out


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcRow:
    id: int
    code: str
    name: str
    field_id: int
    online: bool
    fee: int
    announced_at: dt.date | None
    published_at: dt.date | None
    effective_from: dt.date | None
    is_active: bool
    complete: bool


class Catalog:
    """The procedures and their agencies, loaded once per request (two queries)."""

    def __init__(self) -> None:
        rows = Procedure.objects.annotate(n_components=Count("components")).values(
            "id", "code", "name", "field_id", "online_level", "fee", "announced_at",
            "published_at", "effective_from", "is_active", "processing_days", "result_name",
            "legal_basis", "n_components")
        self.procs: dict[int, ProcRow] = {}
        for r in rows:
            complete = bool(r["name"] and r["processing_days"] and r["processing_days"] > 0
                            and r["result_name"] and r["legal_basis"] and r["n_components"])
            self.procs[r["id"]] = ProcRow(
                id=r["id"], code=r["code"], name=r["name"], field_id=r["field_id"],
                online=r["online_level"] != OnlineLevel.NONE, fee=r["fee"],
                announced_at=r["announced_at"], published_at=r["published_at"],
                effective_from=r["effective_from"], is_active=r["is_active"], complete=complete)
        self.by_agency: dict[int, set[int]] = defaultdict(set)
        through = Procedure.agencies.through
        for proc_id, agency_id in through.objects.values_list("procedure_id", "agency_id"):
            self.by_agency[agency_id].add(proc_id)
        self.online_ids = frozenset(p.id for p in self.procs.values() if p.online)
        self.fee_ids = frozenset(p.id for p in self.procs.values() if p.fee > 0)
        self.certified_ids = frozenset(
            p.id for p in self.procs.values() if p.code.startswith(CERTIFIED_COPY_PREFIXES))

    def procedures_in(self, scope: Scope) -> set[int]:
        """Active procedures the scope is answerable for (catalogue indicators)."""
        if scope.kind == "procedure":
            return {scope.procedure_id} if scope.procedure_id in self.procs else set()
        active = {p.id for p in self.procs.values() if p.is_active}
        if scope.kind == "field":
            return {p for p in active if self.procs[p].field_id == scope.field_id}
        if scope.is_province or scope.covered_agency_ids is None:
            return active
        linked: set[int] = set()
        for agency_id in scope.covered_agency_ids:
            linked |= self.by_agency.get(agency_id, set())
        return linked & active

    def counters(self, proc_ids: set[int], start: dt.date, end: dt.date) -> CatalogCounters:
        out = CatalogCounters()
        for pid in proc_ids:
            p = self.procs[pid]
            out.procedures += 1
            out.complete += p.complete
            out.online += p.online
            if p.fee > 0:
                out.fee_bearing += 1
                # tinhso's payment module serves every procedure offered online.
                out.fee_integrated += p.online
            if p.effective_from is not None and start <= p.effective_from <= end:
                out.announced_due += 1
                out.announced_on_time += bool(
                    p.announced_at is not None and p.announced_at
                    <= p.effective_from - dt.timedelta(days=ANNOUNCE_LEAD_DAYS))
            if p.announced_at is not None and start <= p.announced_at <= end:
                out.published_due += 1
                out.published_on_time += bool(
                    p.published_at is not None
                    and p.published_at <= working_days_after(p.announced_at,
                                                             PUBLISH_DEADLINE_WORKING_DAYS))
        return out


def working_days_after(day: dt.date, n: int) -> dt.date:
    """The n-th working day after ``day``."""
    current, left = day, n
    while left > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


# --------------------------------------------------------------------------------------------
# Dossier counters from the facts
# --------------------------------------------------------------------------------------------

GROUP_COLUMNS = {None: [], "agency": ["agency_id"], "unit": ["unit_id"]}


def _fold_period(rows: dict[tuple[Any, ...], dict[str, int]], catalog: Catalog,
                 counters: DossierCounters) -> None:
    """Add period sums keyed (..., procedure_id) into ``counters``."""
    used: set[int] = set(counters.online_used_procedures)
    for key, row in rows.items():
        pid = key[-1]
        for name in PERIOD_COLUMNS:
            setattr(counters, name, getattr(counters, name) + row[name])
        if pid in catalog.online_ids:
            counters.received_oc += row["received"]
            counters.received_online_oc += row["received_online"]
            if row["received_online"] > 0:
                used.add(pid)
        if pid in catalog.fee_ids:
            counters.received_fee += row["received"]
            counters.received_fee_paid_online += row["received_paid_online"]
    counters.online_used_procedures = frozenset(used)


def _fold_open(row: dict[str, int], counters: DossierCounters) -> None:
    counters.open_total += row["received"] - row["finished_on_time"] - row["finished_late"]
    counters.open_overdue += row["overdue_started"] - row["overdue_ended"]


def dossier_counters_from_facts(scope: Scope, start: dt.date, end: dt.date, catalog: Catalog,
                                directory: Directory, group: str | None = None
                                ) -> dict[Any, DossierCounters]:
    """Counters per group key (``None`` → the single key ``None``). ``end`` is the judging
    day (already clamped by the caller). For ``group="unit"`` the keys are raw fact units."""
    by = GROUP_COLUMNS[group]
    filters = scope.fact_filter()
    out: dict[Any, DossierCounters] = defaultdict(DossierCounters)
    if end < start:
        return {None: DossierCounters()} if group is None else {}
    period = range_sum(filters, start, end, [*by, "procedure_id"], PERIOD_COLUMNS)
    per_group: dict[Any, dict[tuple[Any, ...], dict[str, int]]] = defaultdict(dict)
    for key, row in period.items():
        per_group[key[0] if by else None][key] = row
    for gkey, rows in per_group.items():
        _fold_period(rows, catalog, out[gkey])
    for key, row in open_sums(scope, end, by).items():
        _fold_open(row, out[key[0] if by else None])
    if catalog.certified_ids:
        certified = range_sum({**filters, "procedure_id__in": sorted(catalog.certified_ids)},
                              start, end, [*by, "unit_id"], ["finished_eresult"])
        communes: dict[Any, set[int]] = defaultdict(set)
        for key, row in certified.items():
            if row["finished_eresult"] > 0:
                shown = directory.view_unit(key[-1], scope.view_structure)
                if shown is not None:
                    communes[key[0] if by else None].add(shown)
        for gkey, ids in communes.items():
            out[gkey].certified_communes = frozenset(ids)
    if group is None:
        return {None: out[None]}
    return dict(out)


# --------------------------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------------------------


@dataclass
class IndexContext:
    """What one request loads once: directory, catalogue (and the user's reach)."""

    directory: Directory
    catalog: Catalog

    @classmethod
    def load(cls) -> IndexContext:
        return cls(Directory(), Catalog())


def compute_index(scope: Scope, scope_code: str, start: dt.date, end: dt.date,
                  ctx: IndexContext, source: str = "facts"
                  ) -> tuple[dict[str, Any], DossierCounters]:
    """The API document and the dossier counters behind it (no permission check here)."""
    from tinhso.feedback.selectors import feedback_counters
    from tinhso.ioc.raw import dossier_counters_from_raw

    judged = effective_end(end)
    compute = dossier_counters_from_facts if source == "facts" else dossier_counters_from_raw
    dossier = compute(scope, start, judged, ctx.catalog, ctx.directory)[None]
    procedures = ctx.catalog.procedures_in(scope)
    catalog = ctx.catalog.counters(procedures, start, judged)
    feedback = (feedback_counters(scope, start, judged) if judged >= start
                else FeedbackCounters())
    values = indicator_values(dossier, catalog, feedback, scope.commune_units(ctx.directory),
                              procedures)
    values["G1_NATIONAL_SYNC"] = national_sync_value(scope, start, judged)
    doc = build_index(scope_code, start, judged if judged >= start else end, values)
    return doc, dossier


def national_sync_value(scope: Scope, start: dt.date, end: dt.date) -> Value:
    """G1_NATIONAL_SYNC from the national portal's sync log (tinhso.connectors); no data
    while the connector has never synchronised anything."""
    from tinhso.connectors.selectors import national_sync_counts

    counts = national_sync_counts(scope.fact_filter(), start, end) if end >= start else None
    return NO_DATA if counts is None else Value(*counts)


def index_document(scope: Scope, scope_code: str, start: dt.date, end: dt.date,
                   ctx: IndexContext, source: str = "facts") -> dict[str, Any]:
    """The API document for a resolved scope (no permission check here)."""
    return compute_index(scope, scope_code, start, end, ctx, source)[0]


def kpi_index(user: Any, scope_code: str, date_from: Any, date_to: Any,
              source: str = "facts", ctx: IndexContext | None = None) -> dict[str, Any]:
    """GET /api/v1/ioc/index: 422 on bad dates, 404 SCOPE_NOT_FOUND, 403 outside the user's
    reach."""
    start, end = parse_period(date_from, date_to)
    ctx = ctx or IndexContext.load()
    scope = resolve_scope(scope_code, ctx.directory)
    check_scope(scope, user_reach(user, ctx.directory))
    return index_document(scope, scope_code, start, end, ctx, source)


def kpi_from_raw(scope_code: str, date_from: Any, date_to: Any) -> dict[str, Any]:
    """The same index computed directly from Dossier/DossierEvent (no facts, no user check):
    the reference the facts are tested and benchmarked against."""
    start, end = parse_period(date_from, date_to)
    ctx = IndexContext.load()
    scope = resolve_scope(scope_code, ctx.directory)
    return index_document(scope, scope_code, start, end, ctx, source="raw")


def kpi_from_facts(scope_code: str, date_from: Any, date_to: Any) -> dict[str, Any]:
    start, end = parse_period(date_from, date_to)
    ctx = IndexContext.load()
    scope = resolve_scope(scope_code, ctx.directory)
    return index_document(scope, scope_code, start, end, ctx, source="facts")


def with_scope(scope: Scope, **changes: Any) -> Scope:
    return replace(scope, **changes)
