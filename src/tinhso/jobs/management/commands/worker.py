"""``tinhso worker``: run the job consumer (Huey) until stopped."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import autodiscover_modules


def _exit_with_parent(parent_pid: int) -> None:
    """Stop this worker when the process that started it is gone (even after SIGKILL)."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGINT)  # Huey: graceful shutdown

    threading.Thread(target=watch, name="tinhso-parent-watch", daemon=True).start()


class Command(BaseCommand):
    help = ("Chạy tiến trình xử lý tác vụ nền (Huey). Run the background job consumer: outbox "
            "dispatcher, periodic jobs, tasks.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--workers", type=int, default=None,
                            help="worker threads (default TINHSO_JOBS_WORKERS)")
        parser.add_argument("--no-periodic", action="store_true",
                            help="do not schedule the periodic jobs in this process")
        parser.add_argument("--parent-pid", type=int, default=None, help=argparse_hidden())

    def handle(self, *args: Any, workers: int | None, no_periodic: bool,
               parent_pid: int | None, **options: Any) -> None:
        from huey.consumer_options import ConsumerConfig
        from huey.contrib.djhuey import HUEY

        autodiscover_modules("tasks")
        values: dict[str, Any] = dict(settings.HUEY.get("consumer") or {})  # type: ignore[call-overload]
        if workers is not None:
            values["workers"] = workers
        if no_periodic:
            values["periodic"] = False
        # Poll an idle SQLite queue at most every second (the default backs off to 10 s).
        values.setdefault("max_delay", 1.0)
        if parent_pid:
            # Beside `tinhso serve` (make run): warnings only, not a line per job every minute.
            values.setdefault("verbose", False)
        config = ConsumerConfig(**values)
        config.validate()
        logger = logging.getLogger("huey")
        if not logger.handlers:
            config.setup_logger(logger)
            logger.propagate = False  # its own handler: each line once, not again via root
        if parent_pid:
            _exit_with_parent(parent_pid)
        storage = settings.HUEY.get("filename") or "Redis"
        self.stdout.write(f"tinhso worker: {values['workers']} luồng / threads, hàng đợi / queue "
                          f"{storage}, định kỳ / periodic {'on' if values['periodic'] else 'off'}")
        self.stdout.flush()
        HUEY.create_consumer(**config.values).run()


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS
