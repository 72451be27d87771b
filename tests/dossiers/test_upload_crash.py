"""A server killed (SIGKILL) in the middle of storing a 12 MiB upload loses nothing and serves
no truncated file: after a restart the same upload is accepted and downloads whole.

On the old code the file was written in place under its hash: the kill left a short file under
the full file's name, the re-upload found the name taken and kept it, and the download returned
the truncated bytes (issue 9). The crash point is exact: ``tests.stall_writes`` stops the real
server process half-way through writing the file under MEDIA_ROOT, then the test kills it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.test import Client

from tests.dossiers.test_api import bearer
from tests.processes import database_url, free_port, serving, serving_process
from tinhso.dossiers.models import Attachment, Dossier

pytestmark = pytest.mark.slow
SIZE = 12 * 1024 * 1024
STALL_AFTER = 6 * 1024 * 1024
WAIT = 60  # seconds, for the stall marker (only a broken server takes that long)


def big_pdf() -> bytes:
    """12 MiB of a PDF whose padding is plain comment lines (no active-content markers)."""
    head = b"%PDF-1.4\n1 0 obj<<>>endobj\n"
    tail = b"trailer<<>>\n%%EOF\n"
    line = b"%" + b"0123456789abcdef" * 4 + b"\n"
    body = bytearray(head)
    n = 0
    while len(body) < SIZE - len(tail):
        body += b"%" + str(n).encode().rjust(8, b"0") + line[9:]
        n += 1
    return bytes(body[:SIZE - len(tail)]) + tail


def post(url: str, token: dict[str, str], procedure, agency, content: bytes,
         key: str) -> httpx.Response:
    payload = json.dumps({"procedure": procedure.code, "agency": agency.code,
                          "form_data": {"ho_ten": "Lê Văn Cường"}})
    return httpx.post(f"{url}/api/v1/dossiers/", timeout=WAIT,
                      headers={"Authorization": token["HTTP_AUTHORIZATION"],
                               "Idempotency-Key": key},
                      data={"payload": payload},
                      files={"to-khai": ("giay-to.pdf", content, "application/pdf")})


def test_kill_during_a_12_mib_upload_then_reupload_downloads_whole(
        transactional_db, citizen, procedure, agency, media_root, tmp_path):
    content = big_pdf()
    assert len(content) == SIZE
    sha = hashlib.sha256(content).hexdigest()
    token = bearer(citizen)
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_MEDIA_ROOT": media_root,
           "TINHSO_ALERT_SCAN_SECONDS": "0", "DJANGO_SETTINGS_MODULE": "tinhso.settings",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                          os.environ.get("PYTHONPATH", "")])}
    marker = tmp_path / "stalled"

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "tests.stall_writes", str(marker), str(STALL_AFTER),
            "serve", "--port", str(port), "--threads", "2"]
    with serving_process(argv, env, url) as proc:
        outcome: list[object] = []
        sender = threading.Thread(target=lambda: outcome.append(
            _attempt(url, token, procedure, agency, content)))
        sender.start()
        deadline = time.monotonic() + WAIT
        while not marker.exists():
            assert proc.poll() is None, "the server exited before the crash point"
            assert sender.is_alive() or marker.exists(), f"upload finished: {outcome}"
            assert time.monotonic() < deadline, "the server never reached the crash point"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(WAIT)
        sender.join(WAIT)
    assert int(marker.read_text()) == STALL_AFTER  # killed with half the file written
    assert isinstance(outcome[0], httpx.TransportError), outcome
    assert Dossier.objects.count() == 0
    # Never a short file under the full file's hash (at most a temporary file to sweep).
    target = Path(media_root) / "dossiers" / sha[:2] / sha
    assert not target.exists() or target.read_bytes() == content, target.stat().st_size

    port = free_port()
    with serving([sys.executable, "-m", "tinhso.cli", "serve", "--port", str(port),
                  "--threads", "2"], env, f"http://127.0.0.1:{port}") as url:
        response = post(url, token, procedure, agency, content, key="second")
    assert response.status_code == 201, response.text
    attachment = Attachment.objects.get()
    assert attachment.sha256 == sha and attachment.size == SIZE
    client = Client()
    client.force_login(citizen)
    download = client.get(f"/ho-so-cua-toi/{response.json()['code']}/tep/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    call_command("check_integrity", stdout=io.StringIO())  # raises on any fault


def _attempt(url: str, token, procedure, agency, content: bytes) -> object:
    try:
        return post(url, token, procedure, agency, content, key="first")
    except httpx.TransportError as exc:
        return exc
