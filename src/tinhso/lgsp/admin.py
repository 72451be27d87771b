"""Admin: the registry is edited here by LGSP operators; the log is read-only (append-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.lgsp.models import (
    AccessRight,
    ClientCertificate,
    ClientToken,
    LogEntry,
    Member,
    RegistryEvent,
    Service,
    SignedTreeHead,
    Subsystem,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SubsystemInline(admin.TabularInline):
    model = Subsystem
    extra = 0


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("instance", "member_class", "member_code", "name", "agency")
    search_fields = ("member_code", "name")
    inlines = [SubsystemInline]


class AccessRightInline(admin.TabularInline):
    model = AccessRight
    extra = 0
    autocomplete_fields = ("client",)


@admin.register(Subsystem)
class SubsystemAdmin(admin.ModelAdmin):
    list_display = ("__str__", "name", "rate_limit", "is_active")
    search_fields = ("code", "name", "member__member_code")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "url", "service_type", "timeout_seconds", "is_enabled")
    search_fields = ("code", "url")
    inlines = [AccessRightInline]


@admin.register(ClientToken)
class ClientTokenAdmin(ReadOnlyAdmin):
    list_display = ("subsystem", "prefix", "created_at", "expires_at", "revoked_at")


@admin.register(ClientCertificate)
class ClientCertificateAdmin(ReadOnlyAdmin):
    list_display = ("subsystem", "certificate", "created_at")


@admin.register(RegistryEvent)
class RegistryEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "target", "actor")


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    list_display = ("index", "logged_at", "client", "service", "method", "path", "status",
                    "duration_ms")
    search_fields = ("x_road_id", "client", "service")
    exclude = ("leaf_hash",)


@admin.register(SignedTreeHead)
class SignedTreeHeadAdmin(ReadOnlyAdmin):
    list_display = ("tree_size", "timestamp_ms", "signature_algorithm", "created_at")
    exclude = ("root_hash", "signature", "timestamp_token")
