"""A small in-process runner for periodic jobs (a daemon thread per job).

For jobs whose every run is idempotent, so that several server processes running the same job
side by side do no harm (the IOC alert scan: its notifications are unique per event). Each run
gets fresh database connections; a failing run is logged and the next one happens on time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections

logger = logging.getLogger(__name__)


def run_every(seconds: float, job: Callable[[], object], stop: threading.Event, *,
              name: str) -> None:
    """Run ``job`` now and then every ``seconds`` until ``stop`` is set."""
    while not stop.is_set():
        try:
            job()
        except Exception:
            logger.exception("Periodic job %s failed; retrying in %s s.", name, seconds)
        finally:
            # This thread's connections: never left open (or broken) between runs.
            connections.close_all()
        if stop.wait(seconds):
            break


@dataclass
class PeriodicJob:
    name: str
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float | None = None) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


def start_periodic(seconds: float, job: Callable[[], object], *, name: str
                   ) -> PeriodicJob | None:
    """Start ``job`` in a daemon thread (it dies with the process); ``None`` when
    ``seconds`` is 0 (disabled)."""
    if seconds <= 0:
        return None
    stop = threading.Event()
    thread = threading.Thread(target=run_every, args=(seconds, job, stop),
                              kwargs={"name": name}, name=f"tinhso-{name}", daemon=True)
    thread.start()
    return PeriodicJob(name, thread, stop)
