"""Keeping DailyFact/MonthlyFact current with the dossier event log, rebuilding and verifying.

Every dossier event reaches :func:`on_dossier_event` through the outbox (consumer "ioc",
tinhso.ioc.consumer, in a worker after the event's transaction committed); the importer and
the generator hand their batches to :func:`on_dossier_events_bulk` through
``tinhso.core.hooks``. The handler recomputes the dossier's profile, subtracts what the dossier
contributed before and adds what it contributes now: facts can never disagree with committed
events, and the cost of an event is a handful of statements whatever the number of dossiers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Count

from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.ioc.models import (
    FACT_COLUMNS,
    OPEN_COLUMNS_MONTHLY,
    DailyFact,
    DossierFactState,
    MonthlyFact,
    OpenMonthFact,
)
from tinhso.ioc.profile import (
    DOSSIER_FIELDS,
    EMPTY,
    Contribution,
    Memory,
    Profile,
    compute_profile,
    contributions,
    diff,
    merge,
)

if TYPE_CHECKING:
    from django.db.models import Model

CHUNK = 2000


# --------------------------------------------------------------------------------------------
# Applying deltas
# --------------------------------------------------------------------------------------------


def _upsert_sql(model: type[Model], keys: list[str], columns: tuple[str, ...]) -> str:
    table = model._meta.db_table
    qn = connection.ops.quote_name
    cols = [*keys, *columns]
    placeholders = ", ".join(["%s"] * len(cols))
    updates = ", ".join(f"{qn(c)} = {qn(table)}.{qn(c)} + EXCLUDED.{qn(c)}" for c in columns)
    # Only quoted identifiers from the model are interpolated; values go through placeholders.
    sql = (
        f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in cols)}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(qn(k) for k in keys)}) DO UPDATE SET {updates}"
    )
    return sql


FACT_KEYS = ["agency_id", "unit_id", "procedure_id"]


def delta_rows(delta: Contribution, adapt: Any = None
               ) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]]]:
    """The daily, monthly and open-monthly rows of ``delta``, keys first, sorted by key."""
    adapt = adapt or connection.ops.adapt_datefield_value
    daily: list[list[Any]] = []
    monthly: dict[tuple[int, int, int | None, dt.date], dict[str, int]] = {}
    opened: dict[tuple[dt.date, int, int], list[int]] = {}
    for (agency_id, unit_id, procedure_id, day), counters in delta.items():
        daily.append([adapt(day), agency_id, unit_id, procedure_id,
                      *(counters.get(c, 0) for c in FACT_COLUMNS)])
        month = day.replace(day=1)
        bucket = monthly.setdefault((agency_id, unit_id, procedure_id, month), {})
        for name, value in counters.items():
            bucket[name] = bucket.get(name, 0) + value
        moves = [counters.get("received", 0),
                 counters.get("finished_on_time", 0) + counters.get("finished_late", 0),
                 counters.get("overdue_started", 0), counters.get("overdue_ended", 0)]
        if any(moves):
            totals = opened.setdefault((month, agency_id, unit_id), [0, 0, 0, 0])
            for i, value in enumerate(moves):
                totals[i] += value
    monthly_rows = [[adapt(month), a, u, p, *(c.get(n, 0) for n in FACT_COLUMNS)]
                    for (a, u, p, month), c in monthly.items()]
    open_rows = [[adapt(month), a, u, *values] for (month, a, u), values in opened.items()
                 if any(values)]
    # Sorted keys: concurrent transactions lock fact rows in the same order (no deadlock).
    for rows in (daily, monthly_rows, open_rows):
        rows.sort(key=lambda r: (str(r[0]), *r[1:4]))
    return daily, monthly_rows, open_rows


def apply_delta(delta: Contribution) -> None:
    """Add ``delta`` to the daily, monthly and open-monthly facts (increment-upserts)."""
    if not delta:
        return
    daily, monthly_rows, open_rows = delta_rows(delta)
    with connection.cursor() as cursor:
        cursor.executemany(_upsert_sql(DailyFact, ["day", *FACT_KEYS], FACT_COLUMNS), daily)
        cursor.executemany(_upsert_sql(MonthlyFact, ["month", *FACT_KEYS], FACT_COLUMNS),
                           monthly_rows)
        if open_rows:
            cursor.executemany(_upsert_sql(OpenMonthFact, ["month", "agency_id", "unit_id"],
                                           OPEN_COLUMNS_MONTHLY), open_rows)


# --------------------------------------------------------------------------------------------
# State <-> profile
# --------------------------------------------------------------------------------------------


def _memory_of(state: DossierFactState) -> Memory:
    return Memory(
        request_count=state.request_count,
        second_request_at=state.second_request_at,
        pause_started_at=state.pause_started_at,
        end_seen=state.end_seen,
        end_pause_started_at=state.end_pause_started_at,
        complained=state.complained,
    )


def _profile_of(state: DossierFactState) -> Profile:
    return Profile(
        agency_id=state.agency_id_key, unit_id=state.unit_id_key,
        procedure_id=state.procedure_id_key, received_day=state.received_day,
        finished_day=state.finished_day, overdue_day=state.overdue_day,
        refused_day=state.refused_day, flags=state.flags, fee_amount=state.fee_amount,
    )


def _fill_state(state: DossierFactState, profile: Profile, memory: Memory) -> DossierFactState:
    state.agency_id_key = profile.agency_id
    state.unit_id_key = profile.unit_id
    state.procedure_id_key = profile.procedure_id
    state.received_day = profile.received_day
    state.finished_day = profile.finished_day
    state.overdue_day = profile.overdue_day
    state.refused_day = profile.refused_day
    state.flags = profile.flags
    state.fee_amount = profile.fee_amount
    state.request_count = memory.request_count
    state.second_request_at = memory.second_request_at
    state.pause_started_at = memory.pause_started_at
    state.end_seen = memory.end_seen
    state.end_pause_started_at = memory.end_pause_started_at
    state.complained = memory.complained
    return state


def _row_of(dossier: Dossier) -> dict[str, Any]:
    return {name: getattr(dossier, name) for name in DOSSIER_FIELDS}


def _event_key(event: DossierEvent) -> tuple[dt.datetime, int]:
    return (event.at, event.pk if event.pk is not None else 2**62)


def _replay(events: Iterable[tuple[str, dt.datetime, int]], complained: bool) -> Memory:
    memory = Memory(complained=complained)
    for action, at, to_status in events:
        memory.advance(action, at, to_status)
    return memory


def _id_filter(ids: list[int], column: str = "pk") -> dict[str, Any]:
    """IN (…) for scattered ids; a range for the (usual) nearly contiguous bulk batches, which
    the database answers from the primary key without a 2,000-parameter statement."""
    low, high = min(ids), max(ids)
    if high - low + 1 <= 2 * len(ids):
        return {f"{column}__gte": low, f"{column}__lte": high}
    return {f"{column}__in": ids}


def _complained_ids(dossier_ids: Iterable[int]) -> set[int]:
    from tinhso.feedback.selectors import dossiers_with_complaints

    return dossiers_with_complaints(dossier_ids)


# --------------------------------------------------------------------------------------------
# Hooks
# --------------------------------------------------------------------------------------------


def on_dossier_event(dossier: Dossier, event: DossierEvent) -> None:
    """Apply one event (the "ioc" outbox consumer). ``dossier`` is the row as it is NOW,
    possibly already changed by later events: each later event recomputes the profile from the
    row and the memory, so once every event is applied the facts equal the rebuild's."""
    state = DossierFactState.objects.filter(pk=dossier.pk).first()
    if state is not None and state.last_event_id >= event.pk:
        return  # already counted (by a rebuild, a bulk load or an earlier delivery)
    if state is None:
        # First event we see for this dossier: replay whatever the log already holds, so a
        # dossier that predates the subscription is still counted exactly once.
        earlier = list(
            # Only the events before this one: with the outbox, later ones may already be in
            # the log and will be delivered after it.
            DossierEvent.objects.filter(dossier_id=dossier.pk, pk__lt=event.pk)
            .order_by("at", "id").values_list("action", "at", "to_status")
        )
        ordered = sorted([*earlier, (event.action, event.at, event.to_status)],
                         key=lambda e: e[1])
        memory = _replay(ordered, complained=bool(_complained_ids([dossier.pk])))
        old_profile, old_complained = EMPTY, False
        state = DossierFactState(dossier_id=dossier.pk)
        created = True
    else:
        memory = _memory_of(state).apply(event.action, event.at, event.to_status)
        old_profile, old_complained = _profile_of(state), state.complained
        created = False
    new_profile = compute_profile(_row_of(dossier), memory)
    apply_delta(diff(contributions(old_profile, old_complained),
                     contributions(new_profile, memory.complained)))
    _fill_state(state, new_profile, memory)
    state.last_event_id = event.pk
    if created:
        state.save(force_insert=True)
    else:
        state.save(force_update=True)


