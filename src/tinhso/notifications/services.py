"""Every write of the notifications app.

``notification_create`` is called by the event handlers (in a worker); it writes the message and
its deliveries in one transaction and hands the deliveries to the job queue after the commit.
``delivery_attempt`` makes one attempt and logs it; it is what the Huey task runs.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tinhso.core.errors import NotFound, ValidationFailed
from tinhso.notifications import channels, conf, texts
from tinhso.notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Notification,
    NotificationPreference,
)

logger = logging.getLogger(__name__)


@dataclass
class Recipient:
    """A user, or an applicant without an account (``user`` None, ``key`` names them)."""

    key: str
    user: Any = None
    email: str = ""
    phone: str = ""
    language: str = "vi"
    channels: set[str] = field(default_factory=lambda: {c.value for c in Channel})


def preference_for(user: Any) -> NotificationPreference:
    """The user's stored preference, or the defaults (every channel, Vietnamese) unsaved."""
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref or NotificationPreference(user=user)


def user_recipient(user: Any, *, email: str = "", phone: str = "") -> Recipient:
    pref = preference_for(user)
    wanted = {name for name, on in ((Channel.IN_APP, pref.in_app), (Channel.EMAIL, pref.email),
                                    (Channel.SMS, pref.sms)) if on}
    return Recipient(key=f"user:{user.pk}", user=user, email=email or user.email,
                     phone=phone or getattr(user, "phone", ""), language=pref.language,
                     channels={str(c) for c in wanted})


def notification_create(*, event_key: str, kind: str, recipient: Recipient,
                        context: dict[str, Any], link: str = "", dossier_id: int | None = None,
                        sms: bool = True) -> Notification | None:
    """Write one message and its deliveries once per (event, recipient); None if it exists.

    The unique constraint decides under races: a second handler run, or a second worker,
    gets an IntegrityError inside its savepoint and writes nothing.
    """
    rendered = texts.render(kind, recipient.language, {**context, "link": link})
    if recipient.user is not None and not recipient.user.is_active:
        return None
    in_app = recipient.user is not None and Channel.IN_APP in recipient.channels
    planned: list[tuple[str, str, str]] = []  # channel, address, failure reason
    if Channel.EMAIL in recipient.channels and recipient.email:
        planned.append((Channel.EMAIL, recipient.email, ""))
    if (sms and rendered.sms and Channel.SMS in recipient.channels and recipient.phone
            and conf.sms_url()):
        number = channels.normalise_phone(recipient.phone)
        planned.append((Channel.SMS, number or recipient.phone,
                        "" if number else "not a Vietnamese mobile number"))
    if not in_app and not planned:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                event_key=event_key[:120], recipient_key=recipient.key[:60],
                recipient=recipient.user, kind=kind, language=recipient.language,
                title=rendered.title, body=rendered.body, sms_text=rendered.sms,
                link=link[:300], email=recipient.email, phone=recipient.phone[:20],
                dossier_id=dossier_id, in_app=in_app,
            )
            deliveries = [
                Delivery.objects.create(
                    notification=notification, channel=channel, address=address[:254],
                    state=DeliveryState.FAILED if reason else DeliveryState.QUEUED,
                    reason=reason)
                for channel, address, reason in planned
            ]
    except IntegrityError:
        return None  # already announced to this recipient
    queued = [d.pk for d in deliveries if d.state == DeliveryState.QUEUED]
    if queued:
        transaction.on_commit(lambda: _enqueue(queued))
    return notification


def _enqueue(delivery_ids: list[int]) -> None:
    from tinhso.core.observability import current_request_id
    from tinhso.notifications.tasks import deliver

    request_id = current_request_id()
    for delivery_id in delivery_ids:
        try:
            deliver(delivery_id, request_id=request_id)
        except Exception:  # the queue is down: the sweeper re-enqueues queued deliveries
            logger.exception("delivery %s not enqueued", delivery_id)


def _claim(delivery_id: int, now: dt.datetime) -> Delivery | None:
    with transaction.atomic():
        delivery = (Delivery.objects.select_for_update(of=("self",)).select_related("notification")
                    .filter(pk=delivery_id).first())
        if delivery is None or delivery.state in (DeliveryState.SENT, DeliveryState.FAILED):
            return None
        if delivery.claimed_until is not None and delivery.claimed_until > now:
            return None  # another worker is sending it right now
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.claimed_until = now + dt.timedelta(seconds=conf.CLAIM_SECONDS)
        delivery.save(update_fields=["attempts", "last_attempt_at", "claimed_until"])
        return delivery


