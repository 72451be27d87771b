"""A server process and a worker process (real HTTP, real queue): nothing is lost.

Submissions over HTTP write dossier events and their outbox rows; the server has no job
consumer (``--no-worker``), so the facts stay empty until a ``tinhso worker`` process delivers
the outbox. The worker is then SIGKILLed in the middle of a transaction (PostgreSQL: blocked on
a fact row the test holds; SQLite: as soon as it has made progress), restarted, and everything
is applied exactly once: the "ioc" cursor counts each event once and ``ioc verify`` is clean.
Run with the SQLite queue, and with the Redis queue where Redis is (CI: required).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from django.db import connection, transaction

from tests import factories
from tests.dossiers.conftest import PDF_BYTES
from tests.processes import database_url, free_port, serving
from tinhso.accounts.models import ApiToken
from tinhso.accounts.tokens import generate_token, hash_token
from tinhso.ioc.facts import verify
from tinhso.ioc.models import MonthlyFact
from tinhso.outbox.models import ConsumerCursor, OutboxEvent

pytestmark = pytest.mark.slow
REDIS_URL = os.environ.get("TINHSO_TEST_JOBS_REDIS_URL", "redis://127.0.0.1:6379/4")
TINHSO = str(Path(sys.executable).with_name("tinhso"))
WAIT = 60  # seconds any single wait may take before the test fails


def redis_queue() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis must be reachable in CI at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def env(request, transactional_db, tmp_path) -> dict[str, str]:
    jobs_url = redis_queue() if request.param == "redis-queue" else ""
    return {**os.environ, "DATABASE_URL": database_url(), "TINHSO_VAR_DIR": str(tmp_path),
            "TINHSO_ALERT_SCAN_SECONDS": "0", "TINHSO_JOBS_URL": jobs_url,
            "TINHSO_DEBUG": "false", "DJANGO_SETTINGS_MODULE": "tinhso.settings"}


@contextmanager
def worker(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    # Output goes to a file, not a pipe nobody reads while the test runs: a worker that logs
    # more than the pipe holds (a queue outage logs an error per poll) would block on a write.
    with tempfile.TemporaryFile(mode="w+") as output:
        proc = subprocess.Popen([TINHSO, "worker", "--workers", "2"], env=env,  # noqa: S603
                                text=True, stdout=output, stderr=subprocess.STDOUT)
        proc.output = output  # type: ignore[attr-defined]
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def worker_output(proc: subprocess.Popen[str]) -> str:
    output = getattr(proc, "output", None)
    if output is None:
        return ""
    output.seek(0)
    return output.read()[-5000:]


def wait_for(condition, what: str, proc: subprocess.Popen[str] | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the worker exited ({proc.returncode}) before {what}: "
                        f"{worker_output(proc)}")
        if time.monotonic() > deadline:
            out = ""
            if proc is not None:
                proc.kill()
                proc.wait()
                out = worker_output(proc)
            pytest.fail(f"timed out waiting for {what}; worker: {out}")
        time.sleep(0.02)


def delivered() -> int:
    cursor = ConsumerCursor.objects.filter(name="ioc").first()
    return cursor.delivered if cursor else 0


def dossier_events() -> int:
    return OutboxEvent.objects.filter(type__startswith="dossier.").count()


def token_for(user) -> str:
    raw = generate_token()
    ApiToken.objects.create(user=user, name="test", prefix=raw[:12], key_hash=hash_token(raw))
    return raw


def submit_and_receive(base: str, tokens: tuple[str, str], procedure, agency, n: int) -> None:
    """n dossiers submitted by the citizen and received by the officer: 2n events, and the
    receptions count in the facts."""
    citizen, receiver = tokens
    for _ in range(n):
        response = httpx.post(
            f"{base}/api/v1/dossiers/", headers={"Authorization": f"Bearer {citizen}"},
            data={"payload": json.dumps({"procedure": procedure.code, "agency": agency.code,
                                         "form_data": {"ho_ten": "Nguyễn Văn An"}})},
            files={"to-khai": ("to-khai.pdf", PDF_BYTES, "application/pdf")}, timeout=30)
        assert response.status_code == 201, response.text
        code = response.json()["code"]
        response = httpx.post(f"{base}/api/v1/dossiers/{code}/actions/receive", json={},
                              headers={"Authorization": f"Bearer {receiver}"}, timeout=30)
        assert response.status_code == 200, response.text


def blocked_by_us() -> bool:
    with connection.cursor() as c:
        # Inside a transaction pg_stat_activity is a snapshot taken once: take a fresh one.
        c.execute("SELECT pg_stat_clear_snapshot()")
        c.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND pg_backend_pid() = ANY(pg_blocking_pids(pid))")
        return bool(c.fetchone()[0])


def test_server_and_worker_lose_nothing_when_the_worker_is_killed(env):
    province = factories.make_province()
    agency = factories.make_agency(unit=province)
    procedure = factories.make_procedure(agencies=[agency])
    tokens = (token_for(factories.make_citizen()),
              token_for(factories.make_official(agency, "receiver")))
    port = free_port()
    with serving([TINHSO, "serve", "--port", str(port), "--threads", "4", "--no-worker"], env,
                 f"http://127.0.0.1:{port}") as base:
        submit_and_receive(base, tokens, procedure, agency, 3)
        assert dossier_events() == 6 and delivered() == 0  # no fact written by the requests
        assert not MonthlyFact.objects.exists()
        with worker(env) as proc:
            wait_for(lambda: delivered() == 6, "the first wave's facts", proc)
        assert MonthlyFact.objects.filter(agency_id=agency.pk).exists()
        submit_and_receive(base, tokens, procedure, agency, 4)  # queued; no worker running
    assert dossier_events() == 14 and delivered() == 6

    if connection.vendor == "postgresql":
        # Hold this month's fact rows: the worker's next event that counts writes its daily
        # fact, then waits on the monthly one inside its transaction, where it is killed.
        with transaction.atomic():
            list(MonthlyFact.objects.select_for_update().filter(agency_id=agency.pk))
            with worker(env) as proc:
                wait_for(blocked_by_us, "the worker to block mid-transaction", proc)
                before = delivered()
                proc.kill()
                proc.wait()
        assert 6 <= before < 14
        assert delivered() == before  # the killed transaction left nothing behind
    else:
        with worker(env) as proc:
            wait_for(lambda: delivered() > 6, "progress before the kill", proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    with worker(env) as proc:
        wait_for(lambda: delivered() == 14, "every event after the restart", proc)
    assert delivered() == 14
    assert verify() == []
    cursor = ConsumerCursor.objects.get(name="ioc")
    assert cursor.position == OutboxEvent.objects.order_by("-id").first().pk
