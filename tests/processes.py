"""Start a tinhso command as a real server process for a test, and stop it afterwards.

Used where the point of a test is real HTTP between processes (the payment gateway sandbox, the
remote-signing sandbox): a Django test client would hide the wire.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx
import pytest
from django.db import connection

STARTUP_SECONDS = 30


def database_url() -> str:
    """The test database as a URL, for a second process (it sees committed rows only)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(argv: Sequence[str], env: dict[str, str], base_url: str) -> Iterator[str]:
    """Run ``argv`` until it answers ``GET {base_url}/healthz`` with 200; yield ``base_url``.

    The test fails (not skips) when the process exits or does not listen in time, with what it
    printed; the process is terminated (killed if it hangs) whatever the test does.
    """
    with serving_process(argv, env, base_url):
        yield base_url


@contextmanager
def serving_process(argv: Sequence[str], env: dict[str, str], base_url: str
                    ) -> Iterator[subprocess.Popen[str]]:
    """Like ``serving`` but yields the process itself (for tests that kill it)."""
    # Output goes to a file, not a pipe: nobody reads a pipe while the test runs, and a server
    # that logs more than the pipe's 64 KiB (every 4xx is a warning) blocked on its next write,
    # holding its worker threads.
    with tempfile.TemporaryFile(mode="w+") as output:
        proc = subprocess.Popen(list(argv), env=env, stdout=output, stderr=subprocess.STDOUT,
                                text=True)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if proc.poll() is not None:
                    output.seek(0)
                    pytest.fail(f"{argv[1:]} exited ({proc.returncode}): "
                                f"{output.read()[-5000:]}")
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{argv[1:]} did not start listening within {STARTUP_SECONDS} s")
                time.sleep(0.1)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
