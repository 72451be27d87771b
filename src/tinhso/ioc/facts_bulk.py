"""Facts of a bulk load of NEW dossiers, computed once for the whole load (PostgreSQL).

The set-based paths (the COPY import, the demo generator on PostgreSQL) write dossiers that
nobody has seen yet: no fact state exists for them, their events are all in hand, nobody can
have complained about them. So there is nothing to read back: each dossier's profile comes
from its row and its events as the import builds them (the same ``compute_profile``), its
``DossierFactState`` row goes out with ``COPY`` while the load goes on (into its table, and its
counting columns into a temporary table), and at the end the counters of the whole load are
computed from those ONCE, in SQL (``GROUP BY`` per key and day — the rules of
``profile.contributions``) and added with one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` per
fact table. The result is the one :func:`tinhso.ioc.facts.on_dossier_events_bulk` gives
(tests/dossiers/test_import_copy.py compares both), without its per-batch reads and upserts —
41–43% of the old import.
"""

# ruff: noqa: S608 - the SQL here interpolates only table/column names from model metadata and
# integer flag constants; every value travels by COPY.
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection

from tinhso.core.copytext import value
from tinhso.ioc.facts import FACT_KEYS, STATE_FIELDS
from tinhso.ioc.models import (
    FACT_COLUMNS,
    OPEN_COLUMNS_MONTHLY,
    DailyFact,
    DossierFactState,
    MonthlyFact,
    OpenMonthFact,
)
from tinhso.ioc.profile import (
    F_DIGITIZED,
    F_DISLIKED,
    F_ERESULT,
    F_EXCLUDED,
    F_MULTI_SUPPLEMENT,
    F_ON_TIME,
    F_ONLINE,
    F_PAID_ONLINE,
    F_RATED,
    F_WITH_RESULT,
    Memory,
    compute_profile,
)

STATE_COLUMNS = ("dossier_id", *STATE_FIELDS)
# The leading state columns the facts are counted from (the staging table holds only these).
COUNTED = STATE_COLUMNS.index("fee_amount") + 1


STAGE = "bulk_ioc_states"


def _bit(flag: int) -> str:
    return f"(CASE WHEN flags & {flag} <> 0 THEN 1 ELSE 0 END)"


def _contribution_sql() -> str:
    """Every counter of FACT_COLUMNS per (agency, unit, procedure, day) of the staged states,
    as :func:`tinhso.ioc.profile.contributions` counts them (complained is false: nobody can
    have petitioned about a dossier that did not exist)."""
    online, paid, digitized = _bit(F_ONLINE), _bit(F_PAID_ONLINE), _bit(F_DIGITIZED)
    result, eresult = _bit(F_WITH_RESULT), _bit(F_ERESULT)
    on_time = _bit(F_ON_TIME)
    zero = dict.fromkeys(FACT_COLUMNS, "0")
    parts = {
        "received_day": {
            **zero, "received": "1", "received_online": online, "received_paid_online": paid,
            "received_digitized": digitized, "fee_amount": "fee_amount",
            "paid_online_amount": f"fee_amount * {paid}"},
        "finished_day": {
            **zero, "finished_on_time": on_time, "finished_late": f"1 - {on_time}",
            "finished_with_result": result, "finished_eresult": f"{result} * {eresult}",
            "finished_digitized": f"{result} * {eresult} * {digitized}",
            "finished_rated": _bit(F_RATED), "finished_disliked": _bit(F_DISLIKED),
            "finished_unsatisfied": _bit(F_DISLIKED),
            "finished_multi_supplement": _bit(F_MULTI_SUPPLEMENT)},
        "overdue_day": {**zero, "overdue_started": "1"},
        "finished_day AS day_ended": {**zero, "overdue_ended": "1"},
        "refused_day": {**zero, "refused": "1"},
    }
    conditions = {
        "received_day": "received_day IS NOT NULL",
        "finished_day": "received_day IS NOT NULL AND finished_day IS NOT NULL",
        "overdue_day": "received_day IS NOT NULL AND overdue_day IS NOT NULL",
        "finished_day AS day_ended": "received_day IS NOT NULL AND overdue_day IS NOT NULL "
                                     "AND finished_day IS NOT NULL",
        "refused_day": "received_day IS NULL AND refused_day IS NOT NULL",
    }
    selects = []
    for day, values in parts.items():
        columns = ", ".join(f"{v} AS {c}" for c, v in values.items())
        selects.append(
            f"SELECT agency_id_key, unit_id_key, procedure_id_key, {day.split()[0]} AS day, "
            f"{columns} FROM {STAGE} WHERE agency_id_key IS NOT NULL "
            f"AND flags & {F_EXCLUDED} = 0 AND {conditions[day]}")
    sums = ", ".join(f"sum({c})::bigint AS {c}" for c in FACT_COLUMNS)
    return (f"SELECT day, agency_id_key AS agency_id, unit_id_key AS unit_id, "
            f"procedure_id_key AS procedure_id, {sums} FROM ({' UNION ALL '.join(selects)}) c "
            "GROUP BY day, agency_id_key, unit_id_key, procedure_id_key")


