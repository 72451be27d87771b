"""Scoped querysets of notifications (see tinhso.core.scoping): a user's messages, their
deliveries and preferences are that user's alone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from tinhso.core.scoping import ScopedQuerySet, owner_q

if TYPE_CHECKING:
    from tinhso.notifications.models import (  # noqa: F401
        AlertSubscription,
        Delivery,
        Notification,
        NotificationPreference,
    )


class NotificationQuerySet(ScopedQuerySet["Notification"]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "recipient_id")


class DeliveryQuerySet(ScopedQuerySet["Delivery"]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "notification__recipient_id")


class NotificationPreferenceQuerySet(ScopedQuerySet["NotificationPreference"]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "user_id")


class AlertSubscriptionQuerySet(ScopedQuerySet["AlertSubscription"]):
    def scope(self, user: Any) -> Q | None:
        return owner_q(user, "user_id")
