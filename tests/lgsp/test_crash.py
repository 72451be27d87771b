"""A gateway process killed (SIGKILL) in the middle of traffic loses nothing: every answer a
client received in full is in the log, the log stays gap-free and verifiable, and a restarted
server goes on appending after it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.lgsp.conftest import CLIENT_ID, SERVICE_ID, build_world
from tests.processes import database_url, free_port
from tinhso.lgsp import messagelog
from tinhso.lgsp.models import LogEntry, LogState
from tinhso.lgsp.verify import verify_log

pytestmark = pytest.mark.slow


def start_server(port: int) -> subprocess.Popen:  # type: ignore[type-arg]
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_ALERT_SCAN_SECONDS": "0",
           "TINHSO_LGSP_RATE": "off", "DJANGO_SETTINGS_MODULE": "tinhso.settings"}
    tinhso = str(Path(sys.executable).with_name("tinhso"))
    proc = subprocess.Popen([tinhso, "serve", "--port", str(port), "--threads", "4"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):  # bounded: ~30 s
        if proc.poll() is not None:
            pytest.fail("tinhso serve exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("tinhso serve did not start")


def test_sigkill_mid_traffic_loses_no_answered_exchange(transactional_db, provider_url
                                                        ) -> None:
    world = build_world(provider_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}/lgsp/r1/{SERVICE_ID}/echo/1"
    headers = {"X-Road-Client": CLIENT_ID, "Authorization": f"Bearer {world.token}",
               "Content-Type": "application/octet-stream"}
    body = os.urandom(64 * 1024)
    answered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(t: int) -> None:
        with httpx.Client(timeout=20) as http:
            for i in range(300):  # bounded
                if stop.is_set():
                    return
                xid = f"t{t}-{i}"
                try:
                    r = http.post(url, content=body, headers={**headers, "X-Road-Id": xid})
                except httpx.TransportError:
                    return
                if r.status_code == 200 and r.json()["length"] == len(body):
                    with lock:
                        answered.append(xid)

    server = start_server(port)
    threads = [threading.Thread(target=client, args=(t,)) for t in range(4)]
    try:
        for t in threads:
            t.start()
        for _ in range(600):  # bounded: ~30 s
            if len(answered) >= 25:
                break
            time.sleep(0.05)
        server.kill()  # SIGKILL: no clean-up, transactions cut wherever they are
        server.wait(10)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        if server.poll() is None:
            server.kill()
    assert len(answered) >= 25
    logged = set(LogEntry.objects.values_list("x_road_id", flat=True))
    assert set(answered) <= logged, set(answered) - logged
    report = verify_log()
    assert report.ok, report.problems
    size = LogState.objects.get().tree_size
    assert report.leaves == size == len(logged)
    # A new server carries on after the last committed leaf.
    server = start_server(port)
    try:
        r = httpx.post(url, content=b"after", headers={**headers, "X-Road-Id": "after"},
                       timeout=20)
        assert r.status_code == 200
    finally:
        server.terminate()
        server.wait(10)
    assert LogEntry.objects.get(x_road_id="after").index == size
    messagelog.sth_publish()
    assert verify_log().ok
