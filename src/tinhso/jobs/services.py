"""Failed jobs: recorded by a Huey signal handler, retried on an operator's request."""

from __future__ import annotations

import json
import logging
import traceback as tb
from typing import Any

from django.db import transaction
from django.utils import timezone

from tinhso.core.errors import Conflict, NotFound
from tinhso.jobs.models import JobFailure

logger = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def on_task_error(signal: str, task: Any, exc: BaseException | None = None) -> None:
    """Huey SIGNAL_ERROR: keep the failure once the task has no retry left."""
    if task.retries:
        return  # Huey will run it again
    from huey.contrib.djhuey import HUEY

    try:
        JobFailure.objects.create(
            task_name=HUEY._registry.task_to_string(type(task)), task_id=str(task.id),
            args=[_jsonable(a) for a in (task.args or ())],
            kwargs={k: _jsonable(v) for k, v in (task.kwargs or {}).items()},
            error=f"{type(exc).__name__}: {exc}"[:2000] if exc else "",
            traceback="".join(tb.format_exception(exc))[-8000:] if exc else "",
            attempts=getattr(task, "default_retries", 0) + 1, failed_at=timezone.now(),
        )
    except Exception:  # never let bookkeeping break the consumer
        logger.exception("Could not record the failure of job %s", task.name)


@transaction.atomic
def job_retry(*, acting_user: Any, failure_id: int) -> JobFailure:
    """Enqueue the failed job again with the same arguments (an operator's action)."""
    from huey.contrib.djhuey import HUEY

    failure = JobFailure.objects.select_for_update().filter(pk=failure_id).first()
    if failure is None:
        raise NotFound("Không tìm thấy tác vụ lỗi.", "No such failed job.", {"id": failure_id})
    if failure.retried_at is not None:
        raise Conflict("JOB_ALREADY_RETRIED", "Tác vụ này đã được chạy lại.",
                       "This job was already retried.", {"id": failure_id})
    try:
        task_class = HUEY._registry.string_to_task(failure.task_name)
    except Exception as exc:
        raise NotFound("Tác vụ không còn tồn tại.", "The task no longer exists.",
                       {"task": failure.task_name}) from exc
    task = task_class(tuple(failure.args), dict(failure.kwargs))
    failure.retried_at = timezone.now()
    failure.save(update_fields=["retried_at"])
    transaction.on_commit(lambda: HUEY.enqueue(task))
    logger.info("Job %s (%s) retried by %s", failure.task_name, failure.pk, acting_user)
    return failure
