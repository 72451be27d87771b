"""Administrators see every message and its delivery log, and can send a failed one again."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tinhso.core.errors import DomainError
from tinhso.notifications import services
from tinhso.notifications.models import Delivery, Notification, NotificationPreference


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "address", "state", "attempts", "reason", "last_attempt_at", "sent_at")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient_key", "kind", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "recipient_key", "event_key", "email", "phone")
    readonly_fields = [f.name for f in Notification._meta.fields]
    inlines = [DeliveryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("notification", "channel", "address", "state", "attempts", "reason",
                    "last_attempt_at")
    list_filter = ("state", "channel")
    search_fields = ("address", "notification__title")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Gửi lại các lượt gửi thất bại")
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = 0
        for delivery in queryset:
            try:
                services.delivery_retry(acting_user=request.user, delivery_id=delivery.pk)
            except DomainError as exc:
                self.message_user(request, exc.message_vi, messages.ERROR)
                return
            count += 1
        self.message_user(request, f"Đã xếp {count} lượt gửi vào hàng đợi.", messages.SUCCESS)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "in_app", "email", "sms", "language")
    search_fields = ("user__username",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["user"] if obj else []
