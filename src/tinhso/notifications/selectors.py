"""Reads of the notifications app, scoped by construction: a user sees only their own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tinhso.notifications.models import Notification


def visible_to(user: Any) -> QuerySet[Notification, Notification]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user, in_app=True)


def inbox(user: Any, *, unread_only: bool = False) -> QuerySet[Notification, Notification]:
    qs = visible_to(user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    return visible_to(user).filter(read_at__isnull=True).count()