def on_dossier_events_bulk(events: Sequence[DossierEvent]) -> None:
    """Subscriber for import/generator batches: one pass, a few statements per chunk."""
    by_dossier: dict[int, list[DossierEvent]] = defaultdict(list)
    for event in events:
        by_dossier[event.dossier_id].append(event)
    ids = sorted(by_dossier)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        _bulk_chunk(chunk, {i: sorted(by_dossier[i], key=_event_key) for i in chunk})


def _bulk_chunk(ids: list[int], batch: dict[int, list[DossierEvent]]) -> None:
    wanted = set(ids)
    states = {s.pk: s for s in DossierFactState.objects.filter(**_id_filter(ids))
              if s.pk in wanted}
    rows = {r["id"]: r for r in Dossier.objects.filter(**_id_filter(ids)).values(*DOSSIER_FIELDS)
            if r["id"] in wanted}
    missing = [i for i in ids if i not in states]
    history: dict[int, list[tuple[str, dt.datetime, int]]] = {}
    last_ids: dict[int, int] = {}
    complained: set[int] = set()
    if missing:
        complained = _complained_ids(missing)
        # Dossiers new to us: when the log holds more events than the batch, replay the log.
        counts: dict[int, int] = dict(
            DossierEvent.objects.filter(**_id_filter(missing, "dossier_id")).values("dossier_id")
            .annotate(n=Count("id")).order_by().values_list("dossier_id", "n"))
        incomplete = [i for i in missing if counts.get(i, 0) > len(batch[i])]
        for dossier_id, action, at, to_status, event_id in (
            DossierEvent.objects.filter(dossier_id__in=incomplete)
            .order_by("dossier_id", "at", "id")
            .values_list("dossier_id", "action", "at", "to_status", "id")
        ):
            history.setdefault(dossier_id, []).append((action, at, to_status))
            last_ids[dossier_id] = max(last_ids.get(dossier_id, 0), event_id)
    delta: Contribution = {}
    to_create: list[DossierFactState] = []
    to_update: list[DossierFactState] = []
    for dossier_id in ids:
        row = rows.get(dossier_id)
        if row is None:
            continue
        state = states.get(dossier_id)
        batch_last = max((e.pk or 0) for e in batch[dossier_id])
        if state is None:
            events = history.get(dossier_id) or [(e.action, e.at, e.to_status)
                                                 for e in batch[dossier_id]]
            memory = _replay(events, complained=dossier_id in complained)
            old, old_complained = EMPTY, False
            state = DossierFactState(dossier_id=dossier_id)
            state.last_event_id = max(batch_last, last_ids.get(dossier_id, 0))
            to_create.append(state)
        else:
            fresh = [e for e in batch[dossier_id] if (e.pk or 0) > state.last_event_id]
            if not fresh:
                continue
            memory = _memory_of(state)
            for e in fresh:
                memory.advance(e.action, e.at, e.to_status)
            old, old_complained = _profile_of(state), state.complained
            state.last_event_id = max(state.last_event_id, batch_last)
            to_update.append(state)
        new = compute_profile(row, memory)
        merge(delta, diff(contributions(old, old_complained),
                          contributions(new, memory.complained)))
        _fill_state(state, new, memory)
    apply_delta({k: v for k, v in delta.items() if any(v.values())})
    if to_create:
        insert_states(to_create)
    if to_update:
        DossierFactState.objects.bulk_update(to_update, STATE_FIELDS, batch_size=1000)


