from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import start_cursors_at_end
from tests.webhooks.helpers import offline_resolve
from tests.webhooks.receiver import Receiver, start_receiver
from tinhso.core import outbound


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = start_receiver()
    yield rec
    rec.stop()


@pytest.fixture(autouse=True)
def _cursors_at_end(request: pytest.FixtureRequest) -> None:
    """Outbox ids are not reused after a rolled-back test (PostgreSQL sequences): start the
    consumers of this app after every id used so far."""
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames or any(
            m.name == "django_db" for m in request.node.iter_markers()):
        request.getfixturevalue("db")
        start_cursors_at_end(["webhooks", "jetstream"])


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The receivers of these tests listen on 127.0.0.1 (random ports): permit it explicitly,
    as an installation with internal receivers would."""
    settings.TINHSO_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    settings.TINHSO_OUTBOUND_PORTS = ["*"]
    monkeypatch.setattr(outbound, "resolve", offline_resolve)
