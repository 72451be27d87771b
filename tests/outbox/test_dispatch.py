"""Delivery: in order, past unwanted types, retried after a failure, exactly-once effects."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from tests.outbox.helpers import effects, publish
from tinhso.outbox.dispatch import ConsumerFailed, drain_outbox, run_consumer
from tinhso.outbox.models import ConsumerCursor
from tinhso.outbox.selectors import consumer_backlog


@pytest.mark.django_db
def test_in_order_once_and_past_unwanted_types(consumer):
    seen, _ = consumer
    wanted = publish(2)
    publish(1, "feedback.answered")
    wanted += publish(1)
    assert run_consumer("test", limit=2) == 2
    assert run_consumer("test") == 1
    assert run_consumer("test") == 0
    assert seen == [e.pk for e in wanted]
    cursor = ConsumerCursor.objects.get(name="test")
    assert cursor.position == wanted[-1].pk and cursor.delivered == 3
    assert consumer_backlog("test", {"feedback.received"}).pending == 0


@pytest.mark.django_db
def test_a_failing_event_blocks_and_is_retried(consumer):
    seen, fail_on = consumer
    first, second, third = publish(3)
    fail_on.add(second.pk)
    assert run_consumer("test") == 1
    cursor = ConsumerCursor.objects.get(name="test")
    assert cursor.position == first.pk and cursor.failures == 1
    assert cursor.failing_event_id == second.pk and "boom on" in cursor.last_error
    assert effects() == 1
    backlog = consumer_backlog("test")
    assert backlog.pending == 2 and backlog.oldest_pending_at == second.occurred_at
    with pytest.raises(ConsumerFailed, match="boom on"):
        drain_outbox()
    fail_on.clear()
    assert run_consumer("test") == 2
    assert seen == [first.pk, second.pk, third.pk] and effects() == 3
    cursor.refresh_from_db()
    assert cursor.failures == 0 and cursor.last_error == ""


@pytest.mark.django_db
def test_the_effect_and_the_cursor_commit_together(consumer, monkeypatch):
    """A crash after the handler's effect but before the commit (a killed worker) undoes both:
    the next run applies the effect once."""
    seen, _ = consumer
    (event,) = publish(1)
    real_save = ConsumerCursor.save

    def crash(self, *args, **kwargs):
        if self.name == "test" and self.position == event.pk:
            raise SystemExit("worker killed")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(ConsumerCursor, "save", crash)
    with pytest.raises(SystemExit):
        run_consumer("test")
    assert effects() == 0
    monkeypatch.setattr(ConsumerCursor, "save", real_save)
    assert run_consumer("test") == 1 and effects() == 1 and seen == [event.pk, event.pk]


@pytest.mark.django_db(transaction=True)
def test_racing_dispatchers_deliver_each_event_once(consumer):
    seen, _ = consumer
    events = publish(30)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def dispatcher() -> None:
        try:
            start.wait(10)
            for _ in range(40):
                if not run_consumer("test", limit=5) and effects() == len(events):
                    break
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    # A double delivery of a committed effect would have raised (primary key) and been stored.
    assert ConsumerCursor.objects.get(name="test").failures == 0
    assert effects() == len(events)
    assert sorted(set(seen)) == [e.pk for e in events] and len(seen) == len(events)


@pytest.mark.django_db(transaction=True)
def test_nudged_after_commit(consumer):
    """In immediate mode (tests) the nudge runs the dispatcher right after the commit."""
    seen, _ = consumer
    with transaction.atomic():
        (event,) = publish(1)
        assert seen == []
    assert seen == [event.pk]



@pytest.mark.django_db
def test_a_batch_keeps_the_effects_before_a_failure(consumer, monkeypatch):
    """Several events per transaction (batch=5): a failure on the third keeps the first two
    (each handler call has its savepoint) and stops the cursor before the third."""
    from tinhso.outbox import registry

    seen, fail_on = consumer
    registry._consumers["test"] = registry.Consumer(
        "test", registry._consumers["test"].handler, frozenset({"feedback.received"}), 5)
    events = publish(6)
    fail_on.add(events[2].pk)
    assert run_consumer("test") == 2
    assert seen == [events[0].pk, events[1].pk] and effects() == 2
    cursor = ConsumerCursor.objects.get(name="test")
    assert cursor.position == events[1].pk and cursor.failing_event_id == events[2].pk
    fail_on.clear()
    assert run_consumer("test") == 4 and effects() == 6
