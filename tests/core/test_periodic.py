"""The in-process periodic runner: runs, survives failures, closes connections, stops."""

from __future__ import annotations

import logging
import threading

import pytest

from tinhso.core import periodic


class FakeConnections:
    def __init__(self) -> None:
        self.closed = 0

    def close_all(self) -> None:
        self.closed += 1


@pytest.fixture
def fake_connections(monkeypatch):
    fake = FakeConnections()
    monkeypatch.setattr(periodic, "connections", fake)
    return fake


def test_runs_until_stopped_and_survives_failures(fake_connections, caplog):
    stop = threading.Event()
    calls: list[int] = []

    def job() -> None:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("database went away")
        if len(calls) == 4:
            stop.set()

    with caplog.at_level(logging.ERROR, logger="tinhso.core.periodic"):
        periodic.run_every(0.001, job, stop, name="test-job")
    assert calls == [0, 1, 2, 3]  # the failure did not end the loop
    assert fake_connections.closed == 4  # after every run, the failed one too
    assert [r.getMessage() for r in caplog.records] == [
        "Periodic job test-job failed; retrying in 0.001 s."]
    assert caplog.records[0].exc_info[0] is RuntimeError


def test_stopped_before_start_runs_nothing(fake_connections):
    stop = threading.Event()
    stop.set()
    periodic.run_every(0.001, lambda: pytest.fail("ran"), stop, name="never")
    assert fake_connections.closed == 0


def test_thread_runs_the_job_and_stops(fake_connections):
    ran = threading.Event()
    job = periodic.start_periodic(3600, ran.set, name="thread-test")
    assert job is not None and job.thread.daemon
    assert ran.wait(10)  # the first run happens at once, not after the interval
    job.stop(timeout=10)  # wakes the thread from its hour-long wait
    assert not job.thread.is_alive()


def test_zero_seconds_disables():
    assert periodic.start_periodic(0, lambda: None, name="off") is None
