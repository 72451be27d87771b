"""Admin for the IOC: notifications, and the facts read-only (they derive from the event log;
`tinhso ioc rebuild` recomputes them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.ioc.models import FACT_COLUMNS, DailyFact, MonthlyFact, Notification


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DailyFact)
class DailyFactAdmin(ReadOnlyAdmin):
    list_display = ["day", "agency", "procedure", "received", "finished_on_time",
                    "finished_late", "overdue_started", "received_online"]
    list_filter = ["agency"]
    date_hierarchy = "day"
    list_select_related = ["agency", "procedure"]
    readonly_fields = ["day", "agency", "unit", "procedure", *FACT_COLUMNS]


@admin.register(MonthlyFact)
class MonthlyFactAdmin(ReadOnlyAdmin):
    list_display = ["month", "agency", "procedure", "received", "finished_on_time",
                    "finished_late"]
    list_filter = ["agency"]
    list_select_related = ["agency", "procedure"]
    readonly_fields = ["month", "agency", "unit", "procedure", *FACT_COLUMNS]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["title", "key", "recipient__username"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    readonly_fields = ["recipient", "kind", "key", "title", "body", "url", "dossier", "agency",
                       "created_at", "read_at", "emailed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