def _send(delivery: Delivery) -> str:
    notification = delivery.notification
    if delivery.channel == Channel.EMAIL:
        link = notification.link
        body = notification.body if link in notification.body else f"{notification.body}\n{link}"
        channels.send_email(to=delivery.address, subject=f"[tỉnh số] {notification.title}",
                            body=body.strip())
        return ""
    if delivery.channel == Channel.SMS:
        gateway = channels.sms_gateway()
        if gateway is None:
            raise channels.DeliveryError("SMS is off (TINHSO_SMS_URL unset)", permanent=True)
        return gateway.send(to=delivery.address, text=notification.sms_text)
    raise channels.DeliveryError(f"unknown channel {delivery.channel}", permanent=True)


class RetryLater(Exception):
    """Raised to the job queue so it retries the delivery with backoff."""


def delivery_attempt(*, delivery_id: int) -> str:
    """One attempt; returns the delivery's new state. Raises RetryLater when another attempt
    should follow (the Huey task retries with backoff)."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        current = Delivery.objects.filter(pk=delivery_id).values_list("state", flat=True).first()
        return str(current or "")
    try:
        provider_id = _send(delivery)
    except channels.DeliveryError as exc:
        final = exc.permanent or delivery.attempts >= conf.max_attempts()
        state = DeliveryState.FAILED if final else DeliveryState.RETRIED
        Delivery.objects.filter(pk=delivery.pk).update(state=state, reason=exc.reason[:2000],
                                                       claimed_until=None)
        logger.warning("delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts,
                       exc.reason)
        if not final:
            raise RetryLater(exc.reason) from exc
        return str(state)
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENT, sent_at=timezone.now(), provider_id=provider_id[:100],
        claimed_until=None)
    return str(DeliveryState.SENT)


def deliveries_requeue_stale(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Hand queued or retried deliveries whose job was lost (worker killed, queue down) back to
    the queue. A delivery still claimed by a live attempt is left alone."""
    now = timezone.now()
    stale = list(
        Delivery.objects.filter(state__in=[DeliveryState.QUEUED, DeliveryState.RETRIED])
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(last_attempt_at__lt=now - older_than)
                | Q(last_attempt_at__isnull=True, created_at__lt=now - older_than))
        .values_list("pk", flat=True)[:1000])
    _enqueue(stale)
    return len(stale)


@transaction.atomic
def delivery_retry(*, acting_user: Any, delivery_id: int) -> Delivery:
    """An administrator sends a failed delivery again (attempts start over)."""
    if not (acting_user.is_staff and acting_user.has_perm("notifications.change_delivery")):
        from tinhso.core.errors import PermissionDenied

        raise PermissionDenied({"reason": "not_notification_admin"})
    delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("Không tìm thấy lượt gửi.", "Delivery not found.", {"id": delivery_id})
    if delivery.state == DeliveryState.FAILED:
        delivery.state = DeliveryState.QUEUED
        delivery.attempts = 0
        delivery.claimed_until = None
        delivery.save(update_fields=["state", "attempts", "claimed_until"])
        pk = delivery.pk
        transaction.on_commit(lambda: _enqueue([pk]))
    return delivery


# --- the recipient's own actions ----------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, acting_user: Any, notification_id: int) -> Notification:
    from tinhso.notifications.selectors import visible_to

    notification = visible_to(acting_user).select_for_update().filter(pk=notification_id).first()
    if notification is None:
        raise NotFound("Không tìm thấy thông báo.", "Notification not found.",
                       {"id": notification_id}, code="NOTIFICATION_NOT_FOUND")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, acting_user: Any) -> int:
    from tinhso.notifications.selectors import visible_to

    return visible_to(acting_user).filter(read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def preference_update(*, acting_user: Any, in_app: bool | None = None,
                      email: bool | None = None, sms: bool | None = None,
                      language: str | None = None) -> NotificationPreference:
    if language is not None and language not in ("vi", "en"):
        raise ValidationFailed("LANGUAGE_INVALID", "Ngôn ngữ phải là vi hoặc en.",
                               "Language must be vi or en.", {"language": language})
    pref, _ = NotificationPreference.objects.select_for_update().get_or_create(user=acting_user)
    for name, value in (("in_app", in_app), ("email", email), ("sms", sms),
                        ("language", language)):
        if value is not None:
            setattr(pref, name, value)
    pref.save()
    return pref
