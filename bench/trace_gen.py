"""A fast loader of traceability events for the query and proof benchmark (PostgreSQL, COPY).

It stores, for the generated crop flows of ``bench/trace.py``, the rows the capture path would
store — the event row with its canonical query columns and document (``eventID``,
``recordTime``), its EPC look-up rows, its ledger leaf (the real leaf data and RFC 9162 leaf
hash) and every subtree node the leaf closes, then the ledger's size — so queries use the real
indexes and proofs verify. What it skips, to run at 10⁷: validation, the ownership check and
the CBV 2.0 canonicalisation (``event_hash`` is ``ni:///sha-256;<SHA-256 of the event's
JSON>?ver=CBV2.0``, not the CBV algorithm; queries never read it) and the outbox event.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any


def load(events: list[dict[str, Any]], party: Any, *, record_time: dt.datetime) -> float:
    """Append ``events`` to the ledger in one transaction with COPY; returns the seconds."""
    import hashlib

    from django.db import connection, transaction

    from tinhso.core import merkle
    from tinhso.trace import ledger, vocab
    from tinhso.trace.services import _epc_rows, _place
    from tinhso.trace.validation import parse_time

    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        appender = ledger.Appender(ledger.lock_state())
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM trace_event")
        next_id = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM trace_eventepc")
        next_epc = cursor.fetchone()[0] + 1
        stamp = record_time.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z")
        rows, epc_rows, nodes = [], [], []
        for event in events:
            document = {k: v for k, v in event.items() if k != "@context"}
            digest = hashlib.sha256(ledger.canonical_json(event)).hexdigest()
            event_hash = f"ni:///sha-256;{digest}?ver=CBV2.0"
            document["eventID"] = event_hash
            document["recordTime"] = stamp
            index = appender.size
            leaf = merkle.leaf_hash(ledger.leaf_data(
                index=index, event_id=event_hash, event_hash=event_hash,
                record_time=record_time, document=document))
            before = len(appender.nodes)
            appender.append(leaf)
            nodes += [(n.level, n.index, n.hash) for n in appender.nodes[before:]]
            rows.append((next_id, event_hash, event_hash, event["type"],
                         event.get("action", ""), parse_time(event["eventTime"]), record_time,
                         vocab.biz_step_uri(event.get("bizStep", "")),
                         vocab.disposition_uri(event.get("disposition", "")),
                         _place(event, "readPoint"), _place(event, "bizLocation"),
                         ledger.canonical_json(document).decode(), party.pk, index, leaf))
            for epc, role in _epc_rows(event):
                epc_rows.append((next_epc, next_id, epc, int(role)))
                next_epc += 1
            next_id += 1
        appender.nodes = []  # written by COPY below, not by bulk_create
        _copy(cursor, "trace_event (id, event_id, event_hash, event_type, action, event_time, "
                      "record_time, biz_step, disposition, read_point, biz_location, document, "
                      "party_id, leaf_index, leaf_hash)", rows)
        _copy(cursor, "trace_eventepc (id, event_id, epc, role)", epc_rows)
        _copy(cursor, "trace_ledgernode (level, index, hash)", nodes)
        appender.flush()  # the ledger's size
        for table in ("trace_event", "trace_eventepc"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT MAX(id) FROM {table}))")
    return time.perf_counter() - t0


def _copy(cursor: Any, target: str, rows: list[tuple[Any, ...]]) -> None:
    with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load_all(total: int, chunk: int, generate: Callable[..., list[dict[str, Any]]],
             w: dict[str, Any], party: Any) -> float:
    """Generate and load ``total`` events, ``chunk`` at a time; returns the seconds spent."""
    from django.utils import timezone

    done, seconds = 0, 0.0
    while done < total:
        t0 = time.perf_counter()
        events = generate(min(chunk, total - done), w, first_lot=done // 6 + 1)
        load(events, party, record_time=timezone.now())
        seconds += time.perf_counter() - t0
        done += len(events)
        print(f"  {done:,} loaded, {done / seconds:,.0f} events/s", flush=True)
    return seconds
