"""`tinhso serve --trusted-proxy`: the client address behind a reverse proxy.

Real HTTP to a real `tinhso serve` process: the per-address tracking rate limit (2 look-ups)
shows which address the application saw. Behind a trusted proxy each X-Forwarded-For client
counts for itself; without one, the header is ignored and a client cannot escape the limit by
inventing addresses.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.processes import database_url, free_port, serving

pytestmark = pytest.mark.slow


@contextmanager
def server(*extra: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_RATE_TRACK": "2/h",
           "TINHSO_ALERT_SCAN_SECONDS": "0", "TINHSO_TRUSTED_PROXY": "",
           "DJANGO_SETTINGS_MODULE": "tinhso.settings"}
    tinhso = Path(sys.executable).with_name("tinhso")
    with serving([str(tinhso), "serve", "--port", str(port), "--threads", "2", *extra], env,
                 f"http://127.0.0.1:{port}") as url:
        yield url


def track(url: str, client: str) -> int:
    return httpx.post(f"{url}/api/v1/dossiers/track", headers={"X-Forwarded-For": client},
                      json={"code": "KHONG-CO", "id_number": "001203004567"}, timeout=10
                      ).status_code


def test_behind_a_trusted_proxy_each_client_counts_for_itself(transactional_db):
    with server("--trusted-proxy", "127.0.0.1") as url:
        assert [track(url, "203.0.113.7") for _ in range(3)] == [404, 404, 429]
        assert track(url, "203.0.113.8") == 404  # another citizen is not throttled


def test_without_a_trusted_proxy_the_header_is_ignored(transactional_db):
    with server() as url:
        statuses = [track(url, f"203.0.113.{n}") for n in range(3)]
    assert statuses == [404, 404, 429]
