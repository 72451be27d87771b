"""The audit log is hash-chained: `tinhso audit verify` finds an edited, deleted, inserted or
cut-off row, and a chain rewritten with fresh hashes against a recorded head."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from tinhso.accounts import auditchain
from tinhso.accounts.models import AuditChainHead, AuditLog, User
from tinhso.accounts.services import audit_log_write


def _write(n: int, actor: User | None = None) -> list[AuditLog]:
    # 1e20 comes back from jsonb as an integer, 1.0 as a float: both must verify.
    return [audit_log_write(actor=actor, action="test_action", object_type="thing",
                            object_id=i, data={"tên": "Nguyễn Văn A", "n": i, "x": 1.5,
                                               "big": 1e20, "one": 1.0, "list": (1, "a")})
            for i in range(n)]


def _verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_rows_are_linked_and_verify_passes(province_admin):
    rows = _write(5, province_admin)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == auditchain.GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:], strict=False))
    code, out, _ = _verify()
    assert code == 0 and "5 rows" in out and rows[-1].row_hash in out
    assert "intact" in out


@pytest.mark.django_db
def test_rows_are_append_only():
    [row] = _write(1)
    row.action = "changed"
    with pytest.raises(ValueError, match="append-only"):
        row.save()


@pytest.mark.django_db
def test_an_edited_row_is_found():
    rows = _write(4)
    AuditLog.objects.filter(pk=rows[1].pk).update(data={"tên": "Người khác"})
    code, _, err = _verify()
    assert code == 2 and "seq 2" in err and "does not match its hash" in err


@pytest.mark.django_db
def test_a_deleted_row_is_found():
    rows = _write(4)
    AuditLog.objects.filter(pk=rows[2].pk).delete()
    code, _, err = _verify()
    assert code == 2 and "seq 3–3: rows missing" in err and "link" in err


@pytest.mark.django_db
def test_a_cut_tail_is_found():
    rows = _write(4)
    AuditLog.objects.filter(pk=rows[3].pk).delete()
    code, _, err = _verify()
    assert code == 2 and "rows removed from the end" in err


@pytest.mark.django_db
def test_a_row_written_around_the_chain_is_found():
    _write(2)
    AuditLog.objects.bulk_create([AuditLog(action="sneaky", object_type="x", object_id="1")])
    code, _, err = _verify()
    assert code == 2 and "outside the chain" in err


@pytest.mark.django_db
def test_a_reassigned_actor_is_found(province_admin, citizen):
    rows = _write(2, province_admin)
    AuditLog.objects.filter(pk=rows[0].pk).update(actor=citizen)
    code, _, err = _verify()
    assert code == 2 and "actor changed" in err


@pytest.mark.django_db
def test_a_rewritten_chain_passes_alone_but_not_against_the_recorded_head():
    rows = _write(3)
    recorded = f"{rows[1].seq}:{rows[1].row_hash}"
    # The attacker edits row 2 and recomputes every hash after it, head included.
    AuditLog.objects.filter(pk=rows[1].pk).update(object_id="999")
    prev = rows[0].row_hash
    for row in AuditLog.objects.order_by("seq")[1:]:
        row.prev_hash = prev
        prev = auditchain.row_digest(row)
        AuditLog.objects.filter(pk=row.pk).update(prev_hash=row.prev_hash, row_hash=prev)
    AuditChainHead.objects.filter(pk=1).update(hash=prev)
    assert _verify()[0] == 0
    with pytest.raises(SystemExit):
        call_command("audit", "verify", "--expect-head", recorded, stdout=io.StringIO(),
                     stderr=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN; the race needs PostgreSQL")
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            _write(10)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(AuditLog.objects.values_list("seq", flat=True)) == list(range(1, 41))
    assert auditchain.verify().ok
