"""Failed jobs: kept after the last retry with their error, listed and retried (CLI, admin)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from huey.contrib.djhuey import db_task

from tinhso.jobs.models import JobFailure

pytestmark = pytest.mark.django_db
RUNS: list[tuple[int, str]] = []
BROKEN = {"yes": True}


@db_task(retries=2)
def flaky(n: int, *, label: str) -> None:
    RUNS.append((n, label))
    if BROKEN["yes"]:
        raise RuntimeError(f"the gateway is down ({n})")


@pytest.fixture(autouse=True)
def _reset():
    RUNS.clear()
    BROKEN["yes"] = True


def test_a_job_failing_after_its_retries_is_kept_once():
    flaky(7, label="a")
    assert RUNS == [(7, "a")] * 3  # the first run and two retries
    failure = JobFailure.objects.get()
    assert failure.task_name == "tests.jobs.test_failures.flaky"
    assert (failure.args, failure.kwargs, failure.attempts) == ([7], {"label": "a"}, 3)
    assert failure.error == "RuntimeError: the gateway is down (7)"
    assert "Traceback" in failure.traceback and failure.retried_at is None


def test_list_and_retry_from_the_command_line(capsys, django_capture_on_commit_callbacks):
    flaky(1, label="b")
    failure = JobFailure.objects.get()
    call_command("jobs", "failed")
    assert f"#{failure.pk}" in capsys.readouterr().out
    BROKEN["yes"] = False
    RUNS.clear()
    with django_capture_on_commit_callbacks(execute=True):  # queued once the retry commits
        call_command("jobs", "retry", str(failure.pk))
    assert RUNS == [(1, "b")]  # ran again (immediate mode), and succeeded
    failure.refresh_from_db()
    assert failure.retried_at is not None
    call_command("jobs", "failed")
    assert "no failed jobs" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("jobs", "retry", str(failure.pk))  # already retried: 409, nothing runs
    assert "JOB" not in capsys.readouterr().out and RUNS == [(1, "b")]
    with pytest.raises(CommandError):
        call_command("jobs", "retry", "999999")


def test_retry_from_the_admin(admin_user, django_capture_on_commit_callbacks):
    flaky(2, label="c")
    failure = JobFailure.objects.get()
    BROKEN["yes"] = False
    RUNS.clear()
    client = Client()
    client.force_login(admin_user)
    listing = client.get("/admin/jobs/jobfailure/")
    assert listing.status_code == 200 and "the gateway is down" in listing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/jobs/jobfailure/", {
            "action": "retry", "_selected_action": [failure.pk]}, follow=True)
    assert response.status_code == 200 and RUNS == [(2, "c")]
    assert JobFailure.objects.get().retried_at is not None
