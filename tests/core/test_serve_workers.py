"""`tinhso serve --workers N`: N server processes on one port, a job consumer beside them, and
all of them gone when serve is stopped (SIGTERM, as systemd does)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests import factories
from tests.outbox.test_processes import delivered, submit_and_receive, token_for, wait_for
from tests.processes import STARTUP_SECONDS, database_url, free_port

pytestmark = pytest.mark.slow


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process tree from /proc")
def test_several_servers_and_a_consumer_start_and_stop_together(transactional_db, tmp_path):
    agency = factories.make_agency(unit=factories.make_province())
    procedure = factories.make_procedure(agencies=[agency])
    tokens = (token_for(factories.make_citizen()),
              token_for(factories.make_official(agency, "receiver")))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_VAR_DIR": str(tmp_path),
           "TINHSO_ALERT_SCAN_SECONDS": "0", "TINHSO_JOBS_URL": "",
           "DJANGO_SETTINGS_MODULE": "tinhso.settings"}
    tinhso = str(Path(sys.executable).with_name("tinhso"))
    proc = subprocess.Popen([tinhso, "serve", "--port", str(port), "--workers", "2",  # noqa: S603
                             "--threads", "2"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS * 2
        pids: set[int] = set()
        while len(pids) < 3 or not _healthy(port):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "serve --workers 2 did not come up"
            pids = children(proc.pid)
            time.sleep(0.1)
        assert len(pids) == 3  # two servers sharing the port and one job consumer
        assert all(_healthy(port) for _ in range(10))
        # The consumer beside the servers delivers the outbox: the IOC facts follow at once.
        submit_and_receive(f"http://127.0.0.1:{port}", tokens, procedure, agency, 2)
        wait_for(lambda: delivered() == 4, "the embedded consumer to apply the events")
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
        assert "2 tiến trình máy chủ" in out and "Tác vụ nền chạy kèm" in out
        assert not any(alive(pid) for pid in pids), "a child outlived serve"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
