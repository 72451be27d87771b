"""The transactional outbox: domain events written in the same transaction as the change, and
one stored cursor per consumer."""

from __future__ import annotations

import uuid

from django.db import models

from tinhso.outbox.querysets import OutboxEventQuerySet


class OutboxEvent(models.Model):
    """One domain event. ``id`` is the delivery order; ``event_id`` the idempotency key that
    consumers key their effects on (it never changes, ``id`` is a storage detail)."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    type = models.CharField("loại sự kiện", max_length=60)
    occurred_at = models.DateTimeField("thời điểm")
    aggregate_type = models.CharField(max_length=40)
    aggregate_id = models.CharField(max_length=64)
    agency_id = models.BigIntegerField(null=True, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    # The id of the request that made the change (empty outside a request): consumers run under
    # it, so a worker's log lines join the request's.
    request_id = models.CharField(max_length=64, null=True, blank=True)
    objects = OutboxEventQuerySet.as_manager()

    class Meta:
        verbose_name = "sự kiện (outbox)"
        verbose_name_plural = "sự kiện (outbox)"
        ordering = ["id"]
        indexes = [models.Index(fields=["aggregate_type", "aggregate_id"],
                                name="outbox_aggregate")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} {self.aggregate_type}:{self.aggregate_id}"


class ConsumerCursor(models.Model):
    """How far one consumer has read the outbox (``position`` = last id it is done with).

    The row is also the consumer's lock: a dispatcher holds it (SELECT … FOR UPDATE; SQLite's
    BEGIN IMMEDIATE) while it delivers one event, so two dispatchers never run one consumer at
    once. ``horizon_*`` remember a gap in the ids (PostgreSQL only, see dispatch.py)."""

    name = models.CharField(max_length=60, primary_key=True)
    position = models.BigIntegerField(default=0)
    delivered = models.BigIntegerField("đã xử lý", default=0)
    last_event_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    horizon_id = models.BigIntegerField(null=True, blank=True)
    horizon_xmax = models.BigIntegerField(null=True, blank=True)
    failures = models.PositiveIntegerField("số lần lỗi liên tiếp", default=0)
    failing_event_id = models.BigIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "con trỏ bên nhận"
        verbose_name_plural = "con trỏ bên nhận"

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"
