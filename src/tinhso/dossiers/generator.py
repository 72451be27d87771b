"""Deterministic generator of realistic demo dossiers (``tinhso demo --dossiers N``).

Same seed + same demo data (units, agencies, catalogue, accounts) → the same dossiers, codes,
events, steps and payments. The generator walks the calendar day by day, draws each day's
arrivals (weekday and hour patterns, a yearly growth), then simulates every dossier through the
one-stop lifecycle with the real action vocabulary and the statuses the live services write:
submit/create_direct → receive → assign → (request_supplement ⇄ supplement) → request_payment →
pay → forward … → approve → return_result → rate, with refusals, withdrawals, stops and late
dossiers that get an apology (form 04) before they continue. Anything after the cut-off (the
end of ``date_to``, or now when ``date_to`` is today) has not happened yet, so dossiers received
near the end are still open.

Deadlines: a dossier's appointment is ``add_working_days(received_at, processing_days)`` of the
working-day calendar, and a supplement pause shifts it by the office time that was left, as
``dossier_supplement`` does. Calling the calendar ~10 times per dossier costs ~15 µs a call, so
the generator builds an office-time line per set of office hours once (one
``calendar.is_working_day`` call per day of the range) and does the arithmetic on integers;
tests check it against the calendar functions (same results, second for second).

PostgreSQL (the default there, ``method="copy"``): the COPY pipeline of the import in one
transaction — see ``generator_copy`` (decision 0027). Row path (SQLite, ``method="rows"``):
one transaction per batch — codes reserved from the gap-free daily sequences
(``codes.allocate_dossier_codes``), then the rows of dossiers, payments, events and steps
(``BulkWriter``: ``COPY`` on PostgreSQL, ``executemany`` on SQLite), then derived data: on
PostgreSQL the IOC facts set-based (``tinhso.ioc.facts_bulk.FactLoader``, as the COPY import),
elsewhere ``dossier_events_bulk_recorded``.

Modules: ``generator_params`` (distributions, names), ``generator_clock`` (office-time line),
``generator_snapshot`` (demo data read once), ``generator_life`` (one dossier's life),
``generator_plans`` (arrivals and applicants), ``generator_rows`` (database rows),
``generator_copy`` (the PostgreSQL load); this module writes the batches of the row path.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import connection, transaction
from tqdm import tqdm

from tinhso.core.hooks import bulk_loaders, dossier_events_bulk_recorded
from tinhso.dossiers.bulk_writer import BulkWriter, event_instances
from tinhso.dossiers.codes import allocate_dossier_codes
from tinhso.dossiers.generator_clock import DAY, HOUR, OfficeClock, to_wall
from tinhso.dossiers.generator_life import DossierLife, Event, Plan
from tinhso.dossiers.generator_plans import Generator
from tinhso.dossiers.generator_rows import END_STATUSES, RowValues, plan_rows
from tinhso.dossiers.generator_snapshot import AgencyInfo, ProcedureInfo, Snapshot
from tinhso.dossiers.models import Dossier, DossierEvent, DossierStep
from tinhso.payments.models import Payment

# Importable from here as before the split (tests, benchmarks, the demo command).
__all__ = [
    "DAY", "END_STATUSES", "HOUR", "AgencyInfo", "DossierLife", "Event", "Generator",
    "OfficeClock", "Plan", "ProcedureInfo", "RowValues", "Snapshot", "generate_dossiers",
    "plan_rows", "to_wall",
]


def generate_dossiers(n: int, *, seed: int, date_from: dt.date, date_to: dt.date,
                      progress: bool = True, batch_size: int = 2000,
                      now: dt.datetime | None = None, method: str = "auto") -> int:
    """Generate ``n`` demo dossiers received between ``date_from`` and ``date_to``.

    Returns how many were written (fewer than n only when date_to is today and the day has
    not yet reached some of the drawn times). ``now`` fixes the cut-off (tests, benchmarks).
    ``method``: ``"copy"`` (PostgreSQL only, the default there: one transaction, the import's
    COPY pipeline, see generator_copy), ``"rows"`` (one transaction per batch, the only path
    on SQLite), ``"auto"``.
    """
    if method not in ("auto", "copy", "rows"):
        raise ValueError(f"unknown method {method!r}")
    if method == "copy" and connection.vendor != "postgresql":
        raise ValueError("the COPY path needs PostgreSQL")
    if n <= 0:
        return 0
    if date_from > date_to:
        raise ValueError("date_from must not be after date_to")
    g = Generator(seed=seed, date_from=date_from, date_to=date_to, now=now)
    if not g.data.procedures:
        raise ValueError("No procedure with an agency: load the catalogue and agencies first.")
    if method == "copy" or (method == "auto" and connection.vendor == "postgresql"):
        from tinhso.dossiers.generator_copy import generate_copy

        return generate_copy(g, n, batch_size=batch_size, progress=progress)
    made = 0
    batch: list[Plan] = []
    with tqdm(total=n, unit=" hồ sơ", desc="Sinh hồ sơ / generating",
              disable=not progress) as bar:
        for plan in g.plans(n):
            batch.append(plan)
            if len(batch) >= batch_size:
                made += _flush(g, batch)
                bar.update(len(batch))
                batch = []
        if batch:
            made += _flush(g, batch)
            bar.update(len(batch))
    return made


def _flush(g: Generator, batch: list[Plan]) -> int:
    with transaction.atomic():
        writer = BulkWriter()
        out = RowValues(g, writer)
        codes = allocate_dossier_codes(
            [(p.agency.obj.pk, p.agency.obj.code, dt.date.fromordinal(p.w0 // DAY)) for p in batch])
        ids = writer.allocate(Dossier, len(batch))
        paying = [i for i, plan in enumerate(batch)
                  if plan.payment is not None and plan.payment[2] <= g.cutoff]
        payment_ids = dict(zip(paying, writer.allocate(Payment, len(paying)), strict=True))
        dossiers, events, steps, payments = [], [], [], []
        events_py: list[dict[str, Any]] = []
        for i, plan in enumerate(batch):
            dossier, evs, sts, payment = plan_rows(out, plan, codes[i], ids[i],
                                               payment_ids.get(i), events_py)
            dossiers.append(dossier)
            events.extend(evs)
            steps.extend(sts)
            if payment is not None:
                payments.append(payment)
        for row, py, event_id in zip(events, events_py,
                                     writer.allocate(DossierEvent, len(events)), strict=True):
            row["id"] = py["id"] = event_id
        for row, step_id in zip(steps, writer.allocate(DossierStep, len(steps)), strict=True):
            row["id"] = step_id  # the template's id column is filled: PostgreSQL needs a value
        writer.insert(Dossier, dossiers, adapted=True)
        writer.insert(Payment, payments, adapted=True)
        writer.insert(DossierEvent, events, adapted=True)
        writer.insert(DossierStep, steps, adapted=True)
        _derive(dossiers, events_py)
    return len(dossiers)


def _derive(dossiers: list[dict[str, Any]], events_py: list[dict[str, Any]]) -> None:
    """Derived data of the batch: on PostgreSQL the set-based bulk loaders (IOC facts, see
    tinhso.ioc.facts_bulk) where a subscriber has one; the bulk subscribers otherwise."""
    if connection.vendor != "postgresql":
        dossier_events_bulk_recorded(event_instances(events_py))
        return
    loaders, plain = bulk_loaders()
    if loaders:
        by_dossier: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for event in events_py:
            by_dossier[event["dossier_id"]].append(event)
        for dossier in dossiers:
            events = sorted(by_dossier[dossier["id"]], key=lambda e: (e["at"], e["id"]))
            moves = [(e["action"], e["at"], e["to_status"]) for e in events]
            last = max((e["id"] for e in events), default=0)
            for loader in loaders:
                loader.add(dossier, moves, last)
        for loader in loaders:
            loader.finish()
    if plain:
        instances = event_instances(events_py)
        for func in plain:
            func(instances)
