"""RFC 9162 (Certificate Transparency 2.0) Merkle trees, §2.1: hashes, roots, proofs.

Pure functions, shared by the LGSP message log and (later) the traceability ledger.

* ``leaf_hash(d) = SHA-256(0x00 || d)`` and ``node_hash(l, r) = SHA-256(0x01 || l || r)``: the
  one-byte prefixes separate the two domains, so a leaf can never pass for an inner node.
* A log stores the hash of every *complete aligned subtree* it has: node ``(level, index)``
  covers leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 are the leaf hashes.
  Every subtree the RFC's recursion ever needs is either such a node or a right edge made of a
  few of them, so a root or a proof costs O(log n) node reads whatever the size of the log,
  through a ``get(level, index)`` callable (``NodeSource``). ``needed_nodes`` lists them first so
  a database can fetch them in one query.
* ``Appender`` keeps the right edge of a growing tree (O(log n) memory) and yields the new
  complete nodes each leaf closes: the log stores them as leaves arrive, and ``verify-log``
  recomputes them while streaming the whole log.

Verification follows the RFC's algorithms (§2.1.3.2 and §2.1.4.2) literally; the tests check them
against the recursive definitions (§2.1.1, §2.1.3.1, §2.1.4.1) and fixed vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeSource = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof was asked for impossible sizes or indexes."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): the RFC's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def subtree_hash(start: int, end: int, get: NodeSource) -> bytes:
    """MTH of leaves ``[start, end)``, where ``start`` is aligned as the RFC's recursion makes it.

    A complete aligned subtree is one stored node; a right edge splits at the RFC's ``k``.
    """
    size = end - start
    if size <= 0:
        raise ProofError("empty subtree")
    if _is_power_of_two(size) and start % size == 0:
        level = size.bit_length() - 1
        return get(level, start >> level)
    k = _split(size)
    return node_hash(subtree_hash(start, start + k, get), subtree_hash(start + k, end, get))


def root(size: int, get: NodeSource) -> bytes:
    """MTH of the first ``size`` leaves (``EMPTY_ROOT`` for none)."""
    return EMPTY_ROOT if size == 0 else subtree_hash(0, size, get)


def inclusion_proof(index: int, size: int, get: NodeSource) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, leaf first, root-side last."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []

    def walk(m: int, start: int, end: int) -> None:
        n = end - start
        if n == 1:
            return
        k = _split(n)
        if m < k:
            walk(m, start, start + k)
            path.append(subtree_hash(start + k, end, get))
        else:
            walk(m - k, start + k, end)
            path.append(subtree_hash(start, start + k, get))

    walk(index, 0, size)
    return path


def consistency_proof(old_size: int, new_size: int, get: NodeSource) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 (empty when m == n; m must be >= 1)."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from {old_size} to {new_size}")
    proof: list[bytes] = []

    def subproof(m: int, start: int, end: int, b: bool) -> None:
        n = end - start
        if m == n:
            if not b:
                proof.append(subtree_hash(start, end, get))
            return
        k = _split(n)
        if m <= k:
            subproof(m, start, start + k, b)
            proof.append(subtree_hash(start + k, end, get))
        else:
            subproof(m - k, start + k, end, False)
            proof.append(subtree_hash(start, start + k, get))

    subproof(old_size, 0, new_size, True)
    return proof


def needed_nodes(plan: Callable[[NodeSource], object]) -> set[tuple[int, int]]:
    """The ``(level, index)`` nodes ``plan`` reads: which ones depends on sizes only."""
    seen: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        seen.add((level, index))
        return bytes(HASH_SIZE)

    plan(record)
    return seen


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes],
                     root_hash: bytes) -> bool:
    """RFC 9162 §2.1.3.2, step by step. ``leaf`` is the leaf *hash*."""
    if index >= size or index < 0:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, step by step."""
    if old_size <= 0 or old_size > new_size:
        return False
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    path = list(proof)
    if _is_power_of_two(old_size):
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    if fn & 1:
        while fn & 1:
            fn >>= 1
            sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class Appender:
    """The right edge of a growing tree: append leaf hashes, learn the nodes each one closes.

    ``append`` returns the complete nodes ``(level, index, hash)`` with level >= 1 that the new
    leaf finishes (a leaf at an odd index closes at least one). ``root()`` is the MTH so far.
    Memory: one hash per level.
    """

    def __init__(self, size: int = 0, edge: Iterable[tuple[int, bytes]] = ()) -> None:
        self.size = size
        # (level, hash) of the complete subtrees on the right edge, largest (leftmost) first.
        self.edge: list[tuple[int, bytes]] = list(edge)

    @classmethod
    def resume(cls, size: int, get: NodeSource) -> Appender:
        """Rebuild the edge of a stored tree of ``size`` leaves from its nodes."""
        edge = []
        start = 0
        for level in reversed(range(size.bit_length())):
            if size >> level & 1:
                edge.append((level, get(level, start >> level)))
                start += 1 << level
        return cls(size, edge)

    @staticmethod
    def edge_nodes(size: int) -> list[tuple[int, int]]:
        start, nodes = 0, []
        for level in reversed(range(size.bit_length())):
            if size >> level & 1:
                nodes.append((level, start >> level))
                start += 1 << level
        return nodes

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        closed: list[tuple[int, int, bytes]] = []
        level, current, index = 0, leaf, self.size
        while self.edge and self.edge[-1][0] == level:
            _, left = self.edge.pop()
            current = node_hash(left, current)
            level += 1
            index >>= 1
            closed.append((level, index, current))
        self.edge.append((level, current))
        self.size += 1
        return closed

    def root(self) -> bytes:
        if not self.edge:
            return EMPTY_ROOT
        result = self.edge[-1][1]
        for _, h in reversed(self.edge[:-1]):
            result = node_hash(h, result)
        return result


class MemoryTree:
    """All nodes of a tree in a dict: for tests, benchmarks and small offline checks."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.appender = Appender()
        for data in leaves:
            self.append(data)

    def append(self, data: bytes) -> None:
        h = leaf_hash(data)
        self.nodes[(0, self.appender.size)] = h
        for level, index, value in self.appender.append(h):
            self.nodes[(level, index)] = value

    @property
    def size(self) -> int:
        return self.appender.size

    def get(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def root(self, size: int | None = None) -> bytes:
        return root(self.size if size is None else size, self.get)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.get)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        return consistency_proof(old, self.size if new is None else new, self.get)

