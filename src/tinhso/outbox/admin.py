"""The outbox and the consumers' cursors, read-only (operators watch lag and errors)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.outbox.models import ConsumerCursor, OutboxEvent


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(_ReadOnly):
    list_display = ["id", "type", "occurred_at", "aggregate_type", "aggregate_id", "agency_id"]
    list_filter = ["type", "aggregate_type"]
    search_fields = ["aggregate_id", "=event_id"]
    show_full_result_count = False  # the table grows without bound: no COUNT(*) per page


@admin.register(ConsumerCursor)
class ConsumerCursorAdmin(_ReadOnly):
    list_display = ["name", "position", "delivered", "last_event_at", "failures",
                    "failing_event_id", "last_error_at"]
