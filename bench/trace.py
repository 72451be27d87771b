"""Traceability capture, query and proof figures, each beside its baseline in the same run.

    .venv/bin/python bench/trace.py [--events 20000] [--batch 1000] [--queries 300]
                                     [--proofs 300] [--keep]

Uses a fresh temporary SQLite database unless DATABASE_URL is set (use a scratch PostgreSQL
database for figures). It creates one trace party per crop, generates ``--events`` events of the
crop flows (harvest → bagging → shipping → receiving → processing → retail, 6 events a lot,
unique lots) and prints:

* **capture**: events/s through the capture path of ``POST /epcis/capture`` (validation, CBV 2.0
  event hash, ownership check, the event rows and their EPC index rows, the Merkle append with
  its subtree nodes, one outbox event a batch), in batches of ``--batch``;
* **baseline**: a bare insert of the same events (the same rows, EPC rows and indexes; no
  validation, hash or Merkle), in the same run — then removed again;
* **query p50/p95** of ``GET /epcis/events`` selectors (MATCH_epcClass of a lot, MATCH_anyEPC of
  a bag, EQ_bizStep + a week, eventType + a month's first page), beside the p95 of a primary-key
  fetch of one event (the database's floor);
* **proof p50/p95**: an event's inclusion proof against the latest signed head and a
  consistency proof between two random sizes, beside the in-memory proof of the same tree.

Scale: ``--fast-load`` (PostgreSQL) loads the events with COPY (``bench/trace_gen.py``: the
rows capture stores, without validation and the CBV hash) instead of capturing them, for the
query and proof figures at 10⁶–10⁷ events (see docs/benchmarks.md for the command and time).
Queries are asked as the party's account (decision 0020: its events are private).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    tmp = tempfile.mkdtemp(prefix="tinhso-bench-trace-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ["TINHSO_VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] * 1000


def world() -> tuple[Any, dict[str, Any]]:
    from tinhso.accounts.models import AccountKind, User
    from tinhso.trace.demo import _gln, _gtin
    from tinhso.trace.services import Ownership, party_register

    user = User.objects.create_user(username=f"bench{time.time_ns()}", password=None,
                                    full_name="Bench", kind=AccountKind.ORGANISATION)
    prefix = str(random.randint(8_930_700, 8_930_999))
    party = party_register(acting_user=None, user=user, name="Bench", kind="processor",
                           glns=[(_gln(prefix, "0001"), "Kho", "warehouse"),
                                 (_gln(prefix, "0002"), "Xưởng", "processor")],
                           prefixes=[prefix])
    return party, {"owner": Ownership.of(party), "prefix": prefix,
                   "g1": _gln(prefix, "0001"), "g2": _gln(prefix, "0002"),
                   "raw": _gtin(prefix, "00001"), "made": _gtin(prefix, "00002")}


def reuse_world() -> tuple[Any, dict[str, Any], int]:
    """The last run's party and its loaded events (to measure again, or after a stopped load):
    the party, its identifiers, and how many whole lots it has."""
    from tinhso.trace.demo import _gln, _gtin
    from tinhso.trace.models import Event, TraceParty
    from tinhso.trace.services import Ownership

    party = TraceParty.objects.filter(name="Bench").order_by("-pk").first()
    assert party is not None, "no earlier bench run in this database"
    prefix = party.prefixes.values_list("prefix", flat=True).get()
    count = Event.objects.filter(party=party).count()
    return party, {"owner": Ownership.of(party), "prefix": prefix,
                   "g1": _gln(prefix, "0001"), "g2": _gln(prefix, "0002"),
                   "raw": _gtin(prefix, "00001"), "made": _gtin(prefix, "00002")}, count


def generate(n: int, w: dict[str, Any], first_lot: int = 1) -> list[dict[str, Any]]:
    from tinhso.trace import flows
    from tinhso.trace.demo import _sscc

    tz = dt.timezone(dt.timedelta(hours=7))
    start = dt.datetime(2025, 1, 1, 7, tzinfo=tz)
    events: list[dict[str, Any]] = []
    lot_no = first_lot - 1
    while len(events) < n:
        lot_no += 1
        t = start + dt.timedelta(minutes=17 * lot_no)
        lot, bag = f"B{lot_no:08d}", _sscc(w["prefix"], lot_no)
        events += [
            flows.harvest(gln=w["g1"], gtin=w["raw"], lot=lot, kg=1000, when=t),
            flows.bagging(gln=w["g1"], sscc=bag, gtin=w["raw"], lot=lot, kg=1000,
                          when=t + dt.timedelta(days=2)),
            flows.shipping(gln=w["g1"], sscc=bag, to_gln=w["g2"], when=t + dt.timedelta(days=3)),
            flows.receiving(gln=w["g2"], sscc=bag, from_gln=w["g1"],
                            when=t + dt.timedelta(days=3, hours=4)),
            flows.processing(gln=w["g2"], inputs=[(w["raw"], lot, 1000)],
                             outputs=[(w["made"], lot, 220)], when=t + dt.timedelta(days=6)),
            flows.retail(gln=w["g2"], gtin=w["made"], lot=lot, kg=20,
                         when=t + dt.timedelta(days=9)),
        ]
    return events[:n]


def capture(events: list[dict[str, Any]], party: Any, w: dict[str, Any], batch: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    from tinhso.trace import services
    from tinhso.trace.flows import EPCIS_CONTEXT

    t0 = time.perf_counter()
    for i in range(0, len(events), batch):
        now = timezone.now()
        prepared = [services.event_prepare(e, context=[EPCIS_CONTEXT], owner=w["owner"],
                                           record_time=now) for e in events[i:i + batch]]
        with transaction.atomic():
            services._store(prepared, party=party, record_time=now, actor_id=None,
                            capture_id=None)
    return time.perf_counter() - t0


def bare(events: list[dict[str, Any]], party: Any, batch: int) -> float:
    """The same rows without validation, hash or Merkle: the storage floor."""
    from django.db import connection, transaction
    from django.utils import timezone

    from tinhso.trace.models import Event, EventEpc
    from tinhso.trace.services import _epc_rows
    from tinhso.trace.validation import parse_time

    base = 10**15
    t0 = time.perf_counter()
    for i in range(0, len(events), batch):
        now = timezone.now()
        rows, epcs = [], []
        for j, e in enumerate(events[i:i + batch]):
            rows.append(Event(event_id=f"urn:uuid:bare-{i + j}", event_hash="", record_time=now,
                              document=e, party=party, leaf_index=base + i + j,
                              leaf_hash=b"\0" * 32, event_type=e["type"],
                              action=e.get("action", ""), event_time=parse_time(e["eventTime"]),
                              biz_step=e.get("bizStep", ""),
                              disposition=e.get("disposition", ""),
                              read_point=e["readPoint"]["id"],
                              biz_location=e["bizLocation"]["id"]))
            epcs.append(_epc_rows(e))
        with transaction.atomic():
            Event.objects.bulk_create(rows, batch_size=1000)
            EventEpc.objects.bulk_create([EventEpc(event_id=r.pk, epc=u, role=role)
                                          for r, rows_ in zip(rows, epcs, strict=True)
                                          for u, role in rows_], batch_size=2000)
    elapsed = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM trace_eventepc WHERE event_id IN (SELECT id FROM "
                       "trace_event WHERE leaf_index >= %s)", [base])
        cursor.execute("DELETE FROM trace_event WHERE leaf_index >= %s", [base])
    return elapsed


QUERY_KINDS = ("by EPC class (lot)", "by any EPC (bag)", "bizStep + week",
               "bizLocation + week", "eventType + month, 2nd page")


def queries(n: int, w: dict[str, Any], lots: int,
            viewer: Any) -> tuple[dict[str, list[float]], list[float]]:
    from django.http import QueryDict

    from tinhso.trace.demo import _sscc
    from tinhso.trace.identifiers import lot_uri, sscc_uri
    from tinhso.trace.models import Event
    from tinhso.trace.selectors import events_query

    times: dict[str, list[float]] = {k: [] for k in QUERY_KINDS}
    floor = []
    max_pk = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for i in range(n):
        lot_no = random.randint(1, lots)
        day = start + dt.timedelta(minutes=17 * lot_no)
        q = QueryDict(mutable=True)
        kind = i % len(QUERY_KINDS)
        if kind == 0:
            q["MATCH_epcClass"] = lot_uri(w["raw"], f"B{lot_no:08d}")
        elif kind == 1:
            q["MATCH_anyEPC"] = sscc_uri(_sscc(w["prefix"], lot_no))
        elif kind == 2:
            q["EQ_bizStep"] = "shipping"
            q["GE_eventTime"] = day.isoformat()
            q["LT_eventTime"] = (day + dt.timedelta(days=7)).isoformat()
        elif kind == 3:
            q["EQ_bizLocation"] = w["g2"]
            q["GE_eventTime"] = day.isoformat()
            q["LT_eventTime"] = (day + dt.timedelta(days=7)).isoformat()
        else:
            q["eventType"] = "ObjectEvent"
            q["GE_eventTime"] = day.isoformat()
            q["LT_eventTime"] = (day + dt.timedelta(days=30)).isoformat()
            first = events_query(q, viewer)  # untimed: the page the client already has
            if first.next_token:
                q["nextPageToken"] = first.next_token
        t0 = time.perf_counter()
        page = events_query(q, viewer)
        [e.document for e in page.events]
        times[QUERY_KINDS[kind]].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        Event.objects.filter(pk=random.randint(1, max_pk)).first()
        floor.append(time.perf_counter() - t0)
    return times, floor


def proofs(n: int) -> tuple[list[float], list[float], list[float]]:
    from tinhso.core import merkle
    from tinhso.trace import ledger, selectors
    from tinhso.trace.models import Event

    head = ledger.head_publish() or selectors.latest_head()  # none new when reused
    assert head is not None
    size = head.tree_size
    # The in-memory baseline holds the whole tree: only up to 2 M leaves (about 1 GB).
    # (capped at 2**18 leaves: the helpers share the machine's memory)
    leaves = [bytes(h) for h in Event.objects.filter(leaf_index__lt=2**18)
              .order_by("leaf_index").values_list("leaf_hash", flat=True).iterator()]
    memory = merkle.MemoryTree()
    for h in leaves:  # the stored leaf hashes as an in-memory tree
        memory.nodes[(0, memory.appender.size)] = h
        for level, index, value in memory.appender.append(h):
            memory.nodes[(level, index)] = value
    inclusion, consistency, in_memory = [], [], []
    for _ in range(n):
        index = random.randrange(size)
        event = Event.objects.get(leaf_index=index)
        t0 = time.perf_counter()
        proof = selectors.inclusion(event, size)
        inclusion.append(time.perf_counter() - t0)
        assert proof and proof["verified"]
        first = random.randint(1, size)
        t0 = time.perf_counter()
        ledger.consistency_path(first, size)
        consistency.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        merkle.inclusion_proof(index % memory.size, memory.size, memory.get)
        in_memory.append(time.perf_counter() - t0)
    return inclusion, consistency, in_memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--proofs", type=int, default=300)
    parser.add_argument("--chunk", type=int, default=120_000,
                        help="events generated and captured at a time (memory bound)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure queries and proofs on the events an earlier run left "
                             "in this database (no load, no capture)")
    parser.add_argument("--fast-load", action="store_true",
                        help="PostgreSQL: load the events with COPY (bench/trace_gen.py) "
                             "instead of capturing them; no capture figures")
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from tinhso.signatures.services import pki_init, pki_is_initialised

    if not pki_is_initialised():
        pki_init(acting_user=None)
    random.seed(7)
    if args.reuse:
        party, w, args.events = reuse_world()
    else:
        party, w = world()
    chunk = max(6, args.chunk - args.chunk % 6)
    print(f"database: {connection.vendor}; {args.events:,} events "
          f"({args.events // 6:,} lots), batches of {args.batch}, chunks of {chunk:,}")
    done, capture_s, bare_s, bare_n = 0, 0.0, 0.0, 0
    if args.reuse:
        done = args.events
    elif args.fast_load:
        sys.path.insert(0, str(ROOT / "bench"))
        from trace_gen import load_all

        assert connection.vendor == "postgresql", "--fast-load needs DATABASE_URL=postgres://…"
        seconds = load_all(args.events, chunk, generate, w, party)
        done = args.events
        print(f"fast load (COPY): {done / seconds:,.0f} events/s")
    while done < args.events:
        events = generate(min(chunk, args.events - done), w, first_lot=done // 6 + 1)
        if done == 0:  # the baseline on the first chunk (then removed again)
            bare_s, bare_n = bare(events, party, args.batch), len(events)
        capture_s += capture(events, party, w, args.batch)
        done += len(events)
        if done < args.events:
            print(f"  {done:,} captured, {done / capture_s:,.0f} events/s", flush=True)
    if capture_s:
        print(f"capture (validate + hash + Merkle + index): {done / capture_s:,.0f} events/s"
              f"   baseline bare insert: {bare_n / bare_s:,.0f} events/s"
              f"   ratio {(bare_n / bare_s) / (done / capture_s):.2f}x")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE trace_event; ANALYZE trace_eventepc")
    by_kind, floor = queries(args.queries, w, done // 6, party.user)
    q = [t for values in by_kind.values() for t in values]
    for kind, values in by_kind.items():
        print(f"  {kind}: p50 {pct(values, .5):.1f} ms, p95 {pct(values, .95):.1f} ms")
    print(f"query p50 {pct(q, .5):.1f} ms, p95 {pct(q, .95):.1f} ms"
          f"   baseline pk fetch p95 {pct(floor, .95):.2f} ms"
          f"   ratio {pct(q, .95) / pct(floor, .95):.0f}x")
    inc, cons, mem = proofs(args.proofs)
    print(f"inclusion proof p50 {pct(inc, .5):.1f} ms, p95 {pct(inc, .95):.1f} ms;"
          f" consistency p95 {pct(cons, .95):.1f} ms"
          f"   baseline in-memory proof p95 {pct(mem, .95):.3f} ms")


if __name__ == "__main__":
    main()