class FactLoader:
    """Accumulates the facts of new dossiers; ``flush`` stages their states, ``finish`` adds
    the facts of them all (set-based) and moves the states into place. Use inside the
    load's transaction (PostgreSQL only: it uses ``COPY`` and temporary tables)."""

    def __init__(self) -> None:
        self.states: list[tuple[Any, ...]] = []
        self.lines: list[str] = []  # states already as COPY text (add_lines)
        self.dossiers = 0
        self.staged = False

    def add(self, row: dict[str, Any], events: Iterable[tuple[str, dt.datetime, int]],
            last_event_id: int) -> None:
        """One new dossier: ``row`` holds (at least) ``DOSSIER_FIELDS`` as Python values,
        ``events`` its (action, at, to_status) in (at, id) order."""
        self.states.append(state_of(row, events, last_event_id))
        self.dossiers += 1

    @staticmethod
    def line(row: dict[str, Any], events: Iterable[tuple[str, dt.datetime, int]],
             last_event_id: int) -> str:
        """``add``'s state as one COPY text line (no newline) — what a parser process of the
        import computes and sends back, to be handed to ``add_lines`` in the importing one."""
        return "\t".join([value(v) for v in state_of(row, events, last_event_id)])

    def add_lines(self, lines: Sequence[str]) -> None:
        self.lines.extend(lines)
        self.dossiers += len(lines)

    def prepare(self) -> None:
        """Create the staging table now (a load that sends its COPYs from another thread
        calls it first, while it still owns the connection)."""
        if self.staged:
            return
        table = connection.ops.quote_name(DossierFactState._meta.db_table)
        counted = ", ".join(STATE_COLUMNS[:COUNTED])
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
            cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ON COMMIT DROP AS "  # noqa: S608
                           f"SELECT {counted} FROM {table} WITH NO DATA")
        self.staged = True

    def flush(self, send: Callable[[str, Sequence[str], str], None] | None = None) -> None:
        """Write the states gathered so far (call it once per batch): into their table at
        once — PostgreSQL maintains its indexes while the load goes on, not after it — and
        their counting columns into the staging table that ``finish`` groups.

        ``send(table, columns, text)`` copies COPY text for a caller that owns the connection
        (see tinhso.core.copytext.CopyPipeline); without it the COPYs run here."""
        if not self.states and not self.lines:
            return
        self.prepare()
        counted = STATE_COLUMNS[:COUNTED]
        if send is None:
            if self.lines:
                send = _copy_text
            else:
                copy_rows(DossierFactState._meta.db_table, STATE_COLUMNS, self.states)
                copy_rows(STAGE, counted, [row[:COUNTED] for row in self.states])
                self.states = []
                return
        lines = self.lines + ["\t".join([value(v) for v in row]) for row in self.states]
        send(DossierFactState._meta.db_table, STATE_COLUMNS, "\n".join(lines) + "\n")
        send(STAGE, counted, "".join(line[:_nth_tab(line, COUNTED)] + "\n" for line in lines))
        self.states = []
        self.lines = []

    def discard(self, dossier_ids: Sequence[int]) -> None:
        """Forget dossiers that the load refused after writing them."""
        if self.staged and dossier_ids:
            with connection.cursor() as cursor:
                for table in (STAGE, DossierFactState._meta.db_table):
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)} "
                                   "WHERE dossier_id = ANY(%s)", [list(dossier_ids)])

    def finish(self) -> None:
        self.flush()
        if not self.staged:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {STAGE}")
            _upsert_from(cursor, DailyFact, ["day", *FACT_KEYS], FACT_COLUMNS,
                         _contribution_sql())
            cursor.execute(f"DROP TABLE {STAGE}")
        self.staged = False


