"""Offline check of the whole stored log against its signed tree heads (``tinhso lgsp verify-log``).

Streams the leaves in index order (O(log n) memory) and reports every problem found:

* a gap or a duplicate in the leaf numbering (a deleted or inserted row), or fewer/more leaves
  than the log's recorded size;
* a row whose content no longer hashes to its stored leaf hash (an edited row);
* a stored subtree node that differs from the one recomputed (a tampered proof source);
* a signed head whose root differs from the root recomputed at its size (any edit, swap or
  deletion before it), whose signature does not verify with its certificate, whose certificate
  was not issued by the province's CA (or the ``trust_root`` given), or whose RFC 3161 token does
  not stamp it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from tinhso.core import merkle
from tinhso.core.treeheads import Report, issuer_ok, trust_pems
from tinhso.lgsp import messagelog
from tinhso.lgsp.models import LogEntry, LogNode, LogState, SignedTreeHead


def _level(level: int) -> Iterator[tuple[int, bytes]]:
    """(index, hash) of one level in index order; level 0 are the leaf hashes."""
    if level == 0:
        rows = LogEntry.objects.order_by("index").values_list("index", "leaf_hash")
    else:
        rows = LogNode.objects.filter(level=level).order_by("index").values_list("index", "hash")
    for index, h in rows.iterator(chunk_size=5000):
        yield index, bytes(h)


def _check_nodes(size: int, report: Report) -> None:
    """Each stored node must be the hash of its two stored children, level by level.

    Two streaming cursors at a time; level 0 (the leaf hashes) is checked against the rows and
    the signed roots, so by induction every stored node is what the leaves make.
    """
    level = 1
    while size >> level:
        want = size >> level
        children = _level(level - 1)
        seen = 0
        for index, value in _level(level):
            if index >= want:
                report.add(f"stored node ({level}, {index}) lies beyond the log")
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


def verify_log(*, trust_root: str | None = None) -> Report:
    report = Report()
    heads = list(SignedTreeHead.objects.order_by("tree_size", "timestamp_ms"))
    report.heads = len(heads)
    trust = trust_pems(trust_root)
    for sth in heads:
        data = messagelog.tree_head_bytes(sth.timestamp_ms, sth.tree_size, bytes(sth.root_hash))
        if not messagelog.verify_signature(sth.certificate_pem, data, bytes(sth.signature)):
            report.add(f"signed head at size {sth.tree_size}: signature does not verify")
        if not issuer_ok(sth.certificate_pem, trust):
            report.add(f"signed head at size {sth.tree_size}: certificate not from the CA")
        stamped = messagelog.stamped_digest(bytes(sth.timestamp_token))
        if stamped != hashlib.sha256(messagelog.signed_tree_head_bytes(sth)).digest():
            report.add(f"signed head at size {sth.tree_size}: time stamp does not match it")
        elif not messagelog.token_signature_ok(bytes(sth.timestamp_token), trust):
            report.add(f"signed head at size {sth.tree_size}: time stamp signature invalid")
    pending: dict[int, list[SignedTreeHead]] = {}
    for sth in heads:
        pending.setdefault(sth.tree_size, []).append(sth)
    if 0 in pending:
        for sth in pending.pop(0):
            if bytes(sth.root_hash) != merkle.EMPTY_ROOT:
                report.add("signed head at size 0: root is not the empty root")
    appender = merkle.Appender()
    expected_index = 0
    for entry in LogEntry.objects.order_by("index").iterator(chunk_size=2000):
        if entry.index != expected_index:
            report.add(f"leaf numbering: expected {expected_index}, found {entry.index} "
                       "(rows deleted or inserted)")
            expected_index = entry.index
        leaf = merkle.leaf_hash(messagelog.leaf_data(entry))
        if leaf != bytes(entry.leaf_hash):
            report.add(f"leaf {entry.index}: content does not match its leaf hash (edited)")
        appender.append(bytes(entry.leaf_hash))
        expected_index += 1
        report.leaves += 1
        for sth in pending.pop(appender.size, []):
            if appender.root() != bytes(sth.root_hash):
                report.add(f"signed head at size {sth.tree_size}: root does not match the "
                           "stored leaves (edited, reordered or deleted rows)")
    for size in sorted(pending):
        report.add(f"signed head at size {size}: the log has only {appender.size} leaves "
                   "(rows deleted)")
    _check_nodes(appender.size, report)
    state = LogState.objects.filter(pk=1).first()
    recorded = state.tree_size if state else 0
    if recorded != appender.size:
        report.add(f"the log records {recorded} leaves but {appender.size} are stored")
    return report
