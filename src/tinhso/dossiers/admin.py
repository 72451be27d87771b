"""Dossiers in the Django admin: read-only — every change goes through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.dossiers.models import Attachment, Dossier, DossierEvent, DossierStep


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = DossierEvent
    fields = ("at", "action", "from_status", "to_status", "actor", "note", "due_at")
    readonly_fields = fields
    ordering = ("at", "id")


class StepInline(ReadOnlyInline):
    model = DossierStep
    fields = ("index", "name", "role", "assignee", "started_at", "due_at", "finished_at")
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("kind", "component", "original_name", "content_type", "size", "sha256")
    readonly_fields = fields


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = ("code", "procedure", "agency", "status", "channel", "received_at", "due_at")
    list_filter = ("status", "channel")
    search_fields = ("=code",)
    # Large tables: no COUNT(*) of the whole table on every page, no huge select boxes.
    show_full_result_count = False
    list_select_related = ("procedure", "agency")
    raw_id_fields = ("procedure", "agency", "unit", "applicant", "assignee")
    inlines = (StepInline, EventInline, AttachmentInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
