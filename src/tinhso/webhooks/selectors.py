"""Reads of outgoing webhooks, scoped to the caller (operators only, see querysets)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tinhso.webhooks.models import Delivery, Subscription


def subscriptions(user: Any) -> QuerySet[Subscription]:
    return Subscription.objects.visible_to(user).select_related("agency").order_by("pk")


def deliveries(user: Any, *, subscription_id: int | None = None, status: str | None = None,
               limit: int = 100) -> list[Delivery]:
    qs = Delivery.objects.visible_to(user).prefetch_related("log").order_by("-pk")
    if subscription_id is not None:
        qs = qs.filter(subscription_id=subscription_id)
    if status:
        qs = qs.filter(status=status)
    return list(qs[:limit])


def agency_by_code(code: str) -> Any:
    """An agency by its identifier code (the directory of agencies is public)."""
    from tinhso.units.models import Agency

    return Agency.objects.filter(code=code).first()
