"""The PostgreSQL path of the import: one parse, ``COPY``, set-based checks, codes and facts.

``import_dossiers`` takes this path on PostgreSQL (``method="copy"``); the row path of
:mod:`tinhso.dossiers.importer` stays for SQLite (and for comparison, ``method="rows"``).
Everything happens in ONE transaction, so nothing of a failed, refused or killed import stays:

1. each line is read and parsed ONCE (:class:`~tinhso.dossiers.import_parse.LineParser`, the
   same rules and messages as the row path; duplicates inside the file are caught as it is
   read). Python formats each batch as COPY text — the dossiers for a temporary staging table
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
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from tinhso.core import hooks
from tinhso.core.copytext import NULL, CopyPipeline, RowFormat, escape, moment, value
from tinhso.dossiers.codes import parse_dossier_code
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
    BadLine,
    ImportResult,
    LineParser,
    ParsedDossier,
    numbered_lines,
    parse_json_line,
    progress_disabled,
)
from tinhso.dossiers.import_rows import PAYMENT_DESCRIPTION, dossier_values, event_moves
from tinhso.dossiers.importer import _Collector
from tinhso.dossiers.models import Action, Dossier, DossierEvent
from tinhso.payments.models import Payment, PaymentStatus

# Columns each COPY fills, in the order the text is built; the others take their defaults.
DOSSIER_COLUMNS = (
    "id", "code", "procedure_id", "agency_id", "unit_id", "channel", "status", "applicant_kind",
    "applicant_id_number", "applicant_name", "submitted_at", "received_at", "due_at",
    "original_due_at", "finished_at", "returned_at", "paused_at", "remaining_office_seconds",
    "supplement_count", "fee_amount", "paid_online", "result_electronic",
    "components_digitized", "rating", "is_imported", "version")
STAGE_EXTRA = ("line", "agency_code", "local_day")
EVENT_COLUMNS = ("id", "dossier_id", "at", "action", "from_status", "to_status", "due_at",
                 "data")
PAYMENT_COLUMNS = ("dossier_id", "amount", "status", "online", "method", "description",
                   "requested_at", "paid_at")
FIRST_ID_BLOCK, LAST_ID_BLOCK = 2_000, 1 << 17  # ids reserved at once grow between these


class IdBlocks:
    """Ids of one table's sequence, reserved in blocks that double up to LAST_ID_BLOCK (few
    round trips, and a small import wastes no more ids than it uses)."""

    def __init__(self, pipeline: CopyPipeline, table: str, per_item: int = 1) -> None:
        self.pipeline = pipeline
        with connection.cursor() as cursor:  # once: per value it costs more than nextval
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            self.sequence = cursor.fetchone()[0]
        self.ranges: list[range] = []
        self.block = FIRST_ID_BLOCK * per_item
        self.cap = LAST_ID_BLOCK * per_item
        self.pending: tuple[list[Any], Any] | None = None

    def take(self, count: int) -> list[int]:
        out: list[int] = []
        while len(out) < count:
            if not self.ranges:
                self._collect(count - len(out))
            head = self.ranges[0]
            need = count - len(out)
            out.extend(head[:need])
            if len(head) > need:
                self.ranges[0] = head[need:]
            else:
                self.ranges.pop(0)
        if self.pending is None and sum(map(len, self.ranges)) < self.block // 2:
            # Ask for the next block now: the worker draws it after the queued COPYs,
            # so Python need not wait for it later.
            self.pending = self.pipeline.submit(self._draw(self.block))
            self.block = min(self.block * 2, self.cap)
        return out

    def _collect(self, need: int) -> None:
        if self.pending is None:
            self.pending = self.pipeline.submit(self._draw(max(need, self.block)))
            self.block = min(self.block * 2, self.cap)
        self.ranges.extend(self.pipeline.result(self.pending))
        self.pending = None

    def _draw(self, count: int) -> Callable[[Any], list[range]]:
        sequence = self.sequence

        def run(cursor: Any) -> list[range]:
            # Usually consecutive (no concurrent writer took one meanwhile): send the range.
            cursor.execute("SELECT min(v), max(v) FROM (SELECT nextval(%s::regclass) AS v "
                           "FROM generate_series(1, %s)) AS ids", [sequence, count])
            low, high = cursor.fetchone()
            if high - low + 1 == count:
                return [range(low, high + 1)]
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                           [sequence, count])
            return [range(v, v + 1) for (v,) in cursor.fetchall()]
        return run


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
        self.stage = RowFormat(Dossier, DOSSIER_COLUMNS, now=now, extra=STAGE_EXTRA)
        self.events = RowFormat(DossierEvent, EVENT_COLUMNS, now=now)
        self.payments = RowFormat(Payment, PAYMENT_COLUMNS, now=now)
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
            self.dossier_ids = IdBlocks(self.pipeline, Dossier._meta.db_table)
            self.event_ids = IdBlocks(self.pipeline, DossierEvent._meta.db_table, per_item=8)
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
        result, state, parser = self.result, self.state, self.parser
        buffer: list[ParsedDossier] = []
        with open(self.path, "rb") as handle, tqdm(
            total=os.path.getsize(self.path), unit="B", unit_scale=True,
            desc="Nhập / importing", disable=progress_disabled(self.progress), leave=False,
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
                if parsed.code is not None and not self._first_code(parsed):
                    continue
                if not self.writing:  # a bad line and no --skip-bad: only check the rest
                    if parsed.code is not None:
                        self.unchecked.append((parsed.code, number))
                    continue
                buffer.append(parsed)
                if len(buffer) >= self.batch_size:
                    self._write(buffer)
                    buffer = []
            if buffer and self.writing:
                self._write(buffer)
            else:
                self.unchecked += [(p.code, p.line) for p in buffer if p.code is not None]
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

    def _write(self, batch: list[ParsedDossier]) -> None:
        ids = self.dossier_ids.take(len(batch))
        event_ids = iter(self.event_ids.take(sum(len(p.events) for p in batch)))
        local_day = self.parser.local_day
        stage, events_line, payments_line = self.stage.line, self.events.line, self.payments.line
        action = Action.IMPORT.value
        paid = PaymentStatus.PAID.value
        description = escape(PAYMENT_DESCRIPTION)
        stage_text: list[str] = []
        event_text: list[str] = []
        payment_text: list[str] = []
        loaders = self.loaders
        n_events = n_payments = 0
        for p, dossier_id in zip(batch, ids, strict=True):
            moves, due = event_moves(p)
            d = dossier_values(p, p.code, dossier_id, due)
            did = str(dossier_id)
            last = 0
            for at, before, after, due_at, data in moves:
                last = next(event_ids)
                event_text.append(events_line(
                    str(last), did, at.isoformat(), action,
                    NULL if before is None else str(before), str(after), moment(due_at),
                    f'{{"status": {after}}}' if len(data) == 1 else value(data)))
            n_events += len(moves)
            for at, amount, online in p.payments:
                stamp = at.isoformat()
                payment_text.append(payments_line(
                    did, str(amount), paid, "t" if online else "f",
                    "online" if online else "counter", description, stamp, stamp))
            n_payments += len(p.payments)
            if loaders:
                steps = [(action, m[0], m[2]) for m in moves]
                for loader in loaders:
                    loader.add(d, steps, last)
            stage_text.append(stage(
                did, NULL if p.code is None else escape(p.code), str(d["procedure_id"]),
                str(d["agency_id"]), value(d["unit_id"]), str(d["channel"]), str(d["status"]),
                escape(d["applicant_kind"]), escape(d["applicant_id_number"]),
                escape(d["applicant_name"]), moment(d["submitted_at"]), moment(d["received_at"]),
                moment(due), moment(due), moment(d["finished_at"]), moment(d["returned_at"]),
                moment(d["paused_at"]), value(d["remaining_office_seconds"]),
                str(d["supplement_count"]), str(d["fee_amount"]), "t" if d["paid_online"] else "f",
                "t" if d["result_electronic"] else "f",
                "t" if d["components_digitized"] else "f", value(d["rating"]), "t",
                str(d["version"]), str(p.line), escape(p.agency.code),
                local_day(p.received_at).isoformat()))
        send = self.pipeline.copy
        send(STAGE, self.stage.columns, "".join(stage_text))
        send(DossierEvent._meta.db_table, self.events.columns, "".join(event_text))
        send(Payment._meta.db_table, self.payments.columns, "".join(payment_text))
        for loader in loaders:
            loader.flush(send)
        if self.plain:
            self.batches.append(ids)
        self.result.imported += len(batch)
        self.result.events += n_events
        self.result.payments += n_payments

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
                         on_validated: Callable[[ImportResult], None] | None) -> ImportResult:
    return CopyImport(path, skip_bad=skip_bad, batch_size=batch_size, progress=progress,
                      on_validated=on_validated).run()


__all__ = ["import_dossiers_copy"]
