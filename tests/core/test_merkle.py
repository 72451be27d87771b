"""RFC 9162 Merkle trees: the module against the RFC's own recursive definitions and vectors.

The reference functions below transcribe §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1 (PROOF)
directly over the list of entries; the module computes the same things from stored complete
subtrees. Fixed hex vectors (the Certificate Transparency project's test tree of 8 entries)
pin both to the published values, so a shared mistake cannot pass.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinhso.core import merkle

# The entries of the CT reference tree (certificate-transparency, merkle_tree_test).
ENTRIES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1 << ((n - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


def test_hashes_are_domain_separated() -> None:
    assert merkle.leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert merkle.node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(
        b"\x01" + b"a" * 32 + b"b" * 32).digest()
    # A two-leaf root is not the leaf hash of the two leaf hashes concatenated.
    tree = merkle.MemoryTree([b"x", b"y"])
    assert tree.root() != merkle.leaf_hash(merkle.leaf_hash(b"x") + merkle.leaf_hash(b"y"))


@pytest.mark.parametrize("size", sorted(ROOTS))
def test_roots_match_the_published_vectors(size: int) -> None:
    tree = merkle.MemoryTree(ENTRIES[:size])
    assert tree.root().hex() == ROOTS[size]
    assert ref_mth(ENTRIES[:size]).hex() == ROOTS[size]
    assert tree.appender.root().hex() == ROOTS[size]


def test_fixed_inclusion_and_consistency_vectors() -> None:
    tree = merkle.MemoryTree(ENTRIES)
    expected = ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]
    assert [p.hex() for p in tree.inclusion_proof(0, 8)] == expected
    assert [p.hex() for p in tree.consistency_proof(1, 8)] == expected
    assert tree.consistency_proof(8, 8) == []
    assert merkle.verify_inclusion(merkle.leaf_hash(ENTRIES[0]), 0, 8,
                                   [bytes.fromhex(h) for h in expected],
                                   bytes.fromhex(ROOTS[8]))


def test_every_proof_of_small_trees_matches_the_rfc_recursion() -> None:
    data = [bytes([i]) * (i % 5) for i in range(33)]
    tree = merkle.MemoryTree(data)
    for n in range(1, 34):
        root_n = tree.root(n)
        assert root_n == ref_mth(data[:n])
        for m in range(n):
            proof = tree.inclusion_proof(m, n)
            assert proof == ref_path(m, data[:n])
            assert merkle.verify_inclusion(merkle.leaf_hash(data[m]), m, n, proof, root_n)
        for m in range(1, n + 1):
            proof = tree.consistency_proof(m, n)
            assert proof == ref_subproof(m, data[:n], True)
            assert merkle.verify_consistency(m, n, tree.root(m), root_n, proof)


def test_stored_nodes_are_exactly_the_complete_subtrees() -> None:
    tree = merkle.MemoryTree([b"%d" % i for i in range(13)])
    levels = {(0, i) for i in range(13)} | {(1, i) for i in range(6)} | {(2, 0), (2, 1),
                                                                      (2, 2), (3, 0)}
    assert set(tree.nodes) == levels
    resumed = merkle.Appender.resume(13, tree.get)
    assert resumed.root() == tree.root()
    assert merkle.Appender.edge_nodes(13) == [(3, 0), (2, 2), (0, 12)]


def test_needed_nodes_are_logarithmic() -> None:
    size = 10_000_000
    nodes = merkle.needed_nodes(lambda get: merkle.inclusion_proof(1234567, size, get))
    assert len(nodes) <= 2 * size.bit_length()
    nodes = merkle.needed_nodes(lambda get: merkle.consistency_proof(7_777_777, size, get))
    assert len(nodes) <= 2 * size.bit_length()


def test_impossible_requests_are_refused() -> None:
    tree = merkle.MemoryTree([b"a", b"b"])
    with pytest.raises(merkle.ProofError):
        tree.inclusion_proof(2, 2)
    with pytest.raises(merkle.ProofError):
        tree.consistency_proof(0, 2)
    with pytest.raises(merkle.ProofError):
        tree.consistency_proof(3, 2)
    assert not merkle.verify_inclusion(merkle.leaf_hash(b"a"), 2, 2, [], tree.root())
    assert not merkle.verify_consistency(3, 2, b"", b"", [])


sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=60, deadline=None)
@given(st.data(), sizes)
def test_inclusion_proofs_verify_and_tampering_fails(data: st.DataObject, n: int) -> None:
    tree = merkle.MemoryTree(b"leaf-%d" % i for i in range(n))
    m = data.draw(st.integers(min_value=0, max_value=n - 1))
    size = data.draw(st.integers(min_value=m + 1, max_value=n))
    proof = tree.inclusion_proof(m, size)
    root_hash = tree.root(size)
    leaf = merkle.leaf_hash(b"leaf-%d" % m)
    assert merkle.verify_inclusion(leaf, m, size, proof, root_hash)
    assert not merkle.verify_inclusion(merkle.leaf_hash(b"other"), m, size, proof, root_hash)
    if size > 1:
        assert not merkle.verify_inclusion(leaf, (m + 1) % size, size, proof, root_hash)
    if proof:
        i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bad = list(proof)
        bad[i] = bytes(b ^ 1 for b in bad[i])
        assert not merkle.verify_inclusion(leaf, m, size, bad, root_hash)
        assert not merkle.verify_inclusion(leaf, m, size, proof[:-1], root_hash)
    assert not merkle.verify_inclusion(leaf, m, size, [*proof, root_hash], root_hash)


@settings(max_examples=60, deadline=None)
@given(st.data(), sizes)
def test_consistency_proofs_verify_and_tampering_fails(data: st.DataObject, n: int) -> None:
    tree = merkle.MemoryTree(b"leaf-%d" % i for i in range(n))
    m = data.draw(st.integers(min_value=1, max_value=n))
    proof = tree.consistency_proof(m, n)
    old, new = tree.root(m), tree.root(n)
    assert merkle.verify_consistency(m, n, old, new, proof)
    assert not merkle.verify_consistency(m, n, merkle.leaf_hash(b"x"), new, proof)
    if m < n:
        assert not merkle.verify_consistency(m, n, old, merkle.leaf_hash(b"x"), proof)
        i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bad = list(proof)
        bad[i] = bytes(b ^ 1 for b in bad[i])
        assert not merkle.verify_consistency(m, n, old, new, bad)
