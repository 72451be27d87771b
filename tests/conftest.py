"""Shared fixtures. Every test runs against a real database (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

import os

import pytest

from tests import factories


def pytest_configure(config: pytest.Config) -> None:
    # In CI, a DATABASE_URL that points at PostgreSQL must really be PostgreSQL: fail, never skip.
    url = os.environ.get("DATABASE_URL", "")
    if os.environ.get("CI") and url.startswith("postgres"):
        import psycopg

        try:
            psycopg.connect(url, connect_timeout=5).close()
        except psycopg.OperationalError as exc:
            raise pytest.UsageError(f"PostgreSQL at {url} is unreachable: {exc}") from exc


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Full-strength PBKDF2 costs ~0.3 s per user; tests check behaviour, not hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters (tinhso.core.ratelimit) live in the cache, shared by every test of the
    # process: each test starts with none, so limits never leak from one test into another.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_lookup_caches():
    # The per-process lookup caches (tinhso.core.lookupcache) are keyed by generation numbers
    # that each test's rollback takes back: start every test with none, as a new process would.
    from tinhso.core import lookupcache

    lookupcache.clear()
    yield
    lookupcache.clear()


@pytest.fixture(autouse=True, scope="session")
def _jobs_run_at_once():
    # Huey's immediate mode: a task runs when it is enqueued, in the test's thread. Tests that
    # need a real worker start a `tinhso worker` process (tests/outbox/test_processes.py).
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    HUEY.immediate = False


@pytest.fixture(autouse=True)
def _outbox_cursors_at_end(request):
    """PostgreSQL keeps its sequences when a test's transaction rolls back, so every test would
    start with a gap in the outbox ids before its first event, which the dispatcher must wait
    out (tinhso.outbox.dispatch). Each test's consumers start after the ids already used."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        return
    from django.db import connection

    if not connection.settings_dict["ENGINE"].endswith("postgresql"):
        return
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and (marker.kwargs.get("transaction") or (marker.args[:1] == (True,))))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from tinhso.outbox.registry import consumer_names

    start_cursors_at_end(consumer_names())


def start_cursors_at_end(names) -> None:
    """Put the consumers' cursors after every outbox id used so far (PostgreSQL)."""
    from django.db import connection

    from tinhso.outbox.models import ConsumerCursor

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute("SELECT last_value, is_called FROM outbox_outboxevent_id_seq")
        last, called = cur.fetchone()
    position = last if called else last - 1
    for name in names:
        ConsumerCursor.objects.update_or_create(name=name, defaults={"position": position})


@pytest.fixture
def drain():
    """Deliver the outbox to its consumers now (what the worker does within seconds)."""
    from tinhso.outbox.dispatch import drain_outbox

    return drain_outbox


@pytest.fixture
def province(db):
    return factories.make_province()


@pytest.fixture
def agency(db, province):
    return factories.make_agency(unit=province)


@pytest.fixture
def other_agency(db, province):
    return factories.make_agency(unit=province, code="000.00.99.H10", name="Sở Khác")


@pytest.fixture
def citizen(db):
    return factories.make_citizen()


@pytest.fixture
def procedure(db, agency):
    return factories.make_procedure(agencies=[agency])
