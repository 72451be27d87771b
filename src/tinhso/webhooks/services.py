"""Every write of outgoing webhooks: subscriptions, secret rotation, delivery, replay.

Delivery is at least once: a delivery row is created in the outbox consumer's transaction
(exactly once per event and subscription), then sent by a job outside any transaction (an HTTP
call never holds a database lock). A crash between the HTTP call and recording it sends the
same ``webhook-id`` again, which the receiver de-duplicates.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import Fernet
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tinhso.core import outbound
from tinhso.core.errors import NotFound, ValidationFailed
from tinhso.lgsp.permissions import require_operator
from tinhso.outbox.catalog import EVENT_TYPES
from tinhso.outbox.models import OutboxEvent
from tinhso.webhooks import conf, signing
from tinhso.webhooks.models import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Subscription,
    SubscriptionSecret,
)

logger = logging.getLogger(__name__)

# Standard Webhooks' suggested schedule: immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h,
# 10 h and 10 h again (each counted from the previous failure). 8 attempts, ~27.6 h in all.
RETRY_SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
EXCERPT = 300


def _fernet() -> Fernet:
    return Fernet(conf.secret_key())


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        ok = parts.scheme in {"http", "https"} and bool(parts.hostname) and len(url) <= 500
        parts.port  # noqa: B018 - raises ValueError on a bad port
        ok = ok and not any(c.isspace() or ord(c) < 32 for c in url)
    except ValueError:
        ok = False
    if not ok:
        raise ValidationFailed("WEBHOOK_BAD_URL", "Địa chỉ nhận phải là URL http(s) hợp lệ.",
                               "The receiver URL must be a valid http(s) URL.", {"url": url})
    outbound.check_url(url)  # internal addresses, odd forms, userinfo, ports (SSRF)


def _check_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if not event_types or unknown:
        raise ValidationFailed("WEBHOOK_BAD_EVENT_TYPES",
                               "Phải chọn ít nhất một loại sự kiện có trong danh mục.",
                               "Choose at least one event type from the catalogue.",
                               {"unknown": unknown})
    return sorted(set(event_types))


@dataclass
class CreatedSubscription:
    subscription: Subscription
    secret: str  # shown once


def _secret_add(subscription: Subscription) -> str:
    raw = signing.secret_generate()
    SubscriptionSecret.objects.create(subscription=subscription,
                                      secret_enc=_fernet().encrypt(raw.encode()))
    return raw


def subscription_create(*, acting_user: Any, name: str, url: str, event_types: list[str],
                        agency: Any = None) -> CreatedSubscription:
    require_operator(acting_user)
    _check_url(url)
    types = _check_types(event_types)
    with transaction.atomic():
        sub = Subscription.objects.create(
            name=name.strip() or url, url=url, event_types=types, agency=agency,
            created_by=acting_user if getattr(acting_user, "pk", None) else None)
        raw = _secret_add(sub)
    logger.info("Webhook subscription %s created for %s", sub.pk, url)
    return CreatedSubscription(sub, raw)


def subscription_get(user: Any, pk: int) -> Subscription:
    qs = Subscription.objects.visible_to(user) if user else Subscription.objects.all()
    sub: Subscription | None = qs.filter(pk=pk).first()
    if sub is None:
        raise NotFound("Không tìm thấy đăng ký nhận sự kiện", "Subscription not found",
                       {"id": pk}, code="WEBHOOK_SUBSCRIPTION_NOT_FOUND")
    return sub


def secret_rotate(*, acting_user: Any, subscription: Subscription,
                  overlap_seconds: float | None = None) -> str:
    """A new secret; the active ones keep signing for the overlap (default
    TINHSO_WEBHOOK_SECRET_OVERLAP_HOURS), so the receiver can switch without losing a
    message. Returns the new secret (shown once)."""
    require_operator(acting_user)
    overlap = conf.secret_overlap_seconds() if overlap_seconds is None else overlap_seconds
    now = timezone.now()
    with transaction.atomic():
        until = now + dt.timedelta(seconds=max(0.0, overlap))
        subscription.secrets.filter(expires_at__isnull=True).update(expires_at=until)
        subscription.secrets.filter(expires_at__gt=until).update(expires_at=until)
        return _secret_add(subscription)


def active_secrets(subscription: Subscription, *, at: dt.datetime | None = None) -> list[str]:
    now = at or timezone.now()
    rows = subscription.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)
                                       ).order_by("-created_at", "-pk")
    return [_fernet().decrypt(bytes(r.secret_enc)).decode() for r in rows]


def subscription_set_active(*, acting_user: Any, subscription: Subscription,
                            active: bool) -> Subscription:
    """Switch a subscription on (pending deliveries are sent again from now) or off."""
    require_operator(acting_user)
    now = timezone.now()
    with transaction.atomic():
        subscription.is_active = active
        subscription.disabled_at = None if active else now
        subscription.disabled_reason = "" if active else "tắt bởi người vận hành"
        subscription.failing_since = None
        subscription.save()
        if active:
            subscription.deliveries.filter(status=DeliveryStatus.PENDING).update(
                next_attempt_at=now)
    if active:
        _enqueue_due_on_commit()
    return subscription


# --- from the outbox -------------------------------------------------------------------------


def deliveries_for_event(event: OutboxEvent) -> int:
    """The outbox consumer's effect: one pending delivery per interested active subscription
    (idempotent: the pair (subscription, event) is unique). Runs in the cursor's transaction."""
    subs = [s for s in Subscription.objects.filter(is_active=True)
            if s.wants(event.type, event.agency_id)]
    if not subs:
        return 0
    body = signing.envelope(event.type, event.occurred_at.isoformat(), event.payload).decode()
    now = timezone.now()
    created = 0
    for sub in subs:
        _, new = Delivery.objects.get_or_create(
            subscription=sub, event_id=event.event_id,
            defaults={"event_type": event.type, "outbox_id": event.pk, "body": body,
                      "next_attempt_at": now})
        created += int(new)
    if created:
        _enqueue_due_on_commit()
    return created


