"""Hash chain over the audit log (ASVS V7.3.3: log integrity).

Each ``AuditLog`` row carries ``seq`` (1, 2, 3, … without gaps), ``prev_hash`` (the previous
row's hash) and ``row_hash`` = SHA-256 of the canonical JSON of its own fields and
``prev_hash``. Editing a row changes its hash; deleting one leaves a gap in ``seq`` and a broken
link; ``AuditChainHead`` (one row: the last ``seq`` and hash) exposes a truncated tail.
``tinhso audit verify`` walks the chain and prints the head hash, which operators copy to a
place the database administrator cannot write (the log collector, a ticket, paper), so that a
rewrite of the whole chain is caught too.

Rows are chained when written: ``AuditLog.save`` locks the head row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite transactions here take the write lock at BEGIN), so concurrent writers are
chained one after another; the lock is held until the writer's transaction ends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from tinhso.accounts.models import AuditLog

GENESIS = "0" * 64


def _canonical(value: Any) -> Any:
    """Numbers as PostgreSQL's jsonb gives them back: 1e20 returns as an integer, so integral
    floats are hashed as integers (1.0 and 1 hash alike on both databases)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def row_digest(row: AuditLog) -> str:
    """SHA-256 over what the row says, in a canonical JSON form independent of the database."""
    body = {
        "seq": row.seq, "prev": row.prev_hash,
        "at": row.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": row.actor_ref, "action": row.action, "object_type": row.object_type,
        "object_id": row.object_id, "data": _canonical(row.data),
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _head() -> Any:
    from tinhso.accounts.models import AuditChainHead

    head, _ = AuditChainHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS})
    return head


def chain_and_save(row: AuditLog, save: Any) -> None:
    """Give ``row`` the next link and save it with ``save()``, in one transaction."""
    from django.utils import timezone

    with transaction.atomic():
        head = _head()
        row.seq = head.seq + 1
        row.prev_hash = head.hash
        row.actor_ref = str(row.actor_id) if row.actor_id is not None else ""
        row.at = row.at or timezone.now()  # a default, not auto_now_add: hashed as stored
        row.row_hash = row_digest(row)
        save()
        head.seq, head.hash = row.seq, row.row_hash
        head.save(update_fields=["seq", "hash"])


@dataclass
class Report:
    rows: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _rows(batch: int = 2000) -> Iterator[AuditLog]:
    from tinhso.accounts.models import AuditLog

    last = 0
    while True:
        # The verifier reads every row, whoever wrote it: a raw manager, not visible_to().
        page = list(AuditLog._base_manager.filter(seq__gt=last).order_by("seq")[:batch])
        if not page:
            return
        yield from page
        last = page[-1].seq or last


def verify() -> Report:
    """Walk the chain from the first row; report every break (edited, missing, reordered rows,
    a tail cut off behind the head)."""
    from tinhso.accounts.models import AuditChainHead, AuditLog

    report = Report()
    expected_prev, expected_seq = GENESIS, 1
    for row in _rows():
        report.rows += 1
        seq = row.seq or 0  # never None here: the query selects seq > last
        if seq != expected_seq:
            report.problems.append(f"seq {expected_seq}–{seq - 1}: rows missing")
        if row.prev_hash != expected_prev:
            report.problems.append(f"seq {row.seq} (id {row.pk}): link to the previous row broken")
        if row_digest(row) != row.row_hash:
            report.problems.append(f"seq {row.seq} (id {row.pk}): content does not match its hash")
        if row.actor_id is not None and str(row.actor_id) != row.actor_ref:
            report.problems.append(f"seq {row.seq} (id {row.pk}): actor changed")
        expected_prev, expected_seq = row.row_hash, (row.seq or 0) + 1
    unchained = AuditLog._base_manager.filter(seq__isnull=True).count()
    if unchained:
        report.problems.append(f"{unchained} row(s) outside the chain (written around it)")
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None:
        report.head_seq, report.head_hash = head.seq, head.hash
        if (head.seq, head.hash) != (expected_seq - 1, expected_prev):
            report.problems.append(f"the head says seq {head.seq}, the chain ends at "
                                   f"{expected_seq - 1}: rows removed from the end")
    return report


def check_recorded_head(recorded: str) -> list[str]:
    """An earlier head ``SEQ:HASH`` must still be the hash of row SEQ (a chain rewritten from
    an earlier point, hashes recomputed, passes ``verify`` but not this)."""
    from tinhso.accounts.models import AuditLog

    seq_text, _, digest = recorded.partition(":")
    if not seq_text.isdigit() or len(digest) != 64:
        return [f"--expect-head must be SEQ:HASH, not {recorded!r}"]
    if int(seq_text) == 0:
        return [] if digest == GENESIS else ["the recorded empty head has a non-zero hash"]
    row = AuditLog._base_manager.filter(seq=int(seq_text)).first()
    if row is None:
        return [f"the recorded head seq {seq_text} is gone"]
    if row.row_hash != digest:
        return [f"seq {seq_text} now has another hash than the one recorded: rewritten"]
    return []
