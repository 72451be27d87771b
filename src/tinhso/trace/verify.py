"""Offline check of the whole ledger against its signed tree heads (``tinhso trace verify-log``).

Streams the events in leaf order (O(log n) memory) and reports every problem:

* a gap or a duplicate in the leaf numbering (a deleted or inserted row), or a size different
  from the ledger's recorded size;
* an event whose stored content (document, eventID, event hash, record time, leaf number) no
  longer hashes to its stored leaf hash (an edited or moved row);
* a stored subtree node that differs from the hash of its children (a tampered proof source);
* a signed head whose root differs from the root recomputed at its size (any edit, swap or
  deletion before it, even one that also rewrote the leaf hashes), whose signature does not
  verify, whose certificate was not issued by the province's CA, or whose RFC 3161 token does
  not stamp it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from tinhso.core import merkle
from tinhso.core.treeheads import Report
from tinhso.trace import ledger
from tinhso.trace.models import Event, LedgerHead, LedgerNode, LedgerState


def _level(level: int) -> Iterator[tuple[int, bytes]]:
    rows: Any
    if level == 0:
        rows = Event.objects.order_by("leaf_index").values_list("leaf_index", "leaf_hash")
    else:
        rows = (LedgerNode.objects.filter(level=level).order_by("index")
                .values_list("index", "hash"))
    for index, h in rows.iterator(chunk_size=5000):
        yield index, bytes(h)


def _check_nodes(size: int, report: Report) -> None:
    """Each stored node must be the hash of its two stored children (streaming, level by
    level); the leaves themselves are checked against the rows and the signed roots."""
    level = 1
    while size >> level:
        want = size >> level
        children = _level(level - 1)
        seen = 0
        for index, value in _level(level):
            if index >= want:
                report.add(f"stored node ({level}, {index}) lies beyond the ledger")
                continue
            left, right = next(children, None), next(children, None)
            while left is not None and left[0] < 2 * index:
                left, right = right, next(children, None)
            if (left is None or right is None or left[0] != 2 * index
                    or right[0] != 2 * index + 1):
                report.add(f"stored node ({level}, {index}): its children are missing")
                break
            if merkle.node_hash(left[1], right[1]) != value:
                report.add(f"stored node ({level}, {index}) does not match the leaves")
            seen += 1
        if seen != want:
            report.add(f"level {level}: {seen} stored nodes, {want} expected")
        level += 1


def _check_heads(heads: list[LedgerHead], trust_root: str | None, report: Report) -> None:
    from tinhso.core.treeheads import (
        issuer_ok,
        stamped_digest,
        token_signature_ok,
        tree_head_bytes,
        trust_pems,
        verify_signature,
    )

    trust = trust_pems(trust_root)
    for head in heads:
        data = tree_head_bytes(head.timestamp_ms, head.tree_size, bytes(head.root_hash))
        if not verify_signature(head.certificate_pem, data, bytes(head.signature)):
            report.add(f"signed head at size {head.tree_size}: signature does not verify")
        if not issuer_ok(head.certificate_pem, trust):
            report.add(f"signed head at size {head.tree_size}: certificate not from the CA")
        stamped = stamped_digest(bytes(head.timestamp_token))
        if stamped != hashlib.sha256(ledger.signed_tree_head_bytes(head)).digest():
            report.add(f"signed head at size {head.tree_size}: time stamp does not match it")
        elif not token_signature_ok(bytes(head.timestamp_token), trust):
            report.add(f"signed head at size {head.tree_size}: time stamp signature invalid")


def verify_log(*, trust_root: str | None = None) -> Report:
    report = Report()
    heads = list(LedgerHead.objects.order_by("tree_size", "timestamp_ms"))
    report.heads = len(heads)
    _check_heads(heads, trust_root, report)
    pending: dict[int, list[LedgerHead]] = {}
    for head in heads:
        pending.setdefault(head.tree_size, []).append(head)
    for head in pending.pop(0, []):
        if bytes(head.root_hash) != merkle.EMPTY_ROOT:
            report.add("signed head at size 0: root is not the empty root")
    appender = merkle.Appender()
    expected = 0
    for event in Event.objects.order_by("leaf_index").iterator(chunk_size=2000):
        if event.leaf_index != expected:
            report.add(f"leaf numbering: expected {expected}, found {event.leaf_index} "
                       "(events deleted or inserted)")
            expected = event.leaf_index
        if merkle.leaf_hash(ledger.leaf_data_of(event)) != bytes(event.leaf_hash):
            report.add(f"leaf {event.leaf_index} ({event.event_id}): content does not match "
                       "its leaf hash (edited or moved)")
        appender.append(bytes(event.leaf_hash))
        expected += 1
        report.leaves += 1
        for head in pending.pop(appender.size, []):
            if appender.root() != bytes(head.root_hash):
                report.add(f"signed head at size {head.tree_size}: root does not match the "
                           "stored events (edited, reordered or deleted)")
    for size in sorted(pending):
        report.add(f"signed head at size {size}: the ledger has only {appender.size} events "
                   "(events deleted)")
    _check_nodes(appender.size, report)
    state = LedgerState.objects.filter(pk=1).first()
    recorded = state.tree_size if state else 0
    if recorded != appender.size:
        report.add(f"the ledger records {recorded} events but {appender.size} are stored")
    return report
