"""Faults from outside the process, with nothing lost and the platform recovering by itself.

PostgreSQL restarted while citizens submit: a private PostgreSQL cluster (started by the test on
a free port), a real ``tinhso serve`` on it, clients submitting dossiers with files and an
Idempotency-Key, retrying the same key after an error as a client should. After the restart
every submission ends in exactly one dossier with its file; no request hangs. Runs in the
PostgreSQL pass of CI (needs root to start the cluster as the ``postgres`` user).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.dossiers.conftest import PDF_BYTES
from tests.processes import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def private_postgres(tmp_path):
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("runs in the PostgreSQL pass")
    if not (PG_BIN / "initdb").exists() or os.geteuid() != 0:
        pytest.fail("needs PostgreSQL 15 server binaries and root (to run them as postgres)")
    # Outside pytest's own temporary tree, which only root may enter.
    home = Path(tempfile.mkdtemp(prefix="tinhso-pg-"))
    data = home / "pgdata"
    data.mkdir()
    shutil.chown(home, "postgres")
    shutil.chown(data, "postgres")
    port = free_port()
    _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "log")]
    _as_postgres(*ctl, "-w", "start")
    import psycopg

    with psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/postgres",
                         autocommit=True) as conn:
        conn.execute("create database tinhso_fault")
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/tinhso_fault", ctl
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", *ctl, "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
def test_postgres_restart_during_submissions(private_postgres, tmp_path):
    url, ctl = private_postgres
    env = {**os.environ, "DATABASE_URL": url, "TINHSO_VAR_DIR": str(tmp_path / "var"),
           "TINHSO_MEDIA_ROOT": str(tmp_path / "var" / "media"),
           "TINHSO_ISSUE_DOCUMENTS": "false", "TINHSO_ALERT_SCAN_SECONDS": "0"}
    subprocess.run([sys.executable, "-m", "tinhso.cli", "migrate", "--noinput"], env=env,
                   cwd=ROOT, check=True, capture_output=True, timeout=600)
    setup = json.loads(subprocess.run(
        [sys.executable, "tests/core/scripts/fault_setup.py"], env=env, cwd=ROOT, check=True,
        capture_output=True, text=True, timeout=300).stdout.strip().splitlines()[-1])
    port = free_port()
    total, clients = 40, 4
    results: dict[str, str] = {}
    errors: list[int | str] = []
    lock = threading.Lock()
    payload = json.dumps({"procedure": setup["procedure"], "agency": setup["agency"],
                          "form_data": {"ho_ten": "Nguyễn Văn An"}})

    def submit(base: str, n: int) -> None:
        key = uuid.uuid4().hex
        content = PDF_BYTES + f"\n%{n}\n".encode()
        deadline = time.monotonic() + 120
        with httpx.Client(timeout=30) as http:
            while time.monotonic() < deadline:
                try:
                    reply = http.post(f"{base}/api/v1/dossiers/",
                                      headers={"Authorization": f"Bearer {setup['token']}",
                                               "Idempotency-Key": key},
                                      data={"payload": payload},
                                      files={"to-khai": ("to-khai.pdf", content,
                                                         "application/pdf")})
                except httpx.TransportError as exc:
                    with lock:
                        errors.append(type(exc).__name__)
                    time.sleep(0.3)
                    continue
                if reply.status_code == 201:
                    with lock:
                        results[key] = reply.json()["code"]
                    return
                assert reply.status_code >= 500, reply.text  # never a wrong 4xx
                with lock:
                    errors.append(reply.status_code)
                time.sleep(0.3)

    with serving([sys.executable, "-m", "tinhso.cli", "serve", "--port", str(port)], env,
                 f"http://127.0.0.1:{port}") as base:
        queue = list(range(total))

        def worker() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    n = queue.pop()
                submit(base, n)

        threads = [threading.Thread(target=worker) for _ in range(clients)]
        for t in threads:
            t.start()
        while len(results) < total // 4:
            time.sleep(0.05)
        _as_postgres(*ctl, "-m", "fast", "-w", "restart")
        for t in threads:
            t.join(180)

    assert len(results) == total, f"{total - len(results)} submissions never succeeded"
    assert len(set(results.values())) == total  # one dossier per submission, no duplicates
    check = json.loads(subprocess.run(
        [sys.executable, "tests/core/scripts/backup_check.py"], env=env, cwd=ROOT, check=True,
        capture_output=True, text=True, timeout=300).stdout.strip().splitlines()[-1])
    assert sorted(check["codes"]) == sorted(results.values())
    assert check["attachments"] == total and check["bad"] == []
