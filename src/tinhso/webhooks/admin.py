"""Admin: subscriptions (secrets shown once, rotation, on/off) and the read-only delivery log
with a replay action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tinhso.core import outbound
from tinhso.webhooks import services
from tinhso.webhooks.models import Attempt, Delivery, Subscription


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label="địa chỉ nhận", max_length=500, assume_scheme="https")

    class Meta:
        model = Subscription
        fields = "__all__"  # noqa: DJ007 - the admin's own field list decides

    def clean_url(self) -> str:
        """The SSRF guard, on creation and on every edit of the URL (an edit does not go
        through ``subscription_create``)."""
        url = str(self.cleaned_data["url"])
        try:
            outbound.check_url(url)
        except outbound.OutboundRefused as refused:
            raise forms.ValidationError(f"{refused.message_vi} ({refused.code})") from None
        return url


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "url", "agency", "is_active", "disabled_reason", "failing_since")
    list_filter = ("is_active",)
    readonly_fields = ("disabled_at", "disabled_reason", "failing_since", "created_at",
                       "created_by")
    actions = ("rotate_secret", "enable", "disable")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.subscription_create(
            acting_user=request.user, name=obj.name, url=obj.url,
            event_types=list(obj.event_types or []), agency=obj.agency)
        obj.pk = created.subscription.pk
        self.message_user(request, f"Khóa ký (chỉ hiện một lần): {created.secret}",
                          messages.WARNING)

    @admin.action(description="Đổi khóa ký (khóa cũ còn ký trong thời gian chuyển tiếp)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for sub in queryset:
            raw = services.secret_rotate(acting_user=request.user, subscription=sub)
            self.message_user(request, f"{sub.name}: khóa ký mới (chỉ hiện một lần): {raw}",
                              messages.WARNING)

    @admin.action(description="Bật lại")
    def enable(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for sub in queryset:
            services.subscription_set_active(acting_user=request.user, subscription=sub,
                                             active=True)

    @admin.action(description="Tắt")
    def disable(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for sub in queryset:
            services.subscription_set_active(acting_user=request.user, subscription=sub,
                                             active=False)


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "at", "status_code", "duration_ms", "error",
                       "response_excerpt")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("pk", "event_type", "subscription", "status", "attempts",
                    "last_status_code", "next_attempt_at", "delivered_at")
    list_filter = ("status", "event_type")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = (AttemptInline,)
    actions = ("replay",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Gửi lại")
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        for d in queryset:
            services.delivery_replay(acting_user=request.user, delivery=d)
        self.message_user(request, f"Đã xếp lịch gửi lại {queryset.count()} lần chuyển.")