def state_of(row: dict[str, Any], events: Iterable[tuple[str, dt.datetime, int]],
             last_event_id: int) -> tuple[Any, ...]:
    """The ``DossierFactState`` values (``STATE_COLUMNS``) of a new dossier."""
    memory = Memory()
    for action, at, to_status in events:
        memory.advance(action, at, to_status)
    profile = compute_profile(row, memory)
    return (
        row["id"], profile.agency_id, profile.unit_id, profile.procedure_id,
        profile.received_day, profile.finished_day, profile.overdue_day,
        profile.refused_day, profile.flags, profile.fee_amount, memory.request_count,
        memory.second_request_at, memory.pause_started_at, memory.end_seen,
        memory.end_pause_started_at, memory.complained, last_event_id,
    )


def _copy_text(table: str, columns: Sequence[str], text: str) -> None:
    qn = connection.ops.quote_name
    sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(text.encode())


def _nth_tab(line: str, n: int) -> int:
    """Index of the n-th tab of a COPY line (the end of its first n fields)."""
    at = -1
    for _ in range(n):
        at = line.index("\t", at + 1)
    return at


def _upsert_from(cursor: Any, model: Any, keys: list[str], columns: tuple[str, ...],
                 source: str) -> None:
    """Add the daily rows of ``source`` (a SELECT of day, keys, FACT_COLUMNS) to the daily,
    monthly and open-monthly facts, as :func:`tinhso.ioc.facts.apply_delta` does."""
    qn = connection.ops.quote_name
    cursor.execute("DROP TABLE IF EXISTS pg_temp.bulk_ioc_daily")
    cursor.execute(f"CREATE TEMPORARY TABLE bulk_ioc_daily ON COMMIT DROP AS {source}")
    keyed = ", ".join(qn(c) for c in FACT_KEYS)
    cols = ", ".join(qn(c) for c in FACT_COLUMNS)
    sums = ", ".join(f"sum({qn(c)})" for c in FACT_COLUMNS)
    month = "date_trunc('month', day)::date"
    for target, select in (
        (DailyFact, f"SELECT day, {keyed}, {cols} FROM bulk_ioc_daily"),
        (MonthlyFact, f"SELECT {month}, {keyed}, {sums} FROM bulk_ioc_daily "
                      f"GROUP BY {month}, {keyed}"),
    ):
        first = "day" if target is DailyFact else "month"
        _insert_add(cursor, target, [first, *FACT_KEYS], FACT_COLUMNS, select)
    moves = ("sum(received)", "sum(finished_on_time + finished_late)", "sum(overdue_started)",
             "sum(overdue_ended)")
    _insert_add(cursor, OpenMonthFact, ["month", "agency_id", "unit_id"], OPEN_COLUMNS_MONTHLY,
                f"SELECT {month}, agency_id, unit_id, {', '.join(moves)} FROM bulk_ioc_daily "
                f"GROUP BY {month}, agency_id, unit_id "
                f"HAVING {' OR '.join(f'{m} <> 0' for m in moves)}")
    cursor.execute("DROP TABLE bulk_ioc_daily")


def _insert_add(cursor: Any, model: Any, keys: list[str], columns: tuple[str, ...],
                select: str) -> None:
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = ", ".join(qn(c) for c in (*keys, *columns))
    updates = ", ".join(f"{qn(c)} = {table}.{qn(c)} + EXCLUDED.{qn(c)}" for c in columns)
    order = ", ".join(str(i) for i in range(1, len(keys) + 1))
    # Key order: concurrent writers lock fact rows in the same order (no deadlock).
    cursor.execute(f"INSERT INTO {table} ({names}) {select} ORDER BY {order} "  # noqa: S608
                   f"ON CONFLICT ({', '.join(qn(k) for k in keys)}) DO UPDATE SET {updates}")


def copy_rows(table: str, columns: Iterable[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """``COPY table (columns) FROM STDIN`` of Python values (psycopg 3 adapts them)."""
    qn = connection.ops.quote_name
    sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


__all__ = ["FactLoader", "copy_rows"]
