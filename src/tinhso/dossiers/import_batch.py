"""One batch of lines of the COPY import, parsed and formatted as COPY text.

The same code runs in the importing process (small files) and in the parser processes of
:mod:`tinhso.dossiers.import_workers` (big files): the lines come in as bytes, the batch goes
back as the bad lines' errors and, per good line, its dossier's staging line, its events' and
payments' lines and its bulk loaders' lines, with the ids they were given. What needs the
whole file — duplicate codes, the first bad line, what is sent — is decided by the importing
process (:mod:`tinhso.dossiers.import_copy`), in line order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tinhso.core.copytext import NULL, RowFormat, escape, moment, value
from tinhso.dossiers.import_parse import BadLine, LineParser, ParsedDossier, parse_json_line
from tinhso.dossiers.import_rows import PAYMENT_DESCRIPTION, dossier_values, event_moves
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

Lines = list[tuple[int, bytes]]  # (line number, raw line) as numbered_lines gives them
IdSource = Callable[[int], list[int]]  # n → n fresh ids of one table's sequence


@dataclass(slots=True)
class Batch:
    """A formatted batch, by column (lists of plain values cross the process boundary ~10×
    faster than an object per line: unpickling objects was 17 µs a line). Index ``i`` of each
    list is the ``i``-th good line, in line order."""

    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, vi, en)
    lines: list[int] = field(default_factory=list)
    codes: list[str | None] = field(default_factory=list)
    agency_ids: list[int] = field(default_factory=list)
    agency_codes: list[str] = field(default_factory=list)
    dossier_ids: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)  # how many events each line has
    payments: list[int] = field(default_factory=list)
    stage: list[str] = field(default_factory=list)  # one staging line each
    event_text: list[str] = field(default_factory=list)  # its events' lines
    payment_text: list[str] = field(default_factory=list)  # its payments' lines, maybe ""
    loader_lines: list[list[str]] = field(default_factory=list)  # per loader: a line each


class BatchFormatter:
    """Parses and formats batches; ``loaders`` are objects with ``line(row, steps, last)``
    (:meth:`tinhso.ioc.facts_bulk.FactLoader.line`)."""

    def __init__(self, parser: LineParser, *, now: dt.datetime, loaders: Sequence[Any],
                 dossier_ids: IdSource, event_ids: IdSource) -> None:
        self.parser = parser
        self.stage = RowFormat(Dossier, DOSSIER_COLUMNS, now=now, extra=STAGE_EXTRA)
        self.events = RowFormat(DossierEvent, EVENT_COLUMNS, now=now)
        self.payments = RowFormat(Payment, PAYMENT_COLUMNS, now=now)
        self.loaders = list(loaders)
        self.dossier_ids = dossier_ids
        self.event_ids = event_ids

    def run(self, lines: Lines) -> Batch:
        batch = Batch()
        parsed: list[ParsedDossier] = []
        parse = self.parser.parse
        for number, raw in lines:
            try:
                parsed.append(parse(parse_json_line(raw), number))
            except BadLine as exc:
                batch.errors.append((number, exc.vi, exc.en))
        if not parsed:
            return batch
        ids = self.dossier_ids(len(parsed))
        event_ids = iter(self.event_ids(sum(len(p.events) for p in parsed)))
        batch.loader_lines = [[] for _ in self.loaders]
        for p, dossier_id in zip(parsed, ids, strict=True):
            self._add(batch, p, dossier_id, event_ids)
        return batch

    def _add(self, batch: Batch, p: ParsedDossier, dossier_id: int, event_ids: Any) -> None:
        action = Action.IMPORT.value
        events_line, payments_line = self.events.line, self.payments.line
        moves, due = event_moves(p)
        d = dossier_values(p, p.code, dossier_id, due)
        did = str(dossier_id)
        last = 0
        event_text: list[str] = []
        for at, before, after, due_at, data in moves:
            last = next(event_ids)
            event_text.append(events_line(
                str(last), did, at.isoformat(), action,
                NULL if before is None else str(before), str(after), moment(due_at),
                f'{{"status": {after}}}' if len(data) == 1 else value(data)))
        payment_text: list[str] = []
        if p.payments:
            paid, description = PaymentStatus.PAID.value, escape(PAYMENT_DESCRIPTION)
            for at, amount, online in p.payments:
                stamp = at.isoformat()
                payment_text.append(payments_line(
                    did, str(amount), paid, "t" if online else "f",
                    "online" if online else "counter", description, stamp, stamp))
        if self.loaders:
            steps = [(action, m[0], m[2]) for m in moves]
            for loader, out in zip(self.loaders, batch.loader_lines, strict=True):
                out.append(loader.line(d, steps, last))
        batch.stage.append(self.stage.line(
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
            self.parser.local_day(p.received_at).isoformat()))
        batch.lines.append(p.line)
        batch.codes.append(p.code)
        batch.agency_ids.append(p.agency.pk)
        batch.agency_codes.append(p.agency.code)
        batch.dossier_ids.append(dossier_id)
        batch.events.append(len(moves))
        batch.payments.append(len(p.payments))
        batch.event_text.append("".join(event_text))
        batch.payment_text.append("".join(payment_text))


__all__ = ["DOSSIER_COLUMNS", "EVENT_COLUMNS", "PAYMENT_COLUMNS", "STAGE_EXTRA", "Batch",
           "BatchFormatter", "Lines"]