def _enqueue_due_on_commit() -> None:
    def run() -> None:
        from tinhso.webhooks.tasks import send_due_task

        try:
            send_due_task()
        except Exception:  # the queue is down: the periodic sweep sends them
            logger.exception("Could not enqueue the webhook sender")

    transaction.on_commit(run)


# --- sending ---------------------------------------------------------------------------------


def _claim(delivery_id: int, lease_seconds: float) -> Delivery | None:
    """Take a due delivery for one attempt: its next attempt moves past the lease, so a second
    sender skips it, and a sender that dies mid-call leaves it due again after the lease."""
    now = timezone.now()
    with transaction.atomic():
        d: Delivery | None = (
            Delivery.objects.select_for_update(skip_locked=True).select_related("subscription")
             .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now,
                     subscription__is_active=True).first())
        if d is None:
            return None
        d.next_attempt_at = now + dt.timedelta(seconds=lease_seconds)
        d.save(update_fields=["next_attempt_at"])
        return d


@dataclass
class AttemptResult:
    status_code: int | None
    duration_ms: int
    error: str
    excerpt: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(d: Delivery, client: httpx.Client | None,
          secrets_: list[str] | None = None) -> AttemptResult:
    body = d.body.encode()
    ts = int(time.time())
    keys = secrets_ if secrets_ is not None else active_secrets(d.subscription)
    headers = signing.headers(keys, d.msg_id, ts, body)
    headers["user-agent"] = "tinhso-webhooks/1"
    started = time.monotonic()
    try:
        if client is not None:
            r = client.post(d.subscription.url, content=body, headers=headers)
        else:
            with outbound.client(timeout=conf.timeout()) as http:
                r = http.post(d.subscription.url, content=body, headers=headers)
        return AttemptResult(r.status_code, int((time.monotonic() - started) * 1000), "",
                             r.text[:EXCERPT])
    except httpx.HTTPError as exc:
        return AttemptResult(None, int((time.monotonic() - started) * 1000),
                             f"{type(exc).__name__}: {exc}"[:EXCERPT], "")


