"""Admin: the national portal's sync log and the catalogue comparisons, read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.connectors.models import CatalogueSync, PortalSync


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PortalSync)
class PortalSyncAdmin(_ReadOnly):
    list_display = ("dossier_code", "action", "national_status", "occurred_at", "state",
                    "attempts", "acknowledged_at", "last_error")
    list_filter = ("state", "national_status")
    search_fields = ("dossier_code",)


@admin.register(CatalogueSync)
class CatalogueSyncAdmin(_ReadOnly):
    list_display = ("at", "national_count", "local_count", "error")
