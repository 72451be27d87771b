"""Admin: the registry is edited here by LGSP operators; the log is read-only (append-only)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.http import HttpRequest

from tinhso.accounts.models import User
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


class AuditedAdmin(admin.ModelAdmin):
    """Registry edits in the admin leave the same audit trail as the services' (RegistryEvent)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        RegistryEvent.objects.create(
            action=f"admin_{'change' if change else 'add'}_{obj._meta.model_name}",
            actor=cast(User, request.user), target=str(obj)[:300],
            data={"fields": sorted(form.changed_data)})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        RegistryEvent.objects.create(action=f"admin_delete_{obj._meta.model_name}",
                                     actor=cast(User, request.user), target=str(obj)[:300])
        super().delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects + [o for o, _ in formset.changed_objects]:
            RegistryEvent.objects.create(action=f"admin_save_{obj._meta.model_name}",
                                         actor=cast(User, request.user), target=str(obj)[:300])
        for obj in formset.deleted_objects:
            RegistryEvent.objects.create(action=f"admin_delete_{obj._meta.model_name}",
                                         actor=cast(User, request.user), target=str(obj)[:300])


class SubsystemInline(admin.TabularInline):
    model = Subsystem
    extra = 0


@admin.register(Member)
class MemberAdmin(AuditedAdmin):
    list_display = ("instance", "member_class", "member_code", "name", "agency")
    search_fields = ("member_code", "name")
    inlines = [SubsystemInline]


class AccessRightInline(admin.TabularInline):
    model = AccessRight
    extra = 0
    autocomplete_fields = ("client",)


@admin.register(Subsystem)
class SubsystemAdmin(AuditedAdmin):
    list_display = ("__str__", "name", "rate_limit", "is_active")
    search_fields = ("code", "name", "member__member_code")


@admin.register(Service)
class ServiceAdmin(AuditedAdmin):
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
