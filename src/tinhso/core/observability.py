"""Watching the platform: a request id on every request and log line, one JSON log line per
request, and Prometheus metrics of requests by route.

The request id comes from a trusted ``X-Request-Id`` (letters, digits, ``-``, up to 64) or is
made here; it is echoed in the response, put on every log record of the request (``request_id``)
and handed to jobs and outgoing calls through ``current_request_id()``. Log lines carry ids only
(user id, never a name, an ID number or a body): personal data stays out of the logs.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")
request_logger = logging.getLogger("tinhso.request")

REQUESTS = Counter("tinhso_http_requests_total", "HTTP requests by route, method and status",
                   ["route", "method", "status"])
LATENCY = Histogram("tinhso_http_request_duration_seconds", "HTTP request duration by route",
                    ["route", "method"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


SIGNING = Histogram("tinhso_signing_duration_seconds",
                    "Time to add one PAdES signature to a PDF", ["level"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
VERIFYING = Histogram("tinhso_verification_duration_seconds",
                      "Time to verify an uploaded PDF's signatures", ["path"],
                      buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def current_request_id() -> str:
    return _request_id.get()


@contextlib.contextmanager
def bound_request_id(rid: str | None) -> Iterator[None]:
    """Run a job's work under the request id that caused it (kept on the outbox event or passed
    with the task), so the worker's log lines and outgoing calls carry the request's id."""
    if not rid or not _VALID_ID.match(rid):
        yield
        return
    token = _request_id.set(rid)
    try:
        yield
    finally:
        _request_id.reset(token)


def outgoing_headers() -> dict[str, str]:
    """Headers for a call to another system made while serving a request: its request id, so
    the other side's logs and ours can be joined (empty in a job without a request)."""
    rid = _request_id.get()
    return {"X-Request-Id": rid} if rid else {}


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"  # 404s: never the raw path (unbounded label values)
    return "/" + (match.route or match.view_name or "?").lstrip("^")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-Id", "")
        rid = given if _VALID_ID.match(given) else uuid.uuid4().hex
        token = _request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        took = time.perf_counter() - started
        response["X-Request-Id"] = rid
        route = _route(request)
        REQUESTS.labels(route, request.method or "?", str(response.status_code)).inc()
        LATENCY.labels(route, request.method or "?").observe(took)
        user = getattr(request, "user", None)
        request_logger.info("request", extra={
            "request_id": rid, "route": route, "method": request.method,
            "status": response.status_code, "duration_ms": round(took * 1000, 1),
            "user_id": getattr(user, "pk", None) if getattr(user, "is_authenticated", False)
            else None})
        return response


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get()
        return True


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message",
                                                                              "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and the extras."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)