def insert_states(states: list[DossierFactState]) -> None:
    """INSERT the new states with one executemany (bulk_create's per-value preparation is
    most of the bulk hook's time at a million dossiers)."""
    qn = connection.ops.quote_name
    ops = connection.ops
    cols = ["dossier_id", *STATE_FIELDS]
    sql = (f"INSERT INTO {qn(DossierFactState._meta.db_table)} "  # noqa: S608
           f"({', '.join(qn(c) for c in cols)}) VALUES ({', '.join(['%s'] * len(cols))})")
    dates = {"received_day", "finished_day", "overdue_day", "refused_day"}
    moments = {"second_request_at", "pause_started_at", "end_pause_started_at"}

    def value(state: DossierFactState, name: str) -> Any:
        v = getattr(state, name)
        if name in dates:
            return ops.adapt_datefield_value(v)
        if name in moments:
            return ops.adapt_datetimefield_value(v)
        return v

    rows = [[value(s, c) for c in cols] for s in states]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            cursor.executemany(sql, rows[start:start + 1000])


STATE_FIELDS = [
    "agency_id_key", "unit_id_key", "procedure_id_key", "received_day", "finished_day",
    "overdue_day", "refused_day", "flags", "fee_amount", "request_count", "second_request_at",
    "pause_started_at", "end_seen", "end_pause_started_at", "complained", "last_event_id",
]


