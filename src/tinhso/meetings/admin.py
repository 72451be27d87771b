"""Admin for meetings: read-only (every change goes through the services, which keep the
event log, the outbox and the permissions in step)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.meetings.models import AgendaItem, Meeting, MeetingEvent, Participant


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AgendaItemInline(_ReadOnlyInline):
    model = AgendaItem
    fields = ["position", "title", "presenter", "voting", "voting_closed_at"]


class ParticipantInline(_ReadOnlyInline):
    model = Participant
    fields = ["user", "role", "checked_in_at"]


class MeetingEventInline(_ReadOnlyInline):
    model = MeetingEvent
    fields = ["at", "action", "actor", "data"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "agency", "starts_at", "status", "minutes_signed_at"]
    list_filter = ["status", "agency"]
    search_fields = ["slug", "title"]
    date_hierarchy = "starts_at"
    list_select_related = ["agency"]
    inlines = [AgendaItemInline, ParticipantInline, MeetingEventInline]
    readonly_fields = [f.name for f in Meeting._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
