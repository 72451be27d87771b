"""`make run` starts the payment sandbox beside the server (`tinhso serve --payment-sandbox`),
and the public URL it sends citizens back to follows the port (`make run PORT=8123`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.processes import STARTUP_SECONDS, database_url, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_serve_starts_and_stops_the_payment_sandbox(transactional_db, tmp_path) -> None:
    port, sandbox_port = free_port(), free_port()
    public = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_VAR_DIR": str(tmp_path),
           "TINHSO_PUBLIC_URL": public, "DJANGO_SETTINGS_MODULE": "tinhso.settings"}
    tinhso = str(Path(sys.executable).with_name("tinhso"))
    proc = subprocess.Popen(  # noqa: S603
        [tinhso, "serve", "--port", str(port), "--no-worker", "--threads", "2",
         "--payment-sandbox", str(sandbox_port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS * 2
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the payment sandbox did not come up"
            try:
                page = httpx.get(f"http://127.0.0.1:{sandbox_port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert page.status_code < 500
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert "sandbox" in out and f"{public}" in out
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{sandbox_port}/", timeout=1)


def test_make_run_derives_the_public_url_from_the_port() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TINHSO_PUBLIC_URL", "TINHSO_VNPAY_URL", "MAKEFLAGS")}
    out = subprocess.run(  # noqa: S603
        ["make", "-n", "run", "PORT=8123"], cwd=ROOT, env=env, capture_output=True,  # noqa: S607
        text=True, check=False).stdout
    assert "--port 8123 --payment-sandbox 8100" in out
    assert "public URL: http://127.0.0.1:8123 " in out
    assert "payment sandbox: http://127.0.0.1:8100/paymentv2/vpcpay.html" in out
    env["TINHSO_PUBLIC_URL"] = "https://dichvucong.dongnai.gov.vn"
    out = subprocess.run(  # noqa: S603
        ["make", "-n", "run", "PORT=8123"], cwd=ROOT, env=env, capture_output=True,  # noqa: S607
        text=True, check=False).stdout
    assert "public URL: https://dichvucong.dongnai.gov.vn " in out
