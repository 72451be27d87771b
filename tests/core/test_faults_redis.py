"""Redis restarted while jobs run: nothing lost, the platform recovers by itself.

A private ``redis-server`` (no persistence: a restart loses every queued message, the worst
case) carries the job queue of a real ``tinhso serve`` (no consumer of its own) and a real
``tinhso worker``. Citizens submit and officers receive over HTTP before, during and after the
outage. Requests never fail because the queue is down (jobs are not on the request path), and
once Redis is back the worker's periodic dispatcher applies every event exactly once and signs
every form 01: the outbox and the job rows, not the queue, are the record.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests import factories
from tests.outbox.test_processes import (
    TINHSO,
    delivered,
    dossier_events,
    submit_and_receive,
    token_for,
    worker,
    worker_output,
)
from tests.processes import database_url, free_port, serving
from tests.signatures import pkihelpers
from tinhso.documents.models import DocumentJob, IssueState

pytestmark = pytest.mark.slow
REDIS_SERVER = Path("/usr/bin/redis-server")


@contextmanager
def private_redis(port: int) -> Iterator[subprocess.Popen[bytes]]:
    if not REDIS_SERVER.exists():
        pytest.fail("needs redis-server (Debian package redis-server)")
    proc = subprocess.Popen([str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1",  # noqa: S603
                             "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(port=port, socket_connect_timeout=1).ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("the private redis-server did not start")
                time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_long(condition, what: str, proc: subprocess.Popen[str], seconds: int = 180) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the worker exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}: {delivered()} events applied, "
                        f"{forms_signed()} forms signed, "
                        f"{list(DocumentJob.objects.values_list('form', 'state', 'reason'))}; "
                        f"worker: {worker_output(proc)}")
        time.sleep(0.2)


def forms_signed() -> int:
    return DocumentJob.objects.filter(form="01", state=IssueState.SIGNED).count()


def test_redis_restart_during_jobs_loses_nothing(transactional_db, tmp_path):
    redis_port, web_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_VAR_DIR": str(tmp_path),
           "TINHSO_ALERT_SCAN_SECONDS": "0", "TINHSO_DEBUG": "false",
           "TINHSO_JOBS_URL": f"redis://127.0.0.1:{redis_port}/0",
           "DJANGO_SETTINGS_MODULE": "tinhso.settings"}
    pkihelpers.init_pki()  # forms 01 are signed by the worker
    province = factories.make_province()
    agency = factories.make_agency(unit=province)
    procedure = factories.make_procedure(agencies=[agency])
    tokens = (token_for(factories.make_citizen()),
              token_for(factories.make_official(agency, "receiver")))
    base = f"http://127.0.0.1:{web_port}"
    with ExitStack() as stack:
        redis_proc = stack.enter_context(private_redis(redis_port))
        stack.enter_context(serving([TINHSO, "serve", "--port", str(web_port), "--threads", "4",
                                     "--no-worker"], env, base))
        proc = stack.enter_context(worker(env))
        submit_and_receive(base, tokens, procedure, agency, 2)
        wait_long(lambda: delivered() == 4 and forms_signed() == 2, "the first wave", proc)
        redis_proc.send_signal(signal.SIGKILL)
        redis_proc.wait()
        # Redis is gone: requests still succeed (submit_and_receive asserts 201/200).
        submit_and_receive(base, tokens, procedure, agency, 2)
        # Every request committed its events; a dispatch already taken from the queue before
        # the kill may still apply a few of them, the rest wait for the queue's return.
        assert dossier_events() == 8 and 4 <= delivered() <= 8
        time.sleep(2)
        assert proc.poll() is None, "the worker must survive the queue's outage"
        with private_redis(redis_port):  # back, empty: every queued message is lost
            # The consumer reconnects by itself; its scheduler enqueues the dispatcher at the
            # next minute, which applies the events the lost messages were about.
            wait_long(lambda: delivered() == 8 and forms_signed() == 4,
                      "the worker to catch up after Redis came back", proc)
            submit_and_receive(base, tokens, procedure, agency, 1)
            wait_long(lambda: delivered() == 10 and forms_signed() == 5, "the last wave", proc)
    assert DocumentJob.objects.filter(form="01").count() == 5  # exactly one form per reception
