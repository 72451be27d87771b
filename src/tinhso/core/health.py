"""Probes and metrics for operators: ``/healthz`` (alive), ``/readyz`` (can serve),
``/metrics`` (Prometheus).

``/readyz`` checks the database, the cache, the disk space of ``TINHSO_VAR_DIR`` and that the
issuing CA's key can be loaded; the public answer says only ok or not (200 / 503). The details
(which check failed and why) need the operators' token, like ``/metrics``, which is off unless
``TINHSO_METRICS_TOKEN`` is set (then ``Authorization: Bearer <token>``).
"""

from __future__ import annotations

import hmac
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tinhso.settings import env_int, env_str

_CA_CHECK_TTL = 60.0
_ca_checked: dict[str, Any] = {"at": 0.0, "ok": False, "detail": ""}


def health(request: HttpRequest) -> JsonResponse:
    """Liveness probe; also the trivial baseline endpoint of the benchmarks."""
    return JsonResponse({"status": "ok"})


def _operator(request: HttpRequest) -> bool:
    token = env_str("TINHSO_METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_cache() -> str:
    cache.set("tinhso:readyz", "1", 10)
    if cache.get("tinhso:readyz") != "1":
        raise RuntimeError("the cache did not keep a value")
    return "ok"


def _check_disk() -> str:
    free = shutil.disk_usage(settings.VAR_DIR).free // (1024 * 1024)
    minimum = env_int("TINHSO_READY_MIN_FREE_MB", 500)
    if free < minimum:
        raise RuntimeError(f"{free} MB free under {settings.VAR_DIR} (minimum {minimum} MB)")
    return f"{free} MB free"


def _check_ca_key() -> str:
    """The issuing CA's key loads (passphrase right, token reachable); cached for a minute."""
    now = time.monotonic()
    if now - _ca_checked["at"] > _CA_CHECK_TTL:
        from tinhso.signatures.services import active_issuing_ca, ca_key

        try:
            ca_key(active_issuing_ca())
            _ca_checked.update(ok=True, detail="ok")
        except Exception as exc:  # any reason the key is unusable makes the platform unready
            _ca_checked.update(ok=False, detail=f"{type(exc).__name__}: {exc}"[:200])
        _ca_checked["at"] = now
    if not _ca_checked["ok"]:
        raise RuntimeError(_ca_checked["detail"])
    return "ok"


def _check_jobs() -> str:
    """The job queue's storage answers (the SQLite file or Redis)."""
    from huey.contrib.djhuey import HUEY

    return f"{HUEY.pending_count()} queued"


CHECKS: dict[str, Callable[[], str]] = {
    "database": _check_database, "cache": _check_cache, "disk": _check_disk,
    "ca_key": _check_ca_key, "jobs": _check_jobs,
}


def register_check(name: str, check: Callable[[], str]) -> None:
    """Apps add their own readiness checks (the job queue, the message broker)."""
    CHECKS[name] = check


def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = {"ok": True, "detail": check()}
        except Exception as exc:  # a probe reports; it never raises
            results[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    ok = all(r["ok"] for r in results.values())
    body: dict[str, Any] = {"status": "ok" if ok else "fail"}
    if _operator(request):
        body["checks"] = results
    return JsonResponse(body, status=200 if ok else 503)


class DomainCollector(Collector):
    """Gauges read from the database at scrape time (bounded, indexed queries only)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Count
        from django.utils import timezone

        from tinhso.dossiers.models import CLOSED, Dossier, Status
        from tinhso.payments.models import (
            REVIEW_STATUSES,
            AttemptStatus,
            PaymentAttempt,
            PaymentStatus,
            StatementLine,
        )

        open_statuses = [s for s in Status.values if s not in CLOSED]
        by_status = GaugeMetricFamily("tinhso_dossiers_open", "Open dossiers by status",
                                      labels=["status"])
        rows = (Dossier.objects.filter(status__in=open_statuses).values("status")
                .annotate(n=Count("id")).order_by())
        counts = {row["status"]: row["n"] for row in rows}
        for status in open_statuses:
            by_status.add_metric([str(status)], counts.get(status, 0))
        yield by_status
        overdue = Dossier.objects.filter(status__in=open_statuses, due_at__lt=timezone.now())
        yield GaugeMetricFamily("tinhso_dossiers_overdue", "Open dossiers past their due date",
                                value=overdue.count())
        from tinhso.payments.models import Payment

        yield GaugeMetricFamily("tinhso_payments_pending", "Payments awaiting the applicant",
                                value=Payment.objects.filter(
                                    status=PaymentStatus.REQUESTED).count())
        yield GaugeMetricFamily("tinhso_payment_attempts_pending",
                                "Gateway attempts without an answer yet",
                                value=PaymentAttempt.objects.filter(
                                    status=AttemptStatus.PENDING).count())
        yield GaugeMetricFamily("tinhso_statement_lines_to_review",
                                "Bank transfers waiting for an officer",
                                value=StatementLine.objects.filter(
                                    status__in=REVIEW_STATUSES).count())
        yield from _backbone_gauges()
        for extra in EXTRA_GAUGES:
            yield from extra()


def _backbone_gauges() -> Iterator[GaugeMetricFamily]:
    """Jobs, the outbox's consumers and notification deliveries."""
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from tinhso.jobs.models import JobFailure
    from tinhso.notifications.models import Delivery, DeliveryState
    from tinhso.outbox.selectors import backlogs

    yield GaugeMetricFamily("tinhso_jobs_queued", "Jobs waiting in the queue",
                            value=HUEY.pending_count())
    yield GaugeMetricFamily("tinhso_jobs_failed", "Failed jobs not retried yet",
                            value=JobFailure.objects.filter(retried_at__isnull=True).count())
    pending = GaugeMetricFamily("tinhso_outbox_pending", "Events a consumer has not applied",
                                labels=["consumer"])
    lag = GaugeMetricFamily("tinhso_outbox_lag_seconds",
                            "Age of the oldest event a consumer has not applied",
                            labels=["consumer"])
    failing = GaugeMetricFamily("tinhso_outbox_consumer_failures",
                                "Failures of a consumer on its current event",
                                labels=["consumer"])
    now = timezone.now()
    for b in backlogs():
        pending.add_metric([b.name], b.pending)
        age = (now - b.oldest_pending_at).total_seconds() if b.oldest_pending_at else 0.0
        lag.add_metric([b.name], max(0.0, age))
        failing.add_metric([b.name], b.failures)
    yield from (pending, lag, failing)
    yield GaugeMetricFamily("tinhso_notification_deliveries_failed",
                            "Notification deliveries that gave up",
                            value=Delivery.objects.filter(state=DeliveryState.FAILED).count())


# Apps add scrape-time gauges here (job queue depth, outbox lag, notification failures).
EXTRA_GAUGES: list[Callable[[], Iterator[GaugeMetricFamily]]] = []
_domain_registry = CollectorRegistry()
_domain_registry.register(DomainCollector())


def metrics(request: HttpRequest) -> HttpResponse:
    if not _operator(request):
        # Off (no token configured) or not the operator: answer as if it did not exist.
        return HttpResponse(status=404)
    body = generate_latest(REGISTRY) + generate_latest(_domain_registry)
    return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")
