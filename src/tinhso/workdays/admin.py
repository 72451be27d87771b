"""Django admin for calendar overrides; writes go through the services (audit, permission)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tinhso.core.errors import DomainError
from tinhso.workdays import services
from tinhso.workdays.calendar import WEEKDAY_NAMES_VI, default_day_info
from tinhso.workdays.models import CalendarOverride
from tinhso.workdays.permissions import can_edit_calendar


class CalendarOverrideForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ["date", "kind", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        day = data.get("date") if self.instance.pk is None else self.instance.date
        try:
            services.validate_override(date=day, kind=data.get("kind"),
                                       reason=data.get("reason"), exclude_pk=self.instance.pk)
        except DomainError as exc:
            raise forms.ValidationError(exc.message_vi, code=exc.code) from exc
        return data


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    form = CalendarOverrideForm
    list_display = ["date", "weekday", "kind", "reason", "default_state", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["reason"]
    date_hierarchy = "date"
    ordering = ["-date"]

    @admin.display(description="thứ")
    def weekday(self, obj: CalendarOverride) -> str:
        return WEEKDAY_NAMES_VI[obj.date.weekday()]

    @admin.display(description="nếu không điều chỉnh")
    def default_state(self, obj: CalendarOverride) -> str:
        info = default_day_info(obj.date)
        return f"{'Làm việc' if info.working else 'Nghỉ'} ({info.reason})"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The date is the override's identity: to move it, delete and create another.
        return ["date", "updated_at"] if obj is not None else ["updated_at"]

    # Only province admins write the calendar (same rule as the API).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_edit_calendar(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit_calendar(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit_calendar(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return bool(user.is_active and getattr(user, "is_staff", False))

    def save_model(self, request: HttpRequest, obj: CalendarOverride, form: Any,
                   change: bool) -> None:
        if change:
            current = CalendarOverride.objects.get(pk=obj.pk)
            saved = services.override_update(acting_user=request.user, override=current,
                                             kind=obj.kind, reason=obj.reason)
        else:
            saved = services.override_create(acting_user=request.user, date=obj.date,
                                             kind=obj.kind, reason=obj.reason)
        # The admin reads pk and fields back from ``obj`` for its messages and redirects.
        obj.pk, obj.reason, obj.updated_at = saved.pk, saved.reason, saved.updated_at

    def delete_model(self, request: HttpRequest, obj: CalendarOverride) -> None:
        services.override_delete(acting_user=request.user, override=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarOverride]) -> None:
        for obj in queryset:
            services.override_delete(acting_user=request.user, override=obj)