def set_complained(dossier_id: int, complained: bool) -> None:
    """Called by the feedback services (same transaction) when a dossier gains or loses its
    last non-refused petition: the dossier's "unsatisfied" contribution changes."""
    state = DossierFactState.objects.filter(pk=dossier_id).first()
    if state is None:
        refresh_dossier(dossier_id)
        return
    if state.complained == complained:
        return
    profile = _profile_of(state)
    apply_delta(diff(contributions(profile, state.complained),
                     contributions(profile, complained)))
    state.complained = complained
    state.save(update_fields=["complained"])


def refresh_dossier(dossier_id: int) -> None:
    """Recompute one dossier's contribution from its row and its whole event log."""
    row = Dossier.objects.filter(pk=dossier_id).values(*DOSSIER_FIELDS).first()
    if row is None:
        return
    state = DossierFactState.objects.filter(pk=dossier_id).first()
    logged = list(DossierEvent.objects.filter(dossier_id=dossier_id).order_by("at", "id")
                  .values_list("action", "at", "to_status", "id"))
    events = [(action, at, to_status) for action, at, to_status, _ in logged]
    memory = _replay(events, complained=bool(_complained_ids([dossier_id])))
    new = compute_profile(row, memory)
    if state is None:
        old, old_complained = EMPTY, False
        state = DossierFactState(dossier_id=dossier_id)
    else:
        old, old_complained = _profile_of(state), state.complained
    apply_delta(diff(contributions(old, old_complained), contributions(new, memory.complained)))
    _fill_state(state, new, memory)
    state.last_event_id = max((i for *_, i in logged), default=0)
    state.save()


# --------------------------------------------------------------------------------------------
# Rebuild and verify
# --------------------------------------------------------------------------------------------


def _expected_chunks(dossier_filter: dict[str, Any] | None = None, chunk: int = CHUNK
                     ) -> Iterator[list[tuple[int, Profile, Memory, int]]]:
    """(dossier id, profile, memory, newest event id) for every dossier, from the raw tables,
    by id chunks."""
    qs = Dossier.objects.filter(**(dossier_filter or {})).order_by("id")
    last = 0
    while True:
        rows = list(qs.filter(id__gt=last).values(*DOSSIER_FIELDS)[:chunk])
        if not rows:
            return
        ids = [r["id"] for r in rows]
        last = ids[-1]
        events: dict[int, list[tuple[str, dt.datetime, int]]] = defaultdict(list)
        last_ids: dict[int, int] = {}
        for dossier_id, action, at, to_status, event_id in (
            DossierEvent.objects.filter(dossier_id__in=ids).order_by("dossier_id", "at", "id")
            .values_list("dossier_id", "action", "at", "to_status", "id")
        ):
            events[dossier_id].append((action, at, to_status))
            last_ids[dossier_id] = max(last_ids.get(dossier_id, 0), event_id)
        complained = _complained_ids(ids)
        out = []
        for row in rows:
            memory = _replay(events.get(row["id"], []), complained=row["id"] in complained)
            out.append((row["id"], compute_profile(row, memory), memory,
                        last_ids.get(row["id"], 0)))
        yield out


@dataclass
class RebuildReport:
    dossiers: int
    daily_rows: int
    monthly_rows: int


