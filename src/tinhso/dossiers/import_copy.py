"""The PostgreSQL path of the import: one parse, ``COPY``, set-based checks, codes and facts.

``import_dossiers`` takes this path on PostgreSQL (``method="copy"``); the row path of
:mod:`tinhso.dossiers.importer` stays for SQLite (and for comparison, ``method="rows"``).
Everything happens in ONE transaction, so nothing of a failed, refused or killed import stays:

1. each line is read and parsed ONCE (:class:`~tinhso.dossiers.import_parse.LineParser`, the
   same rules and messages as the row path; duplicates inside the file are caught as it is
   read) — for a big file by parser processes on every core
   (:mod:`~tinhso.dossiers.import_workers`). Each batch is formatted as COPY text
   (:mod:`~tinhso.dossiers.import_batch`) — the dossiers for a temporary staging table
   (their codes may still be missing), their events and payments for their tables (ids taken
   from the sequences up front, in growing blocks; the foreign keys are deferred to the
   commit), the IOC fact state of each new dossier (:mod:`tinhso.ioc.facts_bulk`) — and a
   worker thread sends it (:class:`~tinhso.core.copytext.CopyPipeline`), so PostgreSQL stores
   batch k while Python reads batch k+1. After the first bad line without ``--skip-bad``
   nothing more is sent: the rest of the file is only checked;
2. in SQL, set-based: the legacy codes already in the database are found with one join (each
   reported with its line; with ``--skip-bad`` its rows are deleted again), the daily counters
   are raised past the legacy codes in our format, and one statement allocates the missing
   codes — it advances every (agency, day) counter by its number of dossiers (``INSERT … ON
   CONFLICT DO UPDATE … RETURNING``) and numbers them in line order with ``row_number()`` —
   while it moves the staged dossiers into place (``INSERT … SELECT``);
3. the IOC facts of the whole load are added once; subscribers without a bulk loader get the
   events in batches as before.

The end state is the row path's (tests/dossiers/test_import_copy.py compares both).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from tinhso.core import hooks
from tinhso.core.copytext import CopyPipeline, RowFormat
from tinhso.dossiers.codes import parse_dossier_code
from tinhso.dossiers.import_batch import (
    DOSSIER_COLUMNS,
    EVENT_COLUMNS,
    PAYMENT_COLUMNS,
    STAGE_EXTRA,
    Batch,
    BatchFormatter,
    Lines,
)
from tinhso.dossiers.import_copy_sql import (
    STAGE,
    allocate_codes_and_move,
    create_stage,
    discard_taken,
    raise_sequences,
    taken_codes,
)
from tinhso.dossiers.import_parse import (
    MAX_REPORTED_ERRORS,
    ImportResult,
    LineParser,
    numbered_lines,
    progress_disabled,
)
from tinhso.dossiers.import_workers import IdBlocks, parallel_batches
from tinhso.dossiers.importer import _Collector
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.payments.models import Payment

# Files from this size on are parsed by processes on every core (import_workers.py).
PARALLEL_FROM_BYTES = 32 << 20


MAX_DEFAULT_WORKERS = 4


def default_workers(path: str) -> int:
    """Parser processes for ``path``: none for a small file (starting them costs ~2 s), one
    per core for a big one — at most four: then the import's one PostgreSQL session is the
    bound (two were enough for it on two cores, docs/benchmarks.md)."""
    cores = os.cpu_count() or 1
    if cores < 2 or os.path.getsize(path) < PARALLEL_FROM_BYTES:
        return 0
    return min(cores, MAX_DEFAULT_WORKERS)


class CopyImport:
    def __init__(self, path: str, *, skip_bad: bool, batch_size: int, progress: bool | None,
                 on_validated: Callable[[ImportResult], None] | None,
                 workers: int | None = None) -> None:
        self.path = path
        self.workers = default_workers(path) if workers is None else workers
        self.skip_bad = skip_bad
        self.batch_size = batch_size
        self.progress = progress
        self.on_validated = on_validated
        self.result = ImportResult()
        self.parser = LineParser()
        self.state = _Collector(self.result)
        self.first_line: dict[str, int] = {}
        self.now = now = timezone.now()
        self.columns = (
            RowFormat(Dossier, DOSSIER_COLUMNS, now=now, extra=STAGE_EXTRA).columns,
            RowFormat(DossierEvent, EVENT_COLUMNS, now=now).columns,
            RowFormat(Payment, PAYMENT_COLUMNS, now=now).columns)
        self.loaders, self.plain = hooks.bulk_loaders()
        self.batches: list[list[int]] = []  # dossier ids per batch, for plain subscribers
        self.unchecked: list[tuple[str, int]] = []  # (code, line) read but not staged
        self.timings = self.result.timings

    @property
    def writing(self) -> bool:
        return self.skip_bad or not self.state.bad

    def run(self) -> ImportResult:
        result = self.result
        with transaction.atomic():
            started = time.perf_counter()
            create_stage()
            for loader in self.loaders:
                if hasattr(loader, "prepare"):
                    loader.prepare()
            connection.ensure_connection()
            self.pipeline = CopyPipeline(connection.connection)
            try:
                self._read()
            finally:
                self.pipeline.close()  # always: the rollback must not race a running COPY
            self.timings["read, parse, format (PostgreSQL storing meanwhile)"] = (
                time.perf_counter() - started)
            self.timings["of which waiting for PostgreSQL"] = self.pipeline.waited
            self._timed("legacy codes already in the database (SQL join)", self._taken)
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
                transaction.set_rollback(True)  # the staging tables go with the rollback
                return result
            self._place()
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
        return result

    def _timed(self, name: str, func: Callable[[], Any]) -> None:
        started = time.perf_counter()
        func()
        self.timings[name] = time.perf_counter() - started

    # -- one pass over the file --------------------------------------------------------------

    def _read(self) -> None:
        with open(self.path, "rb") as handle, tqdm(
            total=os.path.getsize(self.path), unit="B", unit_scale=True,
            desc="Nhập / importing", disable=progress_disabled(self.progress), leave=False,
        ) as bar:
            batches = self._batches(handle, bar)
            if self.workers:
                database = dict(connection.settings_dict)
                formatted = parallel_batches(batches, workers=self.workers, database=database,
                                             now=self.now)
            else:
                formatted = map(self._formatter().run, batches)
            for batch in formatted:
                self._take(batch)

    def _batches(self, handle: Any, bar: Any) -> Iterator[Lines]:
        lines: Lines = []
        unreported = 0
        for number, raw in numbered_lines(handle):
            lines.append((number, raw))
            unreported += len(raw)
            if len(lines) >= self.batch_size:
                self.result.lines += len(lines)
                yield lines
                lines = []
                bar.update(unreported)
                unreported = 0
        if lines:
            self.result.lines += len(lines)
            yield lines
        bar.update(unreported)

    def _formatter(self) -> BatchFormatter:
        """In this process: ids from the pipeline's connection, asked for ahead."""
        pipeline = self.pipeline
        return BatchFormatter(
            self.parser, now=self.now, loaders=self.loaders,
            dossier_ids=IdBlocks.on_pipeline(pipeline, Dossier._meta.db_table).take,
            event_ids=IdBlocks.on_pipeline(pipeline, DossierEvent._meta.db_table, 8).take)

    def _take(self, batch: Batch) -> None:
        """A formatted batch, in line order: the bad lines and duplicate codes reported, the
        rest sent — until the first bad line without --skip-bad (then only checked)."""
        state = self.state
        errors = iter(batch.errors)
        error = next(errors, None)
        kept: list[int] = []
        for i, line in enumerate(batch.lines):
            while error is not None and error[0] < line:
                state.error(*error)
                error = next(errors, None)
            code = batch.codes[i]
            if code is not None and not self._first_code(batch, i):
                continue
            if not self.writing:
                if code is not None:
                    self.unchecked.append((code, line))
                continue
            kept.append(i)
        while error is not None:
            state.error(*error)
            error = next(errors, None)
        if kept:
            self._send(batch, kept)

    def _first_code(self, batch: Batch, i: int) -> bool:
        code, line = batch.codes[i], batch.lines[i]
        assert code is not None
        first = self.first_line.get(code)
        if first is not None:
            self.state.error(line, f"mã hồ sơ {code} trùng với dòng {first}",
                             f"duplicate dossier code {code} (first on line {first})")
            return False
        self.first_line[code] = line
        ours = parse_dossier_code(code)
        if ours is not None and ours[0] == batch.agency_codes[i]:
            key = (batch.agency_ids[i], ours[1])
            if ours[2] > self.state.sequences.get(key, 0):
                self.state.sequences[key] = ours[2]
        return True

    def _send(self, batch: Batch, kept: list[int]) -> None:
        every = len(kept) == len(batch.lines)  # the usual case: no list to filter

        def picked(values: list[Any]) -> list[Any]:
            return values if every else [values[i] for i in kept]

        send = self.pipeline.copy
        stage, events, payments = self.columns
        send(STAGE, stage, "".join(picked(batch.stage)))
        send(DossierEvent._meta.db_table, events, "".join(picked(batch.event_text)))
        send(Payment._meta.db_table, payments, "".join(picked(batch.payment_text)))
        for loader, lines in zip(self.loaders, batch.loader_lines, strict=True):
            loader.add_lines(picked(lines))
            loader.flush(send)
        if self.plain:
            self.batches.append(picked(batch.dossier_ids))
        result = self.result
        result.imported += len(kept)
        result.events += sum(picked(batch.events))
        result.payments += sum(picked(batch.payments))

    # -- set-based part ----------------------------------------------------------------------

    def _taken(self) -> None:
        """Legacy codes that live dossiers already hold: reported with their lines; with
        --skip-bad their staged rows, events, payments and fact states go again."""
        taken = taken_codes() if self.result.imported else []
        for start in range(0, len(self.unchecked), 10_000):
            lines = dict(self.unchecked[start:start + 10_000])
            taken += [(lines[code], code) for code in Dossier.objects.filter(
                code__in=list(lines)).values_list("code", flat=True)]
        if not taken:
            return
        for line, code in taken:
            self.state.error(line, f"mã hồ sơ {code} đã có trong cơ sở dữ liệu",
                             f"dossier code {code} already exists in the database")
        if self.skip_bad:
            ids, events, payments = discard_taken()
            for loader in self.loaders:
                loader.discard(ids)
            self.result.imported -= len(ids)
            self.result.events -= events
            self.result.payments -= payments
            gone = set(ids)
            for batch in self.batches:
                batch[:] = [i for i in batch if i not in gone]

    def _place(self) -> None:
        with tqdm(total=3, desc="Xếp vào chỗ / placing",
                  disable=progress_disabled(self.progress), leave=False) as bar:
            self._timed("daily counters past legacy codes",
                        lambda: raise_sequences(self.state.sequences))
            self._timed("codes allocated + dossiers moved into place (one statement)",
                        allocate_codes_and_move)
            bar.update(2)
            self._timed("IOC facts of the whole load (GROUP BY, upserts)", self._facts)
            bar.update(1)

    def _facts(self) -> None:
        for loader in self.loaders:
            loader.finish()
        for ids in self.batches:
            events = list(DossierEvent.objects.filter(dossier_id__in=ids).order_by("id"))
            for func in self.plain:
                func(events)


def import_dossiers_copy(path: str, *, skip_bad: bool, batch_size: int, progress: bool | None,
                         on_validated: Callable[[ImportResult], None] | None,
                         workers: int | None = None) -> ImportResult:
    return CopyImport(path, skip_bad=skip_bad, batch_size=batch_size, progress=progress,
                      on_validated=on_validated, workers=workers).run()


__all__ = ["import_dossiers_copy"]
