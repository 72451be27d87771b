"""Outgoing events: Standard Webhooks subscriptions, their secrets, deliveries and attempts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tinhso.webhooks.querysets import OperatorsQuerySet


class Subscription(models.Model):
    """A receiver of the platform's events. With ``agency`` set it receives only the events
    whose ``agency_id`` is that agency (its own records); without, every chosen event."""

    name = models.CharField("tên", max_length=120)
    url = models.URLField("địa chỉ nhận", max_length=500)
    event_types = models.JSONField("loại sự kiện", default=list)
    agency = models.ForeignKey("units.Agency", verbose_name="chỉ sự kiện của cơ quan",
                               null=True, blank=True, on_delete=models.PROTECT)
    is_active = models.BooleanField("đang hoạt động", default=True)
    disabled_reason = models.CharField("lý do tắt", max_length=200, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField("lỗi liên tục từ", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "đăng ký nhận sự kiện (webhook)"
        verbose_name_plural = "đăng ký nhận sự kiện (webhook)"

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"

    def wants(self, event_type: str, agency_id: int | None) -> bool:
        if event_type not in self.event_types:
            return False
        return self.agency_id is None or self.agency_id == agency_id


class SubscriptionSecret(models.Model):
    """A signing secret (``whsec_…``), Fernet-encrypted. Active while ``expires_at`` is null or
    in the future: after a rotation the old one keeps signing until the overlap ends."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="secrets")
    secret_enc = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "khóa ký webhook"
        verbose_name_plural = "khóa ký webhook"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Đang chờ gửi"
    SUCCEEDED = "succeeded", "Đã gửi thành công"
    FAILED = "failed", "Gửi thất bại (hết lượt thử)"


class Delivery(models.Model):
    """One event for one subscription. ``body`` is the exact JSON sent at every attempt;
    ``msg_id`` (the ``webhook-id``) is the event's id: the receiver's idempotency key."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=60)
    outbox_id = models.BigIntegerField()
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField("số lần gửi", default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replays = models.PositiveIntegerField("số lần gửi lại", default=0)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "lần chuyển sự kiện"
        verbose_name_plural = "nhật ký chuyển sự kiện"
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"],
                                               name="webhook_delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.subscription_id} ({self.status})"

    @property
    def msg_id(self) -> str:
        return f"msg_{self.event_id.hex}"


class Attempt(models.Model):
    """One HTTP attempt of a delivery (the delivery log)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.CharField(max_length=300, blank=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "lần gửi webhook"
        verbose_name_plural = "lần gửi webhook"
        ordering = ["delivery_id", "number"]
