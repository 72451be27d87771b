"""The traceability ledger: every captured event is a leaf of an RFC 9162 Merkle tree.

The tree itself is ``tinhso.core.merkle`` (shared with the LGSP message log); like the message
log, the ledger stores the leaf hash on the event row and every complete subtree node it closes
(``LedgerNode``), so roots and proofs read O(log n) rows. Tree heads are signed (RFC 9162
``TreeHeadDataV2``) with the platform's service key and time-stamped (RFC 3161) by its TSA — the
same signing helpers as the message log (``tinhso.lgsp.messagelog``), a different log id.

Leaf data (canonical JSON, sorted keys, UTF-8): ``{"v":1,"index":…,"eventID":…,"eventHash":…,
"recordTime":…,"sha256":<SHA-256 of the stored event's canonical JSON>}``: editing the stored
event, its hash or its place changes the leaf.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import struct
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from asn1crypto import core
from django.db.models import Q

from tinhso.core import merkle
from tinhso.trace.models import Event, LedgerHead, LedgerNode, LedgerState

LOG_ID_OID = "2.25." + str(uuid.UUID("6a0f3b8e-2c1d-4e7a-9b5f-3d2e1c0b9a87").int)
LOG_ID = core.ObjectIdentifier(LOG_ID_OID).contents


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def leaf_data(*, index: int, event_id: str, event_hash: str, record_time: dt.datetime,
              document: Mapping[str, Any]) -> bytes:
    return canonical_json({"v": 1, "index": index, "eventID": event_id,
                           "eventHash": event_hash, "recordTime": iso(record_time),
                           "sha256": hashlib.sha256(canonical_json(document)).hexdigest()})


def leaf_data_of(event: Event) -> bytes:
    return leaf_data(index=event.leaf_index, event_id=event.event_id,
                     event_hash=event.event_hash, record_time=event.record_time,
                     document=event.document)


# --- Node storage ------------------------------------------------------------------------------


class MissingNode(RuntimeError):
    pass


def fetch_nodes(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    keys = set(keys)
    found: dict[tuple[int, int], bytes] = {}
    leaves = [index for level, index in keys if level == 0]
    if leaves:
        for index, h in Event.objects.filter(leaf_index__in=leaves).values_list("leaf_index",
                                                                              "leaf_hash"):
            found[(0, index)] = bytes(h)
    inner = [(level, index) for level, index in keys if level > 0]
    if inner:
        cond = Q()
        for level, index in inner:
            cond |= Q(level=level, index=index)
        for level, index, h in LedgerNode.objects.filter(cond).values_list("level", "index",
                                                                           "hash"):
            found[(level, index)] = bytes(h)
    return found


def _plan(fn: Any) -> merkle.NodeSource:
    nodes = fetch_nodes(merkle.needed_nodes(fn))

    def get(level: int, index: int) -> bytes:
        try:
            return nodes[(level, index)]
        except KeyError:
            raise MissingNode(f"node ({level}, {index}) is missing from the ledger") from None

    return get


def tree_size() -> int:
    state = LedgerState.objects.filter(pk=1).first()
    return state.tree_size if state else 0


def root_at(size: int) -> bytes:
    return merkle.root(size, _plan(lambda get: merkle.root(size, get)))


def inclusion_path(index: int, size: int) -> list[bytes]:
    return merkle.inclusion_proof(
        index, size, _plan(lambda get: merkle.inclusion_proof(index, size, get)))


def consistency_path(first: int, second: int) -> list[bytes]:
    return merkle.consistency_proof(
        first, second, _plan(lambda get: merkle.consistency_proof(first, second, get)))


# --- Appending ---------------------------------------------------------------------------------


def lock_state() -> LedgerState:
    """The ledger's state row, locked until the transaction ends (one writer at a time)."""
    state = LedgerState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        LedgerState.objects.get_or_create(pk=1)
        state = LedgerState.objects.select_for_update().get(pk=1)
    return state


class Appender:
    """Appends leaves inside one transaction holding the state lock; flush() writes nodes.

    Keeps the right edge in memory (``merkle.Appender``), so a batch of events costs one read of
    the edge and one bulk insert of the closed nodes.
    """

    def __init__(self, state: LedgerState) -> None:
        self.state = state
        size = state.tree_size
        edge = merkle.Appender.edge_nodes(size)
        known = fetch_nodes(edge)
        self.tree = merkle.Appender(size, [(level, known[(level, index)])
                                           for level, index in edge])
        self.nodes: list[LedgerNode] = []

    @property
    def size(self) -> int:
        return self.tree.size

    def append(self, leaf: bytes) -> None:
        for level, index, value in self.tree.append(leaf):
            self.nodes.append(LedgerNode(level=level, index=index, hash=value))

    def flush(self) -> None:
        if self.nodes:
            LedgerNode.objects.bulk_create(self.nodes)
            self.nodes = []
        self.state.tree_size = self.tree.size
        self.state.save(update_fields=["tree_size"])


# --- Signed tree heads -------------------------------------------------------------------------


def signed_tree_head_bytes(head: LedgerHead) -> bytes:
    """TLS encoding of ``SignedTreeHeadDataV2`` with the ledger's log id."""
    from tinhso.core.treeheads import tree_head_bytes

    signature = bytes(head.signature)
    return (bytes([len(LOG_ID)]) + LOG_ID
            + tree_head_bytes(head.timestamp_ms, head.tree_size, bytes(head.root_hash))
            + struct.pack(">H", len(signature)) + signature)


def head_publish(*, force: bool = False) -> LedgerHead | None:
    """Sign and time-stamp the current tree head; None when nothing changed (unless forced)."""
    from tinhso.core.treeheads import publish_head

    return publish_head(lock_state=lock_state, head_model=LedgerHead, root_at=root_at,
                        signed_bytes=signed_tree_head_bytes, force=force)


def head_publish_if_ready() -> LedgerHead | None:
    """For the periodic job: nothing to do while the PKI is not initialised."""
    from tinhso.signatures.services import pki_is_initialised

    if not pki_is_initialised():
        return None
    return head_publish()
