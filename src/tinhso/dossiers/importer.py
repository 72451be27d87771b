"""Import of historical dossiers from a legacy one-stop system (``tinhso import-dossiers``).

The file is JSON Lines: one dossier per line (format and rules in docs/import-dossiers.md).
On PostgreSQL the import takes the set-based COPY path of :mod:`tinhso.dossiers.import_copy`
(one parse, COPY, codes and IOC facts in SQL); both paths share the line rules of
:mod:`~tinhso.dossiers.import_parse` and the rows of :mod:`~tinhso.dossiers.import_rows`.
The row path below serves SQLite (and ``method="rows"``). Two passes over the file, so memory
stays bounded for millions of lines:

1. validate every line, keeping only what cross-line checks need: the set of codes seen (for
   duplicates inside the file), a small buffer of codes to check against the database, the
   highest sequence number per (agency, day) among codes already in our format, and the numbers
   of bad lines;
2. read the file again and insert the good lines in batches with ``bulk_create`` — dossiers,
   their events (action ``import``, the original status in ``data``) and payments — calling
   ``dossier_events_bulk_recorded`` after each batch so derived data (IOC facts) stays current.

All-or-nothing: the second pass runs in ONE transaction, so a failure half-way (a code taken by
a live dossier meanwhile, a lost connection, Ctrl-C) rolls everything back, and without
``--skip-bad`` nothing is written at all when a line is bad. The price: on SQLite the import
holds the write lock until it commits (see the docs for the figures).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from tqdm import tqdm

from tinhso.core.hooks import dossier_events_bulk_recorded
from tinhso.dossiers.bulk_writer import BulkWriter, event_instances
from tinhso.dossiers.codes import (
    advance_daily_sequences,
    allocate_dossier_codes,
    parse_dossier_code,
)
from tinhso.dossiers.import_parse import (
    DB_CHECK_CHUNK,
    MAX_REPORTED_ERRORS,
    BadLine,
    ImportResult,
    LineError,
    LineParser,
    ParsedDossier,
    numbered_lines,
    parse_json_line,
    progress_disabled,
)
from tinhso.dossiers.import_rows import build_rows
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.payments.models import Payment

# ------------------------------------------------------------------------------------------
# The two passes
# ------------------------------------------------------------------------------------------


class _Collector:
    """Pass-1 state: errors (capped), bad line numbers, codes seen, sequences to advance."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        self.bad: set[int] = set()
        self.codes: set[str] = set()
        self.duplicates: dict[str, list[int]] = {}
        self.pending: list[tuple[str, int]] = []
        self.sequences: dict[tuple[int, dt.date], int] = {}

    def error(self, line: int, vi: str, en: str) -> None:
        self.bad.add(line)
        self.result.error_count += 1
        errors = self.result.errors
        errors.append(LineError(line, vi, en))
        if len(errors) >= 2 * MAX_REPORTED_ERRORS:
            # Keep memory bounded on a file that is wrong throughout: the first lines only.
            errors.sort(key=lambda e: e.line)
            del errors[MAX_REPORTED_ERRORS:]

    def add_code(self, parsed: ParsedDossier) -> None:
        code = parsed.code
        assert code is not None
        if code in self.codes:
            self.duplicates.setdefault(code, []).append(parsed.line)
            self.bad.add(parsed.line)
            return
        self.codes.add(code)
        self.pending.append((code, parsed.line))
        if len(self.pending) >= DB_CHECK_CHUNK:
            self.check_database()
        ours = parse_dossier_code(code)
        if ours is not None and ours[0] == parsed.agency.code:
            key = (parsed.agency.pk, ours[1])
            if ours[2] > self.sequences.get(key, 0):
                self.sequences[key] = ours[2]

    def check_database(self) -> None:
        if not self.pending:
            return
        lines = dict(self.pending)
        taken = Dossier.objects.filter(code__in=list(lines)).values_list("code", flat=True)
        for code in taken:
            self.error(lines[code], f"mã hồ sơ {code} đã có trong cơ sở dữ liệu",
                       f"dossier code {code} already exists in the database")
        self.pending = []


def _validate(path: str, parser: LineParser, result: ImportResult, progress: bool | None
              ) -> _Collector:
    state = _Collector(result)
    size = os.path.getsize(path)
    with open(path, "rb") as handle, tqdm(
        total=size, unit="B", unit_scale=True, desc="Kiểm tra / validating",
        disable=progress_disabled(progress), leave=False,
    ) as bar:
        unreported = 0
        for number, raw in numbered_lines(handle):
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
            if parsed.code is not None:
                state.add_code(parsed)
        bar.update(unreported)
        state.check_database()
    if state.duplicates:
        _report_duplicates(path, state)
    result.errors.sort(key=lambda e: e.line)
    del result.errors[MAX_REPORTED_ERRORS:]
    return state


