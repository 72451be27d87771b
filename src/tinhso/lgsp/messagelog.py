"""The verifiable message log: every exchange becomes a leaf of an RFC 9162 Merkle tree.

* ``log_append`` numbers leaves under a row lock on ``LogState`` (one writer, gap-free) and
  stores, with the leaf, the complete subtree nodes it closes (``LogNode``), so roots and proofs
  read O(log n) nodes (``core.merkle``) whatever the size of the log.
* ``sth_publish`` signs a tree head (RFC 9162 §4.10 ``TreeHeadDataV2``, TLS-encoded) with the
  platform's service key and time-stamps the signed head (RFC 3161) with the platform's TSA.
* ``inclusion``/``consistency`` build the proofs the public endpoints serve.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
import uuid
from collections.abc import Iterable
from typing import Any, cast

from asn1crypto import core
from django.db import transaction
from django.db.models import Q

from tinhso.core import merkle
from tinhso.core.treeheads import (  # noqa: F401  (shared; the lgsp tests read them here)
    platform_key,
    publish_head,
    sign,
    stamped_digest,
    timestamp,
    token_signature_ok,
    tree_head_bytes,
    verify_signature,
)
from tinhso.lgsp.models import LogBody, LogEntry, LogNode, LogState, SignedTreeHead

# The log's identifier (RFC 9162 §4.4: an OID; LogID carries its DER contents octets), under the
# UUID arc like the TSA policy.
LOG_ID_OID = "2.25." + str(uuid.UUID("0c9f4f0e-7d4b-4a51-8f0e-6c1d2b3a4e5f").int)
LOG_ID = core.ObjectIdentifier(LOG_ID_OID).contents
# RFC 9162 §4.4 VersionedTransType values.
SIGNED_TREE_HEAD_V2 = 0x0005
CONSISTENCY_PROOF_V2 = 0x0006
INCLUSION_PROOF_V2 = 0x0007

LEAF_FIELDS = ("index", "logged_at", "x_road_id", "request_id", "client", "service", "user_id",
               "issue", "method", "path", "status", "error_type", "duration_ms", "request_bytes",
               "response_bytes", "request_sha256", "response_sha256", "request_hash")


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def leaf_data(entry: LogEntry | dict[str, Any]) -> bytes:
    """The leaf's bytes: canonical JSON (sorted keys, no spaces, UTF-8) of the logged fields."""
    get = entry.get if isinstance(entry, dict) else (lambda name: getattr(entry, name))
    record: dict[str, Any] = {"v": 1}
    for name in LEAF_FIELDS:
        value = get(name)
        record[name] = _iso(cast(dt.datetime, value)) if name == "logged_at" else value
    return json.dumps(record, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


# --- Node storage ------------------------------------------------------------------------------


def fetch_nodes(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Stored hashes of the given ``(level, index)`` nodes: two queries at most."""
    keys = set(keys)
    found: dict[tuple[int, int], bytes] = {}
    leaves = [index for level, index in keys if level == 0]
    if leaves:
        for index, h in LogEntry.objects.filter(index__in=leaves).values_list("index",
                                                                              "leaf_hash"):
            found[(0, index)] = bytes(h)
    inner = [(level, index) for level, index in keys if level > 0]
    if inner:
        cond = Q()
        for level, index in inner:
            cond |= Q(level=level, index=index)
        for level, index, h in LogNode.objects.filter(cond).values_list("level", "index",
                                                                        "hash"):
            found[(level, index)] = bytes(h)
    return found


class MissingNode(RuntimeError):
    pass


def _source(keys: set[tuple[int, int]]) -> merkle.NodeSource:
    nodes = fetch_nodes(keys)

    def get(level: int, index: int) -> bytes:
        try:
            return nodes[(level, index)]
        except KeyError:
            raise MissingNode(f"node ({level}, {index}) is missing from the log") from None

    return get


def _plan(fn: Any) -> merkle.NodeSource:
    return _source(merkle.needed_nodes(fn))


def tree_size() -> int:
    state = LogState.objects.filter(pk=1).first()
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


def _state_for_update() -> LogState:
    state = LogState.objects.select_for_update().filter(pk=1).first()
    if state is None:  # the very first append (or a flushed test database)
        LogState.objects.get_or_create(pk=1)
        state = LogState.objects.select_for_update().get(pk=1)
    return state


@transaction.atomic
def log_append(*, record: dict[str, Any], request_body: bytes | None = None,
               response_body: bytes | None = None) -> LogEntry:
    """Append one exchange as the next leaf (serialised on the LogState row)."""
    state = _state_for_update()
    index = state.tree_size
    record = {**record, "index": index}
    leaf = merkle.leaf_hash(leaf_data(record))
    # The left siblings the new leaf closes: the edge nodes at the levels of index's low 1 bits.
    siblings = []
    level = 0
    while index >> level & 1:
        siblings.append((level, (index >> level) - 1))
        level += 1
    known = fetch_nodes(siblings)
    current, closed = leaf, []
    for lvl, sibling_index in siblings:
        current = merkle.node_hash(known[(lvl, sibling_index)], current)
        # The parent of node (lvl, j) is (lvl + 1, j >> 1); here j >> 1 == index >> (lvl + 1).
        closed.append(LogNode(level=lvl + 1, index=index >> (lvl + 1), hash=current))
    fields = {name: record[name] for name in LEAF_FIELDS}
    entry = LogEntry.objects.create(**fields, leaf_hash=leaf)
    if closed:
        LogNode.objects.bulk_create(closed)
    if request_body is not None or response_body is not None:
        from cryptography.fernet import Fernet

        from tinhso.lgsp import conf

        fernet = Fernet(conf.body_key())
        LogBody.objects.create(entry=entry, request_enc=fernet.encrypt(request_body or b""),
                               response_enc=fernet.encrypt(response_body or b""))
    state.tree_size = index + 1
    state.save(update_fields=["tree_size"])
    return entry


def read_body(entry: LogEntry) -> tuple[bytes, bytes] | None:
    from cryptography.fernet import Fernet

    from tinhso.lgsp import conf

    body = LogBody.objects.filter(entry=entry).first()
    if body is None:
        return None
    fernet = Fernet(conf.body_key())
    return fernet.decrypt(bytes(body.request_enc)), fernet.decrypt(bytes(body.response_enc))


# --- Signed tree heads -------------------------------------------------------------------------


def signed_tree_head_bytes(sth: SignedTreeHead) -> bytes:
    """TLS encoding of ``SignedTreeHeadDataV2``: the bytes the RFC 3161 token stamps."""
    signature = bytes(sth.signature)
    return (bytes([len(LOG_ID)]) + LOG_ID
            + tree_head_bytes(sth.timestamp_ms, sth.tree_size, bytes(sth.root_hash))
            + struct.pack(">H", len(signature)) + signature)


def sth_publish(*, force: bool = False) -> SignedTreeHead | None:
    """Sign and time-stamp the current tree head; None when nothing changed (unless forced).

    All under the LogState lock: the head describes one consistent tree, and two processes
    publishing at the same moment (``serve`` and ``sign-head``) do not both sign the same size.
    """
    return publish_head(lock_state=_state_for_update, head_model=SignedTreeHead,
                        root_at=root_at, signed_bytes=signed_tree_head_bytes, force=force)


def sth_publish_if_ready() -> SignedTreeHead | None:
    """For the periodic job: nothing to do (and no error) while the PKI is not initialised."""
    from tinhso.signatures.services import pki_is_initialised

    if not pki_is_initialised():
        return None
    return sth_publish()