def _record(d: Delivery, result: AttemptResult) -> Delivery:
    now = timezone.now()
    with transaction.atomic():
        d = Delivery.objects.select_for_update().select_related("subscription").get(pk=d.pk)
        sub = Subscription.objects.select_for_update().get(pk=d.subscription_id)
        d.attempts += 1
        Attempt.objects.create(delivery=d, number=d.attempts, at=now,
                               status_code=result.status_code, duration_ms=result.duration_ms,
                               error=result.error, response_excerpt=result.excerpt)
        d.last_status_code = result.status_code
        if result.ok:
            d.status = DeliveryStatus.SUCCEEDED
            d.delivered_at = now
            d.next_attempt_at = None
            if sub.failing_since is not None:
                sub.failing_since = None
                sub.save(update_fields=["failing_since"])
        else:
            if d.attempts >= MAX_ATTEMPTS:
                d.status = DeliveryStatus.FAILED
                d.next_attempt_at = None
            else:
                d.next_attempt_at = now + dt.timedelta(seconds=RETRY_SCHEDULE[d.attempts - 1])
            _note_failure(sub, result, now)
        d.save()
    return d


def _note_failure(sub: Subscription, result: AttemptResult, now: dt.datetime) -> None:
    """Automatic disabling: a 410 Gone at once (the receiver says it is gone for good), or no
    success at all for TINHSO_WEBHOOK_DISABLE_AFTER_HOURS (default 5 days)."""
    if sub.failing_since is None:
        sub.failing_since = now
    reason = ""
    if result.status_code == 410:
        reason = "bên nhận trả về 410 Gone"
    elif (now - sub.failing_since).total_seconds() >= conf.disable_after_seconds():
        reason = f"lỗi liên tục từ {timezone.localtime(sub.failing_since):%d/%m/%Y %H:%M}"
    if reason and sub.is_active:
        sub.is_active = False
        sub.disabled_at = now
        sub.disabled_reason = reason
        logger.warning("Webhook subscription %s disabled: %s", sub.pk, reason)
    sub.save(update_fields=["failing_since", "is_active", "disabled_at", "disabled_reason"])


def delivery_attempt(*, delivery_id: int, client: httpx.Client | None = None) -> Delivery | None:
    """One attempt of one due delivery (None: not due, taken by another sender, or its
    subscription is off)."""
    d = _claim(delivery_id, _lease().total_seconds())
    if d is None:
        return None
    return _record(d, _post(d, client))


CLAIM_BATCH = 20


def _lease() -> dt.timedelta:
    """How long a claimed delivery is ours: one attempt's timeout and a margin. A sender that
    dies leaves its deliveries due again after it (so a restart resumes within ~20 s)."""
    return dt.timedelta(seconds=conf.timeout() + 5)


def _renew(d: Delivery) -> bool:
    """Just before the POST: extend our lease if it is still ours (compare-and-set on the
    lease's end), else another sender re-claimed the delivery after ours lapsed: skip it."""
    until = timezone.now() + _lease()
    taken = Delivery.objects.filter(pk=d.pk, status=DeliveryStatus.PENDING,
                                    next_attempt_at=d.next_attempt_at).update(
        next_attempt_at=until)
    d.next_attempt_at = until
    return bool(taken)


