"""PostgreSQL: an event whose transaction commits after a later event's is not skipped.

Ids come from a sequence at insert time, commits happen in any order: the dispatcher must not
move the cursor past an id that a running transaction may still commit (tinhso.outbox.dispatch).
Two real connections; the writer holds its transaction open while the later event commits.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from tests.outbox.helpers import effects, publish
from tinhso.outbox import services
from tinhso.outbox.dispatch import run_consumer
from tinhso.outbox.models import ConsumerCursor


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("gaps in committed ids happen only with concurrent writers (PostgreSQL)")
    # No nudge: the test decides when the dispatcher runs.
    monkeypatch.setattr(services, "_nudge_on_commit", lambda: None)


class _Rollback(Exception):
    pass


def slow_writer(commit: bool) -> tuple[threading.Thread, threading.Event, threading.Event,
                                        list[int]]:
    written, release, ids = threading.Event(), threading.Event(), []

    def run() -> None:
        try:
            with transaction.atomic():
                ids.extend(e.pk for e in publish(1))
                written.set()
                release.wait(30)
                if not commit:
                    raise _Rollback
        except _Rollback:
            pass
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    assert written.wait(30)
    return thread, release, ids


def until_delivered(expected: int) -> int:
    """Other transactions of the machine that were running when the gap was seen must end
    first; bounded wait (none are running in CI, where the first call delivers)."""
    delivered = 0
    for _ in range(600):
        delivered += run_consumer("test")
        if effects() >= expected:
            break
        time.sleep(0.05)
    return delivered


@pytest.mark.parametrize("commit", [True, False], ids=["late-commit", "rollback"])
def test_the_cursor_waits_for_the_gap(consumer, commit):  # noqa: F811
    seen, _ = consumer
    thread, release, early = slow_writer(commit)
    (later,) = publish(1)  # committed at once, with the higher id
    assert later.pk > early[0]
    assert run_consumer("test") == 0  # event `early` may still commit: nothing passes it
    cursor = ConsumerCursor.objects.get(name="test")
    assert cursor.position < early[0] and cursor.horizon_id == later.pk
    release.set()
    thread.join(30)
    if commit:
        assert until_delivered(2) == 2
        assert seen == [early[0], later.pk]
    else:
        assert until_delivered(1) == 1
        assert seen == [later.pk]
    cursor.refresh_from_db()
    assert cursor.position == later.pk and cursor.horizon_id is None
