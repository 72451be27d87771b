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