def _claim_batch(limit: int) -> list[Delivery]:
    """Take up to ``limit`` due deliveries in one transaction, each leased (see ``_lease``;
    renewed one by one just before its attempt)."""
    now = timezone.now()
    lease = _lease()
    with transaction.atomic():
        rows = list(Delivery.objects.select_for_update(skip_locked=True)
                    .select_related("subscription")
                    .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now,
                            subscription__is_active=True)
                    .order_by("next_attempt_at", "pk")[:limit])
        if rows:
            Delivery.objects.filter(pk__in=[d.pk for d in rows]).update(
                next_attempt_at=now + lease)
            for d in rows:
                d.next_attempt_at = now + lease
    return rows


def deliveries_send_due(*, limit: int = 500) -> int:
    """Attempt every due delivery (oldest first, in leased batches); returns how many attempts
    were made. A subscription switched off mid-pass (410, persistent failure) gets no more."""
    done = 0
    secrets_by_sub: dict[int, list[str]] = {}
    off: set[int] = set()
    with outbound.client(timeout=conf.timeout()) as client:
        while done < limit:
            batch = _claim_batch(min(CLAIM_BATCH, limit - done))
            if not batch:
                break
            for d in batch:
                if d.subscription_id in off:
                    # Leased but not tried: due again when the subscription is switched on.
                    Delivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now())
                    continue
                if not _renew(d):
                    continue
                if d.subscription_id not in secrets_by_sub:
                    secrets_by_sub[d.subscription_id] = active_secrets(d.subscription)
                result = _post(d, client, secrets_by_sub[d.subscription_id])
                _record(d, result)
                done += 1
                if not result.ok and not Subscription.objects.filter(
                        pk=d.subscription_id, is_active=True).exists():
                    off.add(d.subscription_id)
    return done


def next_due_in() -> float | None:
    """Seconds until the next pending delivery is due (None: nothing pending)."""
    first: dt.datetime | None = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__isnull=False,
                                     subscription__is_active=True)
             .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first())
    if first is None:
        return None
    return max(0.0, (first - timezone.now()).total_seconds())


def delivery_get(user: Any, pk: int) -> Delivery:
    qs = Delivery.objects.visible_to(user) if user is not None else Delivery.objects.all()
    d: Delivery | None = qs.filter(pk=pk).first()
    if d is None:
        raise NotFound("Không tìm thấy lần chuyển sự kiện", "Delivery not found", {"id": pk},
                       code="WEBHOOK_DELIVERY_NOT_FOUND")
    return d


def delivery_replay(*, acting_user: Any, delivery: Delivery) -> Delivery:
    """Send a delivery again (whatever its state): it becomes pending and due now, with a fresh
    retry schedule; its log keeps the earlier attempts. Same ``webhook-id`` and body."""
    require_operator(acting_user)
    with transaction.atomic():
        d: Delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        d.status = DeliveryStatus.PENDING
        d.next_attempt_at = timezone.now()
        d.attempts = 0
        d.replays += 1
        d.save()
    _enqueue_due_on_commit()
    return d


def deliveries_replay_since(*, acting_user: Any, subscription: Subscription,
                            since: dt.datetime) -> int:
    """Replay every event the subscription wants since ``since`` (existing deliveries again,
    missing ones — e.g. while it was off — created). Returns how many are now pending."""
    require_operator(acting_user)
    events = OutboxEvent.objects.filter(occurred_at__gte=since, type__in=subscription.event_types)
    if subscription.agency_id is not None:
        events = events.filter(agency_id=subscription.agency_id)
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for event in events.order_by("id").iterator():
            body = signing.envelope(event.type, event.occurred_at.isoformat(),
                                    event.payload).decode()
            d, new = Delivery.objects.get_or_create(
                subscription=subscription, event_id=event.event_id,
                defaults={"event_type": event.type, "outbox_id": event.pk, "body": body,
                          "next_attempt_at": now})
            if not new:
                d.status = DeliveryStatus.PENDING
                d.next_attempt_at = now
                d.attempts = 0
                d.replays += 1
                d.save()
            count += 1
    _enqueue_due_on_commit()
    return count
