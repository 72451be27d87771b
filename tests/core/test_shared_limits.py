"""Several `tinhso serve` processes share their rate limits through Redis.

Production runs several server processes (docs/operations.md); the per-address limits only hold
if they count in one place. Two real processes, real HTTP, a real Redis (the CI machine has one:
there this test fails rather than skips when Redis is missing). The contrast — each process
with its own memory — shows the test can tell the difference.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.processes import database_url, free_port, serving

pytestmark = pytest.mark.slow
REDIS_URL = os.environ.get("TINHSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.flushdb()  # a database of its own (15): the test starts from no counters
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis must be reachable in CI at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    return REDIS_URL


@contextmanager
def two_servers(cache_url: str) -> Iterator[list[str]]:
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_RATE_TRACK": "2/h",
           "TINHSO_ALERT_SCAN_SECONDS": "0", "TINHSO_CACHE_URL": cache_url,
           "DJANGO_SETTINGS_MODULE": "tinhso.settings"}
    tinhso = str(Path(sys.executable).with_name("tinhso"))
    with ExitStack() as stack:
        urls = []
        for _ in range(2):
            port = free_port()
            urls.append(stack.enter_context(serving(
                [tinhso, "serve", "--port", str(port), "--threads", "2"], env,
                f"http://127.0.0.1:{port}")))
        yield urls


def track(url: str) -> int:
    return httpx.post(f"{url}/api/v1/dossiers/track", timeout=10,
                      json={"code": "KHONG-CO", "id_number": "001203004567"}).status_code


def test_limits_hold_across_processes_with_redis(transactional_db, redis_url):
    with two_servers(redis_url) as (first, second):
        assert [track(first), track(first), track(second)] == [404, 404, 429]


def test_without_a_shared_cache_each_process_counts_alone(transactional_db):
    with two_servers("") as (first, second):
        assert [track(first), track(first), track(second)] == [404, 404, 404]
