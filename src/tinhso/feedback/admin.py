"""Admin for feedback/petitions: read-only views (every change goes through the services, which
keep the deadlines, the event log and the IOC in step)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.http import HttpRequest

from tinhso.feedback.models import Feedback, FeedbackEvent


class FeedbackEventInline(admin.TabularInline):
    model = FeedbackEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "from_status", "to_status", "actor", "note"]
    readonly_fields = cast(list[str], fields)  # plain field names, no groups
    verbose_name = "sự kiện"
    verbose_name_plural = "nhật ký xử lý"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "kind", "agency", "status", "submitted_at",
                    "handle_due_at", "handled_on_time", "rating"]
    list_filter = ["status", "kind", "handled_on_time", "agency"]
    search_fields = ["code", "title", "content", "dossier__code"]
    date_hierarchy = "submitted_at"
    list_select_related = ["agency"]
    inlines = [FeedbackEventInline]
    readonly_fields = [f.name for f in Feedback._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
