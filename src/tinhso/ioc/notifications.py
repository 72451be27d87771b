"""In-app notifications (and their e-mail), created once per event.

``notify`` inserts with the (recipient, kind, key) unique constraint as the arbiter, so running
the alert scan twice, or concurrently, never produces a second notification for one event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from tinhso.core.errors import NotFound
from tinhso.ioc.models import Notification


def notifications_for(user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.visible_to(user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


@transaction.atomic
def notification_mark_read(*, acting_user: Any, notification_id: int) -> Notification:
    notification = (Notification.objects.visible_to(acting_user).select_for_update()
                    .filter(pk=notification_id).first())
    if notification is None:
        raise NotFound("Không tìm thấy thông báo.", "Notification not found.",
                       {"id": notification_id})
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notify(*, recipients: Iterable[Any], kind: str, key: str, title: str, body: str = "",
           url: str = "", dossier_id: int | None = None, agency_id: int | None = None
           ) -> list[Notification]:
    """Create the notification for each recipient that does not have it yet; returns the new
    ones (already e-mailed when the recipient has an address)."""
    created: list[Notification] = []
    for user in recipients:
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=user, kind=kind, key=key[:200], title=title[:300], body=body,
                    url=url, dossier_id=dossier_id, agency_id=agency_id,
                )
        except IntegrityError:
            continue  # already notified of this event
        created.append(notification)
    for notification in created:
        _email(notification)
    return created


def _email(notification: Notification) -> None:
    address = notification.recipient.email
    if not address:
        return
    link = notification.url
    if link and link.startswith("/"):
        link = f"{settings.TINHSO_PUBLIC_URL}{link}"
    body = f"{notification.body}\n\n{link}".strip()
    # fail_silently: an unreachable mail server must not lose the in-app notification.
    sent = send_mail(f"[tỉnh số] {notification.title}", body, settings.DEFAULT_FROM_EMAIL,
                     [address], fail_silently=True)
    if sent:
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
