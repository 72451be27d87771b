"""The outbox to NATS JetStream, against the real server: one stream per family, Nats-Msg-Id
de-duplication, durable consumers, and the cursor never passing an unacknowledged event."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.webhooks.helpers import feedback_event
from tests.webhooks.natshelpers import (
    delete_streams,
    messages,
    require_nats,
    stream_count,
    unique_prefix,
)
from tinhso.outbox import registry
from tinhso.outbox.dispatch import run_consumer
from tinhso.outbox.models import ConsumerCursor
from tinhso.webhooks import jetstream

pytestmark = pytest.mark.django_db


@pytest.fixture
def nats_on(settings) -> Iterator[str]:
    url = require_nats()
    prefix = unique_prefix()
    settings.TINHSO_NATS_URL = url
    settings.TINHSO_NATS_PREFIX = prefix
    registry.register_consumer(jetstream.NAME, jetstream.handle, batch=50)
    try:
        yield prefix
    finally:
        registry._consumers.pop(jetstream.NAME, None)
        jetstream.close_all()
        delete_streams(url, prefix)


def test_events_land_in_their_family_stream_with_their_id(nats_on, agency) -> None:
    prefix = nats_on
    events = [feedback_event(agency.pk, n) for n in range(1, 4)]
    assert run_consumer(jetstream.NAME) == 3
    msgs = messages(jetstream.conf.nats_url(), f"{prefix}_FEEDBACK",
                    f"{prefix.lower()}.feedback.>")
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [str(e.event_id) for e in events]
    assert msgs[0].subject == f"{prefix.lower()}.feedback.received.{agency.pk}"
    body = json.loads(msgs[0].data)
    assert body == {"id": str(events[0].event_id), "type": "feedback.received",
                    "timestamp": events[0].occurred_at.isoformat(), "data": events[0].payload}
    # Every family has its stream.
    for family in jetstream.families():
        assert stream_count(jetstream.conf.nats_url(), f"{prefix}_{family.upper()}") >= 0


def test_publishing_an_event_again_is_dropped_as_a_duplicate(nats_on, agency) -> None:
    prefix = nats_on
    event = feedback_event(agency.pk)
    assert run_consumer(jetstream.NAME) == 1
    # What a worker killed after the ack and before the commit would do on restart:
    assert jetstream.bridge().publish(event) is True
    assert stream_count(jetstream.conf.nats_url(), f"{prefix}_FEEDBACK") == 1


def test_the_cursor_waits_while_nats_is_unreachable(nats_on, agency, settings) -> None:
    prefix = nats_on
    good = settings.TINHSO_NATS_URL
    settings.TINHSO_NATS_URL = "nats://127.0.0.1:9"
    settings.TINHSO_NATS_TIMEOUT = 1
    start = ConsumerCursor.objects.filter(name=jetstream.NAME).values_list(
        "position", flat=True).first() or 0
    feedback_event(agency.pk, 1)
    feedback_event(agency.pk, 2)
    assert run_consumer(jetstream.NAME) == 0
    cursor = ConsumerCursor.objects.get(name=jetstream.NAME)
    assert cursor.failures == 1 and "did not acknowledge" in cursor.last_error
    assert cursor.position == start
    settings.TINHSO_NATS_URL = good
    assert run_consumer(jetstream.NAME) == 2
    assert stream_count(good, f"{prefix}_FEEDBACK") == 2
