"""The PostgreSQL path of the import: one parse, ``COPY``, set-based codes and facts.

``import_dossiers`` takes this path on PostgreSQL (``method="copy"``); the row-by-row path of
:mod:`tinhso.dossiers.importer` stays for SQLite (and for comparison, ``method="rows"``).
Everything happens in ONE transaction, so nothing of a failed or refused import stays:

1. each line is read and parsed ONCE (:class:`~tinhso.dossiers.importer.LineParser`, the same
   rules and messages as the row path). Good lines are kept in batches; a batch's legacy codes
   are checked against the database in one query, then its rows go out with ``COPY``: the
   dossiers into a temporary staging table (their codes may still be missing), their events
   and payments straight into place (ids allocated up front from the tables' sequences; the
   foreign keys are deferred until commit), and the IOC fact state of each new dossier (the
   bulk loader that replaces the IOC's bulk subscriber, see :mod:`tinhso.ioc.facts_bulk`).
   After the first bad line without ``--skip-bad`` nothing more is written: the rest of the
   file is only checked, so every bad line is still reported with its number and reason;
2. in SQL, set-based: the daily counters are raised past the legacy codes in our format, the
   missing codes are allocated — one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` advances
   every (agency, day) counter by its number of dossiers, ``row_number()`` numbers them in
   line order — and the staged dossiers move into place with one ``INSERT … SELECT``;
3. the IOC facts of the whole load are added once; subscribers without a bulk loader get the
   events in batches as before.

The end state is the row path's (tests/dossiers/test_import_copy.py compares both).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Model
from django.utils import timezone
from tqdm import tqdm

from tinhso.core import hooks
from tinhso.dossiers.codes import SEQUENCE_WIDTH, parse_dossier_code
from tinhso.dossiers.importer import (
    MAX_REPORTED_ERRORS,
    BadLine,
    ImportResult,
    LineParser,
    ParsedDossier,
    _Collector,
    _disabled,
    _lines,
    build_rows,
    parse_json_line,
)
from tinhso.dossiers.models import DailySequence, Dossier, DossierEvent
from tinhso.payments.models import Payment

STAGE = "import_dossier_stage"


class _Copier:
    """Rows given as {attname: Python value} → tuples in column order for ``COPY``."""

    def __init__(self, model: type[Model], *, with_pk: bool, now: dt.datetime) -> None:
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.table = model._meta.db_table
        self.columns: list[str] = [str(f.column) for f in fields]
        self.json_fields = [f.attname for f in fields if isinstance(f, models.JSONField)]
        template: dict[str, Any] = {}
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value: Any = now
            elif f.has_default():
                value = f.get_default()
                if isinstance(f, models.JSONField):
                    value = json.dumps(value)
            else:
                value = "" if f.empty_strings_allowed and not f.null else None
            template[f.attname] = value
        self.template = template
        self.getter = itemgetter(*template)
        self.rows: list[tuple[Any, ...]] = []

    def add(self, row: dict[str, Any]) -> None:
        for name in self.json_fields:
            value = row.get(name)
            if value is not None and not isinstance(value, str):
                if type(value) is dict and len(value) == 1 and type(value.get("status")) is int:
                    row[name] = f'{{"status": {value["status"]}}}'  # most event rows
                else:
                    row[name] = json.dumps(value, ensure_ascii=False)
        self.rows.append(self.getter(self.template | row))

    def flush(self, table: str | None = None, extra: tuple[str, ...] = ()) -> None:
        if not self.rows:
            return
        qn = connection.ops.quote_name
        names = ", ".join(qn(c) for c in (*self.columns, *extra))
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {qn(table or self.table)} ({names}) FROM STDIN") as copy:
            for row in self.rows:
                copy.write_row(row)
        self.rows = []


def _nextvals(model: type[Model], count: int) -> list[int]:
    if count == 0:
        return []
    with connection.cursor() as cursor:
        # Usually the values are consecutive (no concurrent writer took one meanwhile): then
        # the range is enough, not a million rows sent back.
        cursor.execute("SELECT min(v), max(v) FROM (SELECT nextval(pg_get_serial_sequence(%s, "
                       "'id')) AS v FROM generate_series(1, %s)) AS ids",
                       [model._meta.db_table, count])
        low, high = cursor.fetchone()
        if high - low + 1 == count:
            return list(range(low, high + 1))
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                       "FROM generate_series(1, %s)", [model._meta.db_table, count])
        return [row[0] for row in cursor.fetchall()]


class CopyImport:
    def __init__(self, path: str, *, skip_bad: bool, batch_size: int, progress: bool | None,
                 on_validated: Callable[[ImportResult], None] | None) -> None:
        self.path = path
        self.skip_bad = skip_bad
        self.batch_size = batch_size
        self.progress = progress
        self.on_validated = on_validated
        self.result = ImportResult()
        self.parser = LineParser()
        self.state = _Collector(self.result)
        self.first_line: dict[str, int] = {}
        now = timezone.now()
        self.stage = _Copier(Dossier, with_pk=True, now=now)
        self.events = _Copier(DossierEvent, with_pk=True, now=now)
        self.payments = _Copier(Payment, with_pk=False, now=now)
        self.loaders, self.plain = hooks.bulk_loaders()
        self.batches: list[list[int]] = []  # dossier ids per batch, for plain subscribers

    @property
    def writing(self) -> bool:
        return self.skip_bad or not self.state.bad

    # -- pass over the file ----------------------------------------------------------------

    def run(self) -> ImportResult:
        with transaction.atomic():
            self._create_stage()
            self._read()
            result = self.result
            result.errors.sort(key=lambda e: e.line)
            del result.errors[MAX_REPORTED_ERRORS:]
            if self.on_validated is not None:
                self.on_validated(result)
            if self.state.bad and not self.skip_bad:
                result.imported = result.events = result.payments = 0
                transaction.set_rollback(True)
                return result
            result.skipped = len(self.state.bad)
            if not result.imported:
                transaction.set_rollback(True)  # the staging table goes with the rollback
                return result
            self._place()
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
        return self.result

    def _create_stage(self) -> None:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            # Inside an outer transaction (tests, callers) ON COMMIT comes later: drop our own.
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
            cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} (LIKE {qn(Dossier._meta.db_table)}) "
                           "ON COMMIT DROP")
            cursor.execute(f"ALTER TABLE {STAGE} ALTER COLUMN code DROP NOT NULL, "
                           "ADD COLUMN line integer, ADD COLUMN agency_code text, "
                           "ADD COLUMN local_day date")

    def _read(self) -> None:
        result, state, parser = self.result, self.state, self.parser
        buffer: list[ParsedDossier] = []
        with open(self.path, "rb") as handle, tqdm(
            total=os.path.getsize(self.path), unit="B", unit_scale=True,
            desc="Nhập / importing", disable=_disabled(self.progress), leave=False,
        ) as bar:
            unreported = 0
            for number, raw in _lines(handle):
                result.lines += 1
                unreported += len(raw)
                if unreported >= 1 << 20:
                    bar.update(unreported)
                    unreported = 0
                try:
                    parsed = parser.parse(parse_json_line(raw), number)
                except BadLine as exc:
                    state.error(number, exc.vi, exc.en)
                    continue
                if parsed.code is not None and not self._first_code(parsed):
                    continue
                buffer.append(parsed)
                if len(buffer) >= self.batch_size:
                    self._batch(buffer)
                    buffer = []
            self._batch(buffer)
            bar.update(unreported)

    def _first_code(self, parsed: ParsedDossier) -> bool:
        code = parsed.code
        assert code is not None
        first = self.first_line.get(code)
        if first is not None:
            self.state.error(parsed.line, f"mã hồ sơ {code} trùng với dòng {first}",
                             f"duplicate dossier code {code} (first on line {first})")
            return False
        self.first_line[code] = parsed.line
        ours = parse_dossier_code(code)
        if ours is not None and ours[0] == parsed.agency.code:
            key = (parsed.agency.pk, ours[1])
            if ours[2] > self.state.sequences.get(key, 0):
                self.state.sequences[key] = ours[2]
        return True

    def _batch(self, batch: list[ParsedDossier]) -> None:
        codes = [p.code for p in batch if p.code is not None]
        if codes:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT code FROM {Dossier._meta.db_table} "  # noqa: S608
                               "WHERE code = ANY(%s)", [codes])
                taken = {row[0] for row in cursor.fetchall()}
            if taken:
                for p in batch:
                    if p.code in taken:
                        self.state.error(p.line, f"mã hồ sơ {p.code} đã có trong cơ sở dữ liệu",
                                         f"dossier code {p.code} already exists in the database")
                batch = [p for p in batch if p.code not in taken]
        if not batch or not self.writing:
            return
        self._write(batch)

    def _write(self, batch: list[ParsedDossier]) -> None:
        ids = _nextvals(Dossier, len(batch))
        event_ids = iter(_nextvals(DossierEvent, sum(len(p.events) for p in batch)))
        local_day = self.parser.local_day
        for p, dossier_id in zip(batch, ids, strict=True):
            dossier, events, payments = build_rows(p, p.code, dossier_id)  # type: ignore[arg-type]
            last = 0
            for row in events:
                row["id"] = last = next(event_ids)
            for loader in self.loaders:
                loader.add(dossier, [(e["action"], e["at"], e["to_status"]) for e in events],
                           last)
            dossier.update(line=p.line, agency_code=p.agency.code,
                           local_day=local_day(p.received_at))
            self.stage.rows.append(self.stage.getter(self.stage.template | dossier)
                                   + (p.line, p.agency.code, dossier["local_day"]))
            for row in events:
                self.events.add(row)
            for row in payments:
                self.payments.add(row)
            self.result.events += len(events)
            self.result.payments += len(payments)
        self.stage.flush(STAGE, ("line", "agency_code", "local_day"))
        self.events.flush()
        self.payments.flush()
        for loader in self.loaders:
            loader.flush()
        if self.plain:
            self.batches.append(ids)
        self.result.imported += len(batch)

    # -- set-based part --------------------------------------------------------------------

    def _place(self) -> None:
        with tqdm(total=3, desc="Xếp vào chỗ / placing", disable=_disabled(self.progress),
                  leave=False) as bar:
            self._raise_sequences()
            self._allocate_codes()
            bar.update(1)
            qn = connection.ops.quote_name
            names = ", ".join(qn(c) for c in self.stage.columns)
            with connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO {qn(Dossier._meta.db_table)} ({names}) "  # noqa: S608
                               f"SELECT {names} FROM {STAGE} ORDER BY id")
            bar.update(1)
            for loader in self.loaders:
                loader.finish()
            for ids in self.batches:
                events = list(DossierEvent.objects.filter(dossier_id__in=ids).order_by("id"))
                for func in self.plain:
                    func(events)
            bar.update(1)

    def _raise_sequences(self) -> None:
        """Counters move past the legacy codes in our format (like advance_daily_sequences)."""
        used = self.state.sequences
        if not used:
            return
        keys = sorted(used)
        table = DailySequence._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (agency_id, day, last_value) "  # noqa: S608
                "SELECT * FROM unnest(%s::bigint[], %s::date[], %s::bigint[]) "
                "ON CONFLICT (agency_id, day) DO UPDATE "
                f"SET last_value = GREATEST({table}.last_value, EXCLUDED.last_value)",
                [[k[0] for k in keys], [k[1] for k in keys], [used[k] for k in keys]])

    def _allocate_codes(self) -> None:
        """One statement: advance each (agency, day) counter by its number of dossiers without
        a code, and number those dossiers in line order after the counter's old value."""
        table = DailySequence._meta.db_table
        width = SEQUENCE_WIDTH
        with connection.cursor() as cursor:
            cursor.execute(f"""
                WITH need AS (
                    SELECT agency_id, local_day AS day, count(*) AS n FROM {STAGE}
                    WHERE code IS NULL GROUP BY agency_id, local_day
                ), bumped AS (
                    INSERT INTO {table} AS s (agency_id, day, last_value)
                    SELECT agency_id, day, n FROM need ORDER BY agency_id, day
                    ON CONFLICT (agency_id, day) DO UPDATE
                    SET last_value = s.last_value + EXCLUDED.last_value
                    RETURNING agency_id, day, last_value
                ), ranked AS (
                    SELECT line, agency_id, local_day AS day,
                           row_number() OVER (PARTITION BY agency_id, local_day ORDER BY line) AS rn
                    FROM {STAGE} WHERE code IS NULL
                )
                UPDATE {STAGE} AS st
                SET code = st.agency_code || '-' || to_char(st.local_day, 'YYMMDD') || '-'
                           || lpad(v.value::text, greatest({width}, length(v.value::text)), '0')
                FROM ranked r
                JOIN bumped b ON b.agency_id = r.agency_id AND b.day = r.day
                JOIN need n ON n.agency_id = r.agency_id AND n.day = r.day
                CROSS JOIN LATERAL (SELECT b.last_value - n.n + r.rn AS value) v
                WHERE st.line = r.line
            """)  # noqa: S608 - only table names from model metadata are interpolated


def import_dossiers_copy(path: str, *, skip_bad: bool, batch_size: int, progress: bool | None,
                         on_validated: Callable[[ImportResult], None] | None) -> ImportResult:
    return CopyImport(path, skip_bad=skip_bad, batch_size=batch_size, progress=progress,
                      on_validated=on_validated).run()


__all__ = ["import_dossiers_copy"]
