"""The verifiable message log: proofs in RFC 9162's shapes, signed heads, and verify-log catching
edited, swapped and deleted rows."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.signatures.pkihelpers import init_pki
from tinhso.core import merkle
from tinhso.lgsp import messagelog
from tinhso.lgsp.models import LogEntry, LogNode, LogState, SignedTreeHead
from tinhso.lgsp.verify import verify_log
from tinhso.signatures.models import CertificateAuthority


def record(i: int) -> dict:  # type: ignore[type-arg]
    return {"logged_at": timezone.now(), "x_road_id": f"id-{i}", "request_id": f"r-{i}",
            "client": "VN/GOV/000.00.00.H10/MOTCUA", "service": "VN/GOV/1/DANCU/citizens",
            "user_id": "", "issue": "", "method": "GET", "path": f"/echo/{i}", "status": 200,
            "error_type": "", "duration_ms": i, "request_bytes": 0, "response_bytes": 10,
            "request_sha256": hashlib.sha256(b"").hexdigest(),
            "response_sha256": hashlib.sha256(b"%d" % i).hexdigest(), "request_hash": ""}


@pytest.fixture
def log(db):  # type: ignore[no-untyped-def]
    """13 leaves with signed heads at sizes 5 and 13."""
    init_pki()
    for i in range(5):
        messagelog.log_append(record=record(i))
    messagelog.sth_publish()
    for i in range(5, 13):
        messagelog.log_append(record=record(i))
    messagelog.sth_publish()
    return list(LogEntry.objects.order_by("index"))


def test_leaves_nodes_and_roots_match_an_in_memory_tree(log) -> None:
    tree = merkle.MemoryTree(messagelog.leaf_data(e) for e in log)
    assert [e.index for e in log] == list(range(13))
    assert LogState.objects.get().tree_size == 13
    stored = {(n.level, n.index): bytes(n.hash) for n in LogNode.objects.all()}
    assert stored == {k: v for k, v in tree.nodes.items() if k[0] > 0}
    for size in (1, 5, 8, 13):
        assert messagelog.root_at(size) == tree.root(size)
    assert SignedTreeHead.objects.count() == 2
    assert messagelog.sth_publish() is None  # nothing new: no new head


def test_get_sth_is_signed_and_time_stamped(client, log) -> None:
    data = client.get("/lgsp/log/v2/get-sth").json()
    sth = data["sth"]
    head = sth["tree_head"]
    assert set(sth) == {"log_id", "tree_head", "signature"}
    assert set(head) == {"timestamp", "tree_size", "root_hash", "sth_extensions"}
    assert head["tree_size"] == 13
    root_hash = base64.b64decode(head["root_hash"])
    assert root_hash == merkle.MemoryTree(messagelog.leaf_data(e) for e in log).root()
    signed = messagelog.tree_head_bytes(head["timestamp"], 13, root_hash)
    assert messagelog.verify_signature(data["certificate"], signed,
                                       base64.b64decode(sth["signature"]))
    assert not messagelog.verify_signature(data["certificate"], signed + b"x",
                                           base64.b64decode(sth["signature"]))
    row = SignedTreeHead.objects.get(tree_size=13)
    stamped = messagelog.stamped_digest(base64.b64decode(data["timestamp_token"]))
    assert stamped == hashlib.sha256(messagelog.signed_tree_head_bytes(row)).digest()
    item = base64.b64decode(data["trans_item"])
    assert item[:2] == b"\x00\x05" and item[2:].startswith(bytes([len(messagelog.LOG_ID)]))


def test_inclusion_proofs_by_hash_and_index_verify(client, log) -> None:
    root13 = base64.b64decode(client.get("/lgsp/log/v2/get-sth").json()["sth"]["tree_head"]
                              ["root_hash"])
    for entry in (log[0], log[6], log[12]):
        leaf = bytes(entry.leaf_hash)
        data = client.get("/lgsp/log/v2/get-proof-by-hash",
                          {"hash": base64.b64encode(leaf).decode(), "tree_size": 13}).json()
        proof = data["inclusion"]
        assert set(proof) == {"log_id", "tree_size", "leaf_index", "inclusion_path"}
        assert proof["leaf_index"] == entry.index and proof["tree_size"] == 13
        path = [base64.b64decode(p) for p in proof["inclusion_path"]]
        assert merkle.verify_inclusion(leaf, entry.index, 13, path, root13)
        assert data["sth"]["sth"]["tree_head"]["tree_size"] == 13
    by_index = client.get("/lgsp/log/v2/get-proof-by-hash",
                          {"leaf_index": 3, "tree_size": 5}).json()
    root5 = messagelog.root_at(5)
    assert merkle.verify_inclusion(bytes(log[3].leaf_hash), 3, 5,
                                   [base64.b64decode(p) for p in
                                    by_index["inclusion"]["inclusion_path"]], root5)


def test_consistency_proof_verifies(client, log) -> None:
    data = client.get("/lgsp/log/v2/get-sth-consistency", {"first": 5, "second": 13}).json()
    proof = data["consistency"]
    assert set(proof) == {"log_id", "tree_size_1", "tree_size_2", "consistency_path"}
    heads = {h.tree_size: bytes(h.root_hash) for h in SignedTreeHead.objects.all()}
    assert merkle.verify_consistency(5, 13, heads[5], heads[13],
                                     [base64.b64decode(p) for p in proof["consistency_path"]])


@pytest.mark.parametrize("query", [
    {"first": 0, "second": 5}, {"first": 6, "second": 5}, {"first": 1, "second": 99},
    {"first": "x", "second": 5}])
def test_bad_consistency_requests_are_400(client, log, query) -> None:
    response = client.get("/lgsp/log/v2/get-sth-consistency", query)
    assert response.status_code == 400 and response.json()["code"] == "LGSP_BAD_TREE_SIZE"


def test_bad_inclusion_requests(client, log) -> None:
    get = client.get
    assert get("/lgsp/log/v2/get-proof-by-hash", {"hash": "!!", "tree_size": 5}
               ).status_code == 400
    unknown = base64.b64encode(bytes(32)).decode()
    assert get("/lgsp/log/v2/get-proof-by-hash", {"hash": unknown, "tree_size": 5}
               ).status_code == 404
    # Leaf 12 is not in the tree of size 5.
    late = base64.b64encode(bytes(log[12].leaf_hash)).decode()
    assert get("/lgsp/log/v2/get-proof-by-hash", {"hash": late, "tree_size": 5}
               ).status_code == 404
    assert get("/lgsp/log/v2/get-proof-by-hash", {"hash": late, "tree_size": 14}
               ).status_code == 400


def test_empty_log_has_no_head(client, db) -> None:
    assert client.get("/lgsp/log/v2/get-sth").status_code == 404


def test_verify_log_passes_on_an_intact_log(log, capsys) -> None:
    call_command("lgsp", "verify-log")
    assert "13 leaves, 2 signed heads" in capsys.readouterr().out


def _fails(fragment: str) -> None:
    with pytest.raises(CommandError):
        call_command("lgsp", "verify-log")
    report = verify_log()
    assert not report.ok
    assert any(fragment in p for p in report.problems), report.problems


def test_verify_log_catches_an_edited_row(log) -> None:
    LogEntry.objects.filter(index=3).update(status=500)
    _fails("leaf 3: content does not match")


def test_verify_log_catches_an_edit_with_its_leaf_hash_recomputed(log) -> None:
    entry = LogEntry.objects.get(index=7)
    entry.path = "/echo/forged"
    LogEntry.objects.filter(pk=entry.pk).update(
        path=entry.path, leaf_hash=merkle.leaf_hash(messagelog.leaf_data(entry)))
    _fails("signed head at size 13: root does not match")


def test_verify_log_catches_swapped_rows(log) -> None:
    a, b = LogEntry.objects.get(index=2), LogEntry.objects.get(index=9)
    fields = [f for f in messagelog.LEAF_FIELDS if f != "index"] + ["leaf_hash"]
    values_a = {f: getattr(a, f) for f in fields}
    values_b = {f: getattr(b, f) for f in fields}
    LogEntry.objects.filter(pk=a.pk).update(**values_b)
    LogEntry.objects.filter(pk=b.pk).update(**values_a)
    _fails("root does not match")


def test_verify_log_catches_a_deleted_row(log) -> None:
    LogEntry.objects.filter(index=4).delete()
    _fails("leaf numbering")


def test_verify_log_catches_deleted_tail_and_shrunk_state(log) -> None:
    LogEntry.objects.filter(index=12).delete()
    LogNode.objects.filter(index__gte=6, level=1).delete()
    LogState.objects.update(tree_size=12)
    _fails("signed head at size 13: the log has only 12 leaves")


def test_verify_log_catches_a_tampered_node_and_a_forged_head(log) -> None:
    LogNode.objects.filter(level=2, index=1).update(hash=bytes(32))
    _fails("stored node (2, 1)")
    LogNode.objects.filter(level=2, index=1).update(
        hash=merkle.MemoryTree(messagelog.leaf_data(e) for e in log).get(2, 1))
    assert verify_log().ok
    SignedTreeHead.objects.filter(tree_size=5).update(timestamp_ms=1)
    _fails("signed head at size 5: signature does not verify")


def test_archive_exports_a_closed_period_with_its_heads(log, tmp_path) -> None:
    messagelog.log_append(record=record(13))  # after the last head: not covered yet
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    call_command("lgsp", "archive", "--before", str(tomorrow), "--out", str(tmp_path))
    lines = (tmp_path / "lgsp-log-0-14.jsonl").read_bytes().splitlines()
    assert json.loads(lines[0])["end_index"] == 14
    leaves = lines[1:15]
    heads = {h["sth"]["tree_head"]["tree_size"]: h["sth"]["tree_head"]["root_hash"]
             for h in (json.loads(x)["signed_tree_head"] for x in lines[15:])}
    assert set(heads) == {5, 13}
    # Anyone can recompute the signed roots from the exported lines alone.
    tree = merkle.MemoryTree(leaves)
    for size, root_b64 in heads.items():
        assert base64.b64encode(tree.root(size)).decode() == root_b64
    # Nothing new to archive the second time.
    call_command("lgsp", "archive", "--before", str(tomorrow), "--out", str(tmp_path))
    assert len(list(tmp_path.glob("*.jsonl"))) == 1


def test_verify_log_checks_the_time_stamp_token(log) -> None:
    sth = SignedTreeHead.objects.get(tree_size=13)
    trust = list(CertificateAuthority.objects.values_list("certificate_pem", flat=True))
    assert messagelog.token_signature_ok(bytes(sth.timestamp_token), trust)
    token = bytearray(sth.timestamp_token)
    token[-10] ^= 0xFF  # inside the CMS signature value
    assert not messagelog.token_signature_ok(bytes(token), trust)
    SignedTreeHead.objects.filter(pk=sth.pk).update(timestamp_token=bytes(token))
    _fails("signed head at size 13: time stamp")


def test_proofs_read_a_few_stored_nodes_in_two_queries(log, django_assert_max_num_queries
                                                       ) -> None:
    with django_assert_max_num_queries(2):
        messagelog.inclusion_path(6, 13)
    with django_assert_max_num_queries(2):
        messagelog.consistency_path(5, 13)
    with django_assert_max_num_queries(2):
        messagelog.root_at(13)


def test_log_rows_refuse_updates_and_deletes_through_the_orm(log) -> None:
    from tinhso.lgsp.models import AppendOnlyError

    entry = LogEntry.objects.get(index=0)
    entry.status = 500
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        SignedTreeHead.objects.first().delete()
    assert verify_log().ok
