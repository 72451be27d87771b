"""The traceability ledger: leaves, signed heads, inclusion/consistency proofs over HTTP and
``tinhso trace verify-log`` catching a changed, reordered or deleted event."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from tests.signatures.pkihelpers import init_pki
from tests.trace.conftest import WHEN, harvest, post_event
from tinhso.core import merkle
from tinhso.trace import ledger
from tinhso.trace.models import Event, LedgerState
from tinhso.trace.verify import verify_log

pytestmark = pytest.mark.django_db


def _fill(client: Client, world, n: int) -> list[str]:
    ids = []
    for i in range(n):
        response = post_event(client, world, harvest(world, lot=f"L{i}",
                                                     when=WHEN + dt.timedelta(hours=i)))
        assert response.status_code == 201
        ids.append(response.json()["eventID"])
    return ids


def test_leaves_roots_and_proofs_over_http(client: Client, trace_world) -> None:
    init_pki()
    ids = _fill(client, trace_world, 5)
    head5 = ledger.head_publish()
    assert head5 is not None and head5.tree_size == 5
    assert ledger.head_publish() is None  # nothing new
    more = []
    for i in range(5, 11):
        more.append(post_event(client, trace_world,
                               harvest(trace_world, lot=f"M{i}")).json()["eventID"])
    head11 = ledger.head_publish()
    assert head11.tree_size == 11
    # The stored tree equals an in-memory one built from the same leaves.
    leaves = [ledger.leaf_data_of(e) for e in Event.objects.order_by("leaf_index")]
    assert bytes(head11.root_hash) == merkle.MemoryTree(leaves).root()

    sth = client.get("/truy-xuat/so-cai/sth").json()
    assert sth["tree_head"]["tree_size"] == 11
    root11 = base64.b64decode(sth["tree_head"]["root_hash"])

    proof = client.get("/truy-xuat/so-cai/proof", {"event_id": ids[3]}).json()
    assert proof["verified"] is True and proof["tree_size"] == 11
    assert proof["event"] is None  # the proof is public, the content is the party's (0020)
    client.force_login(trace_world.farm_user)
    proof = client.get("/truy-xuat/so-cai/proof", {"event_id": ids[3]}).json()
    event = proof["event"]
    # Anyone recomputes: the event → its leaf data → the leaf hash → the root.
    data = json.loads(proof["leaf_data"])
    assert data["eventID"] == ids[3]
    assert data["sha256"] == hashlib.sha256(ledger.canonical_json(event)).hexdigest()
    path = [base64.b64decode(h) for h in proof["inclusion_path"]]
    assert merkle.verify_inclusion(merkle.leaf_hash(proof["leaf_data"].encode()), 3, 11, path,
                                   root11)
    old = client.get("/truy-xuat/so-cai/proof", {"event_id": ids[3], "tree_size": 5}).json()
    assert old["tree_size"] == 5 and old["verified"] is True

    cons = client.get("/truy-xuat/so-cai/consistency", {"first": 5, "second": 11}).json()
    assert merkle.verify_consistency(
        5, 11, bytes(head5.root_hash), root11,
        [base64.b64decode(h) for h in cons["consistency_path"]])
    assert client.get("/truy-xuat/so-cai/consistency",
                      {"first": 12, "second": 11}).status_code == 400
    assert client.get("/truy-xuat/so-cai/proof", {"event_id": "nope"}).status_code == 404
    page = client.get("/truy-xuat/so-cai/")
    assert page.status_code == 200 and "Sổ cái" in page.content.decode()
    assert verify_log().ok
    call_command("trace", "verify-log")


def _build(client: Client, world) -> None:
    init_pki()
    _fill(client, world, 6)
    ledger.head_publish()
    assert verify_log().ok


def _sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_verify_log_detects_a_changed_event(client: Client, trace_world) -> None:
    _build(client, trace_world)
    event = Event.objects.get(leaf_index=2)
    document = {**event.document, "disposition": "destroyed"}
    _sql("UPDATE trace_event SET document = %s WHERE id = %s", json.dumps(document), event.pk)
    report = verify_log()
    assert any("leaf 2" in p and "edited" in p for p in report.problems)
    with pytest.raises(CommandError):
        call_command("trace", "verify-log")


def test_verify_log_detects_a_rewritten_leaf_against_the_signed_root(client: Client,
                                                                      trace_world) -> None:
    _build(client, trace_world)
    event = Event.objects.get(leaf_index=1)
    document = {**event.document, "bizStep": "destroying"}
    event.document = document
    leaf = merkle.leaf_hash(ledger.leaf_data_of(event))
    _sql("UPDATE trace_event SET document = %s, leaf_hash = %s WHERE id = %s",
         json.dumps(document), leaf, event.pk)
    report = verify_log()
    assert any("root does not match" in p for p in report.problems)


def test_verify_log_detects_reordering(client: Client, trace_world) -> None:
    _build(client, trace_world)
    a, b = Event.objects.get(leaf_index=0), Event.objects.get(leaf_index=4)
    _sql("UPDATE trace_event SET leaf_index = 1000 WHERE id = %s", a.pk)
    _sql("UPDATE trace_event SET leaf_index = 0 WHERE id = %s", b.pk)
    _sql("UPDATE trace_event SET leaf_index = 4 WHERE id = %s", a.pk)
    report = verify_log()
    assert any("leaf 0" in p for p in report.problems)
    assert any("root does not match" in p for p in report.problems)


def test_verify_log_detects_deletion(client: Client, trace_world) -> None:
    _build(client, trace_world)
    event = Event.objects.get(leaf_index=5)
    _sql("DELETE FROM trace_eventepc WHERE event_id = %s", event.pk)
    _sql("DELETE FROM trace_event WHERE id = %s", event.pk)
    report = verify_log()
    assert any("only 5 events" in p for p in report.problems)
    assert any("records 6" in p for p in report.problems)
    middle = Event.objects.get(leaf_index=2)
    _sql("DELETE FROM trace_eventepc WHERE event_id = %s", middle.pk)
    _sql("DELETE FROM trace_event WHERE id = %s", middle.pk)
    assert any("expected 2, found 3" in p for p in verify_log().problems)


def test_verify_log_detects_a_forged_head(client: Client, trace_world) -> None:
    _build(client, trace_world)
    _sql("UPDATE trace_ledgerhead SET root_hash = %s", b"\x00" * 32)
    problems = verify_log().problems
    assert any("signature does not verify" in p for p in problems)


def test_rows_are_append_only(client: Client, trace_world) -> None:
    from tinhso.trace.models import AppendOnlyError

    _fill(client, trace_world, 1)
    event = Event.objects.get()
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert LedgerState.objects.get().tree_size == 1
