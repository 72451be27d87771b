"""Messages to citizens, organisations and officials, and the log of their delivery.

A ``Notification`` is one message for one recipient about one event (its ``event_key``); the
unique (event_key, recipient_key) constraint is the deduplication: running a handler twice, or
two workers at once, never creates a second message. A recipient is a user, or — for a dossier
received at the counter from someone without an account — the dossier's applicant, reached only
by the e-mail address and phone number written on the dossier.

Each channel a message goes out on (e-mail, SMS) has one ``Delivery`` row, unique per
notification and channel, which logs every attempt: queued, retried (an attempt failed, another
is scheduled), sent, failed (gave up). The in-app channel is the notification row itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tinhso.notifications.querysets import (
    AlertSubscriptionQuerySet,
    DeliveryQuerySet,
    NotificationPreferenceQuerySet,
    NotificationQuerySet,
)


class Channel(models.TextChoices):
    IN_APP = "in_app", "Trong ứng dụng"
    EMAIL = "email", "Thư điện tử"
    SMS = "sms", "Tin nhắn SMS"


class DeliveryState(models.TextChoices):
    QUEUED = "queued", "Đang chờ gửi"
    RETRIED = "retried", "Gửi lỗi, sẽ thử lại"
    SENT = "sent", "Đã gửi"
    FAILED = "failed", "Gửi thất bại"


# Named (not ``NotificationQuerySet.as_manager()``): Django names both that manager class and the
# IOC's "ManagerFromNotificationQuerySet", and mypy's Django plugin then mixes the two up.
NotificationManager = models.Manager.from_queryset(NotificationQuerySet, "NotificationManager")


class Notification(models.Model):
    event_key = models.CharField("sự kiện", max_length=120)
    recipient_key = models.CharField("người nhận (khóa)", max_length=60)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người nhận",
                                  null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField("loại", max_length=40)
    language = models.CharField("ngôn ngữ", max_length=5, default="vi")
    title = models.CharField("tiêu đề", max_length=300)
    body = models.TextField("nội dung", blank=True)
    sms_text = models.CharField("nội dung SMS", max_length=160, blank=True)
    link = models.CharField("liên kết", max_length=300, blank=True)
    email = models.EmailField("địa chỉ thư", blank=True)
    phone = models.CharField("số điện thoại", max_length=20, blank=True)
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name="hồ sơ", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    # False when the recipient turned the in-app channel off: the row still anchors the
    # deduplication and the deliveries, but it is not listed in the inbox.
    in_app = models.BooleanField("hiện trong ứng dụng", default=True)
    created_at = models.DateTimeField("thời điểm", auto_now_add=True)
    read_at = models.DateTimeField("đã đọc lúc", null=True, blank=True)
    objects = NotificationManager()

    class Meta:
        verbose_name = "thông báo"
        verbose_name_plural = "thông báo"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_key", "recipient_key"],
                                    name="notification_once_per_event"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"],
                                name="notification_inbox")]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    notification = models.ForeignKey(Notification, verbose_name="thông báo",
                                     on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField("kênh", max_length=10, choices=Channel.choices)
    address = models.CharField("gửi tới", max_length=254)
    state = models.CharField("trạng thái", max_length=10, choices=DeliveryState.choices,
                             default=DeliveryState.QUEUED)
    attempts = models.PositiveSmallIntegerField("số lần gửi", default=0)
    reason = models.TextField("lý do lỗi", blank=True)
    provider_id = models.CharField("mã của nhà cung cấp", max_length=100, blank=True)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    last_attempt_at = models.DateTimeField("lần gửi cuối", null=True, blank=True)
    # An attempt in progress holds the row until then; a worker killed mid-send leaves a claim
    # that expires, after which the sweeper hands the delivery to another worker.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField("gửi được lúc", null=True, blank=True)
    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = "lượt gửi"
        verbose_name_plural = "lượt gửi"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"],
                                    name="delivery_once_per_channel"),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="delivery_state")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address}"


class NotificationPreference(models.Model):
    """Which channels a user wants; no row means every channel (the defaults below)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    in_app = models.BooleanField("trong ứng dụng", default=True)
    email = models.BooleanField("thư điện tử", default=True)
    sms = models.BooleanField("tin nhắn SMS", default=True)
    language = models.CharField("ngôn ngữ", max_length=5, default="vi",
                                choices=[("vi", "Tiếng Việt"), ("en", "English")])
    updated_at = models.DateTimeField(auto_now=True)
    objects = NotificationPreferenceQuerySet.as_manager()

    class Meta:
        verbose_name = "tùy chọn nhận thông báo"
        verbose_name_plural = "tùy chọn nhận thông báo"

    def __str__(self) -> str:
        return str(self.user)


class AlertKind(models.TextChoices):
    """The IOC alerts a leader can subscribe to (the other messages are not optional)."""

    NEAR_DUE = "near_due", "Hồ sơ sắp đến hạn"
    OVERDUE = "overdue", "Hồ sơ quá hạn"
    INDICATOR_LOW = "indicator_low", "Chỉ số 766 dưới ngưỡng"
    PETITION_OVERDUE = "petition_overdue", "Phản ánh, kiến nghị quá hạn"


# What a leader who never chose receives: the alerts that need a leader's decision.
DEFAULT_ALERTS = (AlertKind.OVERDUE, AlertKind.INDICATOR_LOW, AlertKind.PETITION_OVERDUE)


class AlertSubscription(models.Model):
    """The IOC alerts one user subscribes to; no row means ``DEFAULT_ALERTS`` for leaders and
    province admins (and nothing for others). Channels come from ``NotificationPreference``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="alert_subscription")
    kinds = models.JSONField("cảnh báo đăng ký", default=list)
    updated_at = models.DateTimeField(auto_now=True)
    objects = AlertSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = "đăng ký cảnh báo IOC"
        verbose_name_plural = "đăng ký cảnh báo IOC"

    def __str__(self) -> str:
        return f"{self.user}: {', '.join(self.kinds) or '—'}"
