"""Delivery of EPCIS query subscriptions (webhooks), at least once.

* A **stream** subscription becomes due when the outbox consumer ``trace_subscriptions`` sees a
  ``trace.events_captured`` event (in the consumer's transaction: exactly once per event); a
  **scheduled** one when the per-minute job finds its schedule matches the minute.
* ``deliveries_send_due`` claims due subscriptions with a short lease (two workers never send
  the same one), then POSTs the events after the subscription's cursor as an
  ``EPCISQueryDocument`` (batches of ``BATCH``), outside any transaction.
* The cursor (a ledger leaf index) moves only after the receiver answered 2xx: a crash or a
  failure in between sends the same events again (receivers de-duplicate by ``eventID``).
  Failures wait 30 s, 1 min, 2 min … up to an hour before the next try.

Signature: when the subscriber gave a ``signatureToken``, the ``GS1-Signature`` header is
``sha256=`` + the hex HMAC-SHA256 of the exact body bytes keyed by the token's UTF-8 bytes (the
binding leaves the scheme to the implementation and names HMAC-SHA256 as an example).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
from typing import Any

import httpx
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tinhso.core import outbound
from tinhso.trace.models import QuerySubscription

logger = logging.getLogger(__name__)

BATCH = 500  # events per POST ("manageable batches", as the binding says)
MAX_BACKOFF_SECONDS = 3600
CONSUMER = "trace_subscriptions"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"tinhso-epcis-subscription:" + settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def encrypt_token(token: str) -> bytes:
    return _fernet().encrypt(token.encode())


def _token(subscription: QuerySubscription) -> str | None:
    raw = subscription.signature_token_enc
    return _fernet().decrypt(bytes(raw)).decode() if raw else None


def signature(token: str, body: bytes) -> str:
    return "sha256=" + hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def _timeout() -> float:
    return float(getattr(settings, "TINHSO_WEBHOOK_TIMEOUT", 15))


# --- Becoming due ------------------------------------------------------------------------------


def handle_captured(event: Any) -> int:
    """Outbox consumer: new events make every stream subscription due (idempotent)."""
    count = QuerySubscription.objects.filter(stream=True, due_at__isnull=True).update(
        due_at=timezone.now())
    if count:
        _enqueue_on_commit()
    return count


def schedule_matches(schedule: dict[str, str], at: dt.datetime) -> bool:
    """Does the minute ``at`` (UTC) match? Omitted fields match any value; ``second`` is
    checked for syntax only (the job runs once a minute)."""
    from tinhso.trace.services import _SCHEDULE_LIMITS, schedule_values

    actual = {"minute": at.minute, "hour": at.hour, "dayOfMonth": at.day, "month": at.month,
              "dayOfWeek": at.isoweekday()}
    for key, value in actual.items():
        if key in schedule:
            allowed = schedule_values(schedule[key], *_SCHEDULE_LIMITS[key])
            if allowed is None or value not in allowed:
                return False
    return True


def mark_scheduled_due(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    at = now.astimezone(dt.UTC)
    ids = [s.pk for s in QuerySubscription.objects.filter(stream=False, due_at__isnull=True)
           .only("pk", "schedule") if s.schedule and schedule_matches(s.schedule, at)]
    return QuerySubscription.objects.filter(pk__in=ids).update(due_at=now) if ids else 0


def _enqueue_on_commit() -> None:
    def run() -> None:
        from tinhso.trace.tasks import send_subscriptions

        try:
            send_subscriptions()
        except Exception:  # noqa: BLE001 - the periodic sweep retries; never fail the commit
            logger.exception("could not enqueue EPCIS subscription delivery")

    transaction.on_commit(run)


# --- Sending -----------------------------------------------------------------------------------


def _claim(pk: Any, now: dt.datetime) -> bool:
    lease = now + dt.timedelta(seconds=_timeout() + 10)
    return QuerySubscription.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=pk, due_at__lte=now,
    ).update(lease_until=lease) == 1


def query_document(events: list[Any], *, query_name: str,
                   subscription_id: str | None = None) -> dict[str, Any]:
    from tinhso.trace.epcis_views import EPCIS_CONTEXT

    results: dict[str, Any] = {"queryName": query_name}
    if subscription_id:
        results["subscriptionID"] = subscription_id
    results["resultsBody"] = {"eventList": events}
    return {"@context": [EPCIS_CONTEXT], "type": "EPCISQueryDocument", "schemaVersion": "2.0",
            "creationDate": timezone.now().isoformat(timespec="milliseconds"),
            "epcisBody": {"queryResults": results}}


def _post(subscription: QuerySubscription, document: dict[str, Any],
          client: httpx.Client) -> str | None:
    """POST one document; None when the receiver answered 2xx, else the reason."""
    from tinhso.trace.epcis_views import VERSION_HEADERS

    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", **VERSION_HEADERS}
    token = _token(subscription)
    if token:
        headers["GS1-Signature"] = signature(token, body)
    try:
        response = client.post(subscription.dest, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def subscription_send(subscription: QuerySubscription, client: httpx.Client) -> int:
    """Send what is due for one claimed subscription; returns the number of events sent."""
    from tinhso.trace.selectors import subscription_events

    sent = 0
    scheduled = not subscription.stream
    while True:
        events = subscription_events(subscription, BATCH)
        if not events and not (scheduled and subscription.report_if_empty and sent == 0):
            break
        document = query_document([e.document for e in events],
                                  query_name=subscription.query.name,
                                  subscription_id=str(subscription.pk))
        error = _post(subscription, document, client)
        now = timezone.now()
        if error is not None:
            subscription.failures += 1
            wait = min(MAX_BACKOFF_SECONDS, 30 * 2 ** (subscription.failures - 1))
            QuerySubscription.objects.filter(pk=subscription.pk).update(
                failures=subscription.failures, last_error=error, lease_until=None,
                due_at=now + dt.timedelta(seconds=wait))
            return sent
        if events:
            subscription.cursor = events[-1].leaf_index
        sent += len(events)
        QuerySubscription.objects.filter(pk=subscription.pk).update(
            cursor=subscription.cursor, last_notified_at=now, failures=0, last_error="",
            lease_until=now + dt.timedelta(seconds=_timeout() + 10))
        if len(events) < BATCH:
            break
    QuerySubscription.objects.filter(pk=subscription.pk).update(due_at=None, lease_until=None)
    return sent


def deliveries_send_due(*, limit: int = 100, client: httpx.Client | None = None) -> int:
    """Send every due subscription (up to ``limit``); returns the number of events sent."""
    now = timezone.now()
    due = list(QuerySubscription.objects.filter(due_at__lte=now)
               .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
               .order_by("due_at").values_list("pk", flat=True)[:limit])
    own = client is None
    # The guarded client re-checks dest at every connection (DNS rebinding, old rows).
    http = client or outbound.client(timeout=_timeout())
    sent = 0
    try:
        for pk in due:
            if not _claim(pk, timezone.now()):
                continue  # another worker has it
            subscription = QuerySubscription.objects.select_related("query__owner").get(pk=pk)
            sent += subscription_send(subscription, http)
    finally:
        if own:
            http.close()
    return sent
