"""TINHSO_JOBS_RETRIES / TINHSO_JOBS_RETRY_DELAY reach the tasks enqueued one by one."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import django
django.setup()
from tinhso.documents.tasks import issue_document
from tinhso.notifications.tasks import deliver
for task in (deliver, issue_document):
    t = task.task_class
    print(t.default_retries, t.default_retry_delay, t.default_retry_backoff)
"""


def _policies(**env: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True,  # noqa: S603
                         text=True, env={**os.environ, **env}, timeout=120)
    return out.stdout.split("\n")[:2]


def test_the_settings_choose_the_retries_and_their_delay():
    assert _policies(TINHSO_JOBS_RETRIES="1", TINHSO_JOBS_RETRY_DELAY="5") == ["1 5 2"] * 2


def test_the_defaults_are_four_retries_from_thirty_seconds():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINHSO_JOBS_RETR")}
    out = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True,  # noqa: S603
                         text=True, env=env, timeout=120)
    assert out.stdout.split("\n")[:2] == ["4 30 2"] * 2
