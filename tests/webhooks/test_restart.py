"""A real ``tinhso worker`` delivers the outbox to a webhook receiver and to NATS JetStream; it
is SIGKILLed mid-way and restarted: every event arrives (webhooks: at least once, the
receiver de-duplicates by ``webhook-id``; JetStream: exactly once in the stream, thanks to the
cursor moving only after the ack and ``Nats-Msg-Id`` de-duplication)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import start_cursors_at_end
from tests.processes import database_url
from tests.webhooks.helpers import LOCAL_RECEIVERS, feedback_event
from tests.webhooks.natshelpers import delete_streams, require_nats, stream_count, unique_prefix
from tests.webhooks.receiver import start_receiver
from tinhso.outbox.models import ConsumerCursor
from tinhso.webhooks import services

pytestmark = pytest.mark.slow
TINHSO = str(Path(sys.executable).with_name("tinhso"))
N = 40
WAIT = 90


def _wait(cond: Callable[[], bool], what: str, proc: subprocess.Popen[str] | None) -> None:
    deadline = time.monotonic() + WAIT
    while not cond():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"worker exited before {what}: {proc.stdout.read() if proc.stdout else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([TINHSO, "worker", "--workers", "2"], env=env, text=True,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_nothing_is_lost_across_a_worker_restart(transactional_db, tmp_path, agency) -> None:
    url = require_nats()
    prefix = unique_prefix()
    receiver = start_receiver()
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_VAR_DIR": str(tmp_path),
           "TINHSO_ALERT_SCAN_SECONDS": "0", "TINHSO_JOBS_URL": "", "TINHSO_DEBUG": "false",
           "TINHSO_NATS_URL": url, "TINHSO_NATS_PREFIX": prefix,
           "TINHSO_LGSP_STH_SECONDS": "0", "DJANGO_SETTINGS_MODULE": "tinhso.settings",
           **LOCAL_RECEIVERS}
    proc = None
    try:
        start_cursors_at_end(["webhooks", "jetstream"])
        created = services.subscription_create(acting_user=None, name="bên nhận",
                                               url=receiver.url,
                                               event_types=["feedback.received"])
        receiver.secrets.append(created.secret)
        events = [feedback_event(agency.pk, n) for n in range(N)]
        wanted = {f"msg_{e.event_id.hex}" for e in events}

        def ids() -> set[str]:
            return {m.headers["webhook-id"] for m in receiver.messages}

        proc = _worker(env)
        _wait(lambda: len(receiver.messages) >= 5, "the first deliveries", proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc = _worker(env)
        _wait(lambda: ids() == wanted, "every webhook", proc)
        _wait(lambda: ConsumerCursor.objects.filter(
            name="jetstream", position__gte=events[-1].pk).exists(), "every publish", proc)
        assert stream_count(url, f"{prefix}_FEEDBACK") == N
        assert all(m.valid_for for m in receiver.messages)
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        receiver.stop()
        delete_streams(url, prefix)
