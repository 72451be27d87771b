"""The PostgreSQL path of the demo generator: the COPY pipeline of the import (decision 0027).

The row path (:func:`tinhso.dossiers.generator._flush`) commits batch by batch from the main
thread: codes reserved per batch, ``COPY … write_row`` of every value adapted by its type, the
IOC fact states per batch. On PostgreSQL the generator now loads the way the COPY import does
(:mod:`tinhso.dossiers.import_copy`, decisions 0015 and 0022), in ONE transaction:

1. Python simulates each batch and turns its rows (the same ``plan_rows`` as the row path, so
   the data means the same) into COPY text — the dossiers for the import's staging table
   (their codes are not known yet), their events, steps and payments for their tables (ids
   drawn ahead in growing blocks; the foreign keys are deferred to the commit), the IOC fact
   state of each new dossier — and a worker thread sends it
   (:class:`~tinhso.core.copytext.CopyPipeline`): PostgreSQL stores batch k while Python
   simulates batch k+1;
2. after the last batch, one statement advances the daily counters and joins the codes in while
   it moves the staged dossiers into place (``allocate_codes_and_move``, numbered in generation
   order per agency and day — the codes the row path gives), and the IOC facts of the whole
   load are added once (``FactLoader.finish``).

A failed or killed generation leaves nothing (the row path kept the batches it had committed).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Model
from django.utils import timezone
from tqdm import tqdm

from tinhso.core import hooks
from tinhso.core.copytext import NULL, CopyPipeline, escape, value
from tinhso.dossiers.generator_clock import DAY
from tinhso.dossiers.generator_life import Plan
from tinhso.dossiers.generator_plans import Generator
from tinhso.dossiers.generator_rows import RowValues, fixed_offset, plan_rows
from tinhso.dossiers.import_copy_sql import STAGE, allocate_codes_and_move, create_stage
from tinhso.dossiers.import_workers import IdBlocks
from tinhso.dossiers.models import Dossier, DossierEvent, DossierStep
from tinhso.payments.models import Payment

MODELS: tuple[type[Model], ...] = (Dossier, DossierEvent, DossierStep, Payment)
# The dossier's moments the IOC profile reads (ioc.profile.DOSSIER_FIELDS), back to datetimes.
MOMENTS = ("received_at", "finished_at", "original_due_at", "paused_at")


def _text(v: Any) -> str:
    """A value of ``plan_rows`` other than a string or None as a COPY text field: the common
    types by a lookup on the exact type (choices enums and the rest: ``copytext.value``)."""
    f = _BY_TYPE.get(type(v))
    return f(v) if f is not None else value(v)


_BY_TYPE: dict[type, Callable[[Any], str]] = {
    int: str, bool: lambda b: "t" if b else "f", dt.datetime: dt.datetime.isoformat,
}


def line(row: dict[str, Any]) -> str:
    # Strings and NULLs (most values) inline: a function call per value is the cost here.
    return "\t".join([escape(v) if type(v) is str else NULL if v is None else _text(v)
                       for v in row.values()]) + "\n"


class TextValues(RowValues):
    """``plan_rows`` values for COPY text: moments as UTC text (``+00:00``; built by arithmetic
    when the zone has one offset, as the SQLite row path does — ``datetime`` objects and their
    ``isoformat`` cost ~15 µs a dossier), JSON as its text, every column in the template."""

    def __init__(self, g: Generator, now: dt.datetime) -> None:  # noqa: D107 - no writer
        self.g = g
        self.offset = fixed_offset(g)
        self._days: dict[int, str] = {}
        self.templates = {m: _template(m, now)  # type: ignore[misc]  # the four models
                          for m in MODELS}
        self.empty = "{}"
        self._forms: dict[int, Any] = {}

    def json(self, value: dict[str, Any]) -> Any:
        return json.dumps(value, ensure_ascii=False) if value else self.empty

    def form(self, proc: Any, name: str) -> Any:
        if "ho_ten" in proc.form:
            return json.dumps({**proc.form, "ho_ten": name}, ensure_ascii=False)
        cached = self._forms.get(proc.obj.pk)
        if cached is None:
            cached = self._forms[proc.obj.pk] = json.dumps(proc.form, ensure_ascii=False)
        return cached

    def db(self, w: int | None) -> Any:
        if w is None:
            return None
        if self.offset is None:
            return self.g.moment(w).isoformat()
        return super().db(w) + "+00:00"


def _template(model: type[Model], now: dt.datetime) -> dict[str, Any]:
    """Every column with its default as ``_text`` takes it, in column order (as
    ``BulkWriter.template``): rows are built as ``{**template, ...}``."""
    out: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default: Any = now
        elif f.has_default():
            default = f.get_default()
            if isinstance(f, models.JSONField):
                default = json.dumps(default, ensure_ascii=False)
        else:
            default = "" if f.empty_strings_allowed and not f.null else None
        out[f.attname] = default
    return out


class CopyGeneration:
    def __init__(self, g: Generator, *, batch_size: int, progress: bool) -> None:
        self.g = g
        self.batch_size = batch_size
        self.progress = progress
        self.out = TextValues(g, timezone.now())
        self.columns = {m: [str(f.column) for f in m._meta.concrete_fields] for m in MODELS}
        self.loaders, self.plain = hooks.bulk_loaders()
        self.batches: list[list[int]] = []  # dossier ids per batch, for plain subscribers
        self.line = 0  # generation order: the order codes are numbered in

    def run(self, n: int) -> int:
        made = 0
        with transaction.atomic():
            create_stage()
            for loader in self.loaders:
                if hasattr(loader, "prepare"):
                    loader.prepare()
            connection.ensure_connection()
            self.pipeline = CopyPipeline(connection.connection)
            self.ids = {model: IdBlocks.on_pipeline(self.pipeline, model._meta.db_table, per_item)
                        for model, per_item in ((Dossier, 1), (Payment, 1), (DossierEvent, 8),
                                                (DossierStep, 4))}
            try:
                with tqdm(total=n, unit=" hồ sơ", desc="Sinh hồ sơ / generating",
                          disable=not self.progress) as bar:
                    batch: list[Plan] = []
                    for plan in self.g.plans(n):
                        batch.append(plan)
                        if len(batch) >= self.batch_size:
                            made += self._write(batch)
                            bar.update(len(batch))
                            batch = []
                    if batch:
                        made += self._write(batch)
                        bar.update(len(batch))
            finally:
                self.pipeline.close()  # always: the rollback must not race a running COPY
            if made:
                allocate_codes_and_move()
                self._facts()
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
        return made

    def _write(self, batch: list[Plan]) -> int:
        g, out = self.g, self.out
        ids = self.ids[Dossier].take(len(batch))
        paying = [i for i, plan in enumerate(batch)
                  if plan.payment is not None and plan.payment[2] <= g.cutoff]
        payment_ids = dict(zip(paying, self.ids[Payment].take(len(paying)), strict=True))
        stage_text: list[str] = []
        events: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
        payment_text: list[str] = []
        events_py: list[dict[str, Any]] = []
        dossiers: list[dict[str, Any]] = []
        for i, plan in enumerate(batch):
            dossier, evs, sts, payment = plan_rows(out, plan, "", ids[i], payment_ids.get(i),
                                                   events_py)
            dossier["code"] = None  # allocated in SQL after the load (the staging table)
            self.line += 1
            agency = plan.agency.obj
            stage_text.append(
                line(dossier)[:-1] + f"\t{self.line}\t{escape(agency.code)}\t"
                f"{dt.date.fromordinal(plan.w0 // DAY).isoformat()}\n")
            dossiers.append(dossier)
            events.extend(evs)
            steps.extend(sts)
            if payment is not None:
                payment_text.append(line(payment))
        for row, py, event_id in zip(events, events_py, self.ids[DossierEvent].take(len(events)),
                                     strict=True):
            row["id"] = py["id"] = event_id
        for row, step_id in zip(steps, self.ids[DossierStep].take(len(steps)), strict=True):
            row["id"] = step_id
        send = self.pipeline.copy
        send(STAGE, [*self.columns[Dossier], "line", "agency_code", "local_day"],
             "".join(stage_text))
        send(Payment._meta.db_table, self.columns[Payment], "".join(payment_text))
        send(DossierEvent._meta.db_table, self.columns[DossierEvent],
             "".join([line(row) for row in events]))
        send(DossierStep._meta.db_table, self.columns[DossierStep],
             "".join([line(row) for row in steps]))
        if self.loaders:
            by_dossier: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for event in events_py:
                by_dossier[event["dossier_id"]].append(event)
            for dossier in dossiers:
                evs = sorted(by_dossier[dossier["id"]], key=lambda e: (e["at"], e["id"]))
                moves = [(e["action"], e["at"], e["to_status"]) for e in evs]
                last = max((e["id"] for e in evs), default=0)
                row = {**dossier, **{k: dt.datetime.fromisoformat(dossier[k])
                                     for k in MOMENTS if dossier[k] is not None}}
                for loader in self.loaders:
                    loader.add(row, moves, last)
            for loader in self.loaders:
                loader.flush(send)
        if self.plain:
            self.batches.append(ids)
        return len(batch)

    def _facts(self) -> None:
        """The IOC facts of the whole load, once; subscribers without a bulk loader get the
        events batch by batch as before (read back: they are in the tables now)."""
        for loader in self.loaders:
            loader.finish()
        for ids in self.batches:
            events = list(DossierEvent.objects.filter(dossier_id__in=ids).order_by("id"))
            for func in self.plain:
                func(events)


def generate_copy(g: Generator, n: int, *, batch_size: int, progress: bool) -> int:
    return CopyGeneration(g, batch_size=batch_size, progress=progress).run(n)


__all__ = ["generate_copy"]