def rebuild(progress: Any = None) -> RebuildReport:
    """Recompute every fact and every dossier state from the dossiers and their event log.

    The "ioc" outbox consumer is held (its cursor row locked) meanwhile; events it delivers
    afterwards that the rebuild already counted are skipped (``last_event_id``)."""
    from tinhso.outbox.dispatch import hold_consumer

    with transaction.atomic():
        hold_consumer("ioc")
        DailyFact.objects.all().delete()
        MonthlyFact.objects.all().delete()
        OpenMonthFact.objects.all().delete()
        DossierFactState.objects.all().delete()
        count = 0
        for batch in _expected_chunks():
            delta: Contribution = {}
            states = []
            for dossier_id, profile, memory, last_event_id in batch:
                merge(delta, contributions(profile, memory.complained))
                state = _fill_state(DossierFactState(dossier_id=dossier_id), profile, memory)
                state.last_event_id = last_event_id
                states.append(state)
            apply_delta(delta)
            insert_states(states)
            count += len(batch)
            if progress is not None:
                progress(count)
        # Rows whose counters all cancelled out carry no information.
        _drop_zero_rows()
    return RebuildReport(count, DailyFact.objects.count(), MonthlyFact.objects.count())


def _zero_filter() -> dict[str, int]:
    return {c: 0 for c in FACT_COLUMNS}


def _drop_zero_rows() -> None:
    DailyFact.objects.filter(**_zero_filter()).delete()
    MonthlyFact.objects.filter(**_zero_filter()).delete()
    OpenMonthFact.objects.filter(**dict.fromkeys(OPEN_COLUMNS_MONTHLY, 0)).delete()


@dataclass
class Difference:
    table: str
    key: tuple[Any, ...]
    column: str
    expected: int
    actual: int

    def __str__(self) -> str:
        agency, unit, procedure, day = self.key
        return (f"{self.table} day={day} agency={agency} unit={unit} procedure={procedure} "
                f"{self.column}: expected {self.expected}, found {self.actual}")


def verify(limit: int = 50, agencies_per_pass: int = 50) -> list[Difference]:
    """Compare the facts with a fresh computation from the raw tables, agency by agency (so the
    memory used stays bounded at any volume). Returns up to ``limit`` differences."""
    from tinhso.units.models import Agency

    differences: list[Difference] = []
    agency_ids = sorted(
        set(Agency.objects.values_list("id", flat=True))
        | set(DailyFact.objects.values_list("agency_id", flat=True).distinct())
    )
    for start in range(0, len(agency_ids), agencies_per_pass):
        group = agency_ids[start:start + agencies_per_pass]
        expected_daily: Contribution = {}
        for batch in _expected_chunks({"agency_id__in": group}):
            for _, profile, memory, _ in batch:
                merge(expected_daily, contributions(profile, memory.complained))
        expected_monthly: Contribution = {}
        expected_open: Contribution = {}
        for (a, u, p, day), counters in expected_daily.items():
            merge(expected_monthly, {(a, u, p, day.replace(day=1)): counters})
            merge(expected_open, {(a, u, None, day.replace(day=1)): {
                "received": counters.get("received", 0),
                "finished": counters.get("finished_on_time", 0)
                + counters.get("finished_late", 0),
                "overdue_started": counters.get("overdue_started", 0),
                "overdue_ended": counters.get("overdue_ended", 0)}})
        for key, counters in expected_open.items():
            expected_open[key] = {c: v for c, v in counters.items() if v}
        for table, model, key_col, expected, columns in (
            ("DailyFact", DailyFact, "day", expected_daily, FACT_COLUMNS),
            ("MonthlyFact", MonthlyFact, "month", expected_monthly, FACT_COLUMNS),
            ("OpenMonthFact", OpenMonthFact, "month", expected_open, OPEN_COLUMNS_MONTHLY),
        ):
            actual: dict[tuple[Any, ...], dict[str, int]] = {}
            has_procedure = model is not OpenMonthFact
            keys = [key_col, "agency_id", "unit_id", *(["procedure_id"] if has_procedure else [])]
            for row in model.objects.filter(agency_id__in=group).values(*keys, *columns):
                key = (row["agency_id"], row["unit_id"], row.get("procedure_id"), row[key_col])
                actual[key] = {c: row[c] for c in columns if row[c]}
            for key in sorted(set(expected) | set(actual), key=str):
                exp, act = expected.get(key, {}), actual.get(key, {})
                for column in columns:
                    if exp.get(column, 0) != act.get(column, 0):
                        differences.append(Difference(table, key, column, exp.get(column, 0),
                                                      act.get(column, 0)))
                        if len(differences) >= limit:
                            return differences
    return differences