def _report_duplicates(path: str, state: _Collector) -> None:
    """Name the first line of each duplicated code (one more read, only when needed)."""
    first: dict[str, int] = {}
    wanted = state.duplicates
    with open(path, "rb") as handle:
        for number, raw in numbered_lines(handle):
            if b'"code"' not in raw:
                continue
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            code = obj.get("code") if isinstance(obj, dict) else None
            if isinstance(code, str) and code in wanted and code not in first:
                first[code] = number
    for code, lines in wanted.items():
        for number in lines:
            state.error(number, f"mã hồ sơ {code} trùng với dòng {first.get(code, '?')}",
                        f"duplicate dossier code {code} (first on line {first.get(code, '?')})")


def _insert(path: str, parser: LineParser, state: _Collector, result: ImportResult,
            batch_size: int, progress: bool | None, good: int) -> None:
    with transaction.atomic():
        # Codes already in our format move the daily counters first, so generated codes
        # continue after them and later live codes never collide.
        advance_daily_sequences(state.sequences)
        batch: list[ParsedDossier] = []
        with open(path, "rb") as handle, tqdm(
            total=good, unit=" hồ sơ", desc="Nhập / importing", disable=progress_disabled(progress),
        ) as bar:
            for number, raw in numbered_lines(handle):
                if number in state.bad:
                    continue
                batch.append(parser.parse(json.loads(raw), number))
                if len(batch) >= batch_size:
                    _flush(batch, parser, result)
                    bar.update(len(batch))
                    batch = []
            if batch:
                _flush(batch, parser, result)
                bar.update(len(batch))


def _flush(batch: list[ParsedDossier], parser: LineParser, result: ImportResult) -> None:
    # Codes for lines without one, from the daily sequences of their reception day.
    needing = [p for p in batch if p.code is None]
    codes = allocate_dossier_codes(
        [(p.agency.pk, p.agency.code, parser.local_day(p.received_at)) for p in needing])
    generated = {p.line: code for p, code in zip(needing, codes, strict=True)}
    writer = BulkWriter()
    ids = writer.allocate(Dossier, len(batch))
    dossiers: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    for p, dossier_id in zip(batch, ids, strict=True):
        dossier, rows, pays = build_rows(p, p.code or generated[p.line], dossier_id)
        dossiers.append(dossier)
        events.extend(rows)
        payments.extend(pays)
    for row, event_id in zip(events, writer.allocate(DossierEvent, len(events)), strict=True):
        row["id"] = event_id
    writer.insert(Dossier, dossiers)
    writer.insert(Payment, payments)
    writer.insert(DossierEvent, events)
    dossier_events_bulk_recorded(event_instances(events))
    result.imported += len(dossiers)
    result.events += len(events)
    result.payments += len(payments)


def import_dossiers(
    path: str | os.PathLike[str],
    *,
    skip_bad: bool = False,
    batch_size: int = 2000,
    progress: bool | None = None,
    on_validated: Callable[[ImportResult], None] | None = None,
    method: str = "auto",
    workers: int | None = None,
) -> ImportResult:
    """Validate then import a JSON Lines file of historical dossiers.

    Returns the result: with errors and ``skip_bad=False`` nothing is imported (``imported``
    is 0). ``progress``: ``None`` shows a progress bar on stderr when it is a terminal.
    ``on_validated`` is called between the passes (the command prints the errors early).
    ``method``: ``copy`` (PostgreSQL: one parse, COPY, set-based SQL — import_copy.py),
    ``rows`` (the two passes below, any database), ``auto``: copy on PostgreSQL.
    ``workers``: parser processes of the copy path (0: none; ``None``: one per core, at most
    4, for a file of 32 MB or more — import_workers.py); the row path ignores it.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if method not in ("auto", "copy", "rows"):
        raise ValueError("method must be auto, copy or rows")
    path = os.fspath(path)
    if method == "copy" or (method == "auto" and connection.vendor == "postgresql"):
        from tinhso.dossiers.import_copy import import_dossiers_copy

        return import_dossiers_copy(path, skip_bad=skip_bad, batch_size=batch_size,
                                    progress=progress, on_validated=on_validated,
                                    workers=workers)
    result = ImportResult()
    parser = LineParser()
    state = _validate(path, parser, result, progress)
    if on_validated is not None:
        on_validated(result)
    if state.bad and not skip_bad:
        return result
    result.skipped = len(state.bad)
    good = result.lines - result.skipped
    if good:
        _insert(path, parser, state, result, batch_size, progress, good)
    return result


# BulkWriter, event_instances, LineError and BadLine are importable from here as before the split.
__all__ = ["BadLine", "BulkWriter", "ImportResult", "LineError", "event_instances",
           "import_dossiers"]
