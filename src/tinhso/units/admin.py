"""Admin for administrative units and agencies (Vietnamese labels); changes are audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from tinhso.units.models import AdminUnit, Agency


class AuditedAdminMixin:
    """Write an AuditLog row for every admin save and delete, inside the admin's transaction
    (Django wraps the change view in ``transaction.atomic``)."""

    def _audit(self, request: HttpRequest, obj: Model, action: str,
               data: dict[str, Any] | None = None) -> None:
        from tinhso.accounts.services import audit_log_write

        audit_log_write(actor=request.user if request.user.is_authenticated else None,
                        action=action, object_type=obj._meta.model_name or "",
                        object_id=obj.pk, data=data or {})

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm,
                   change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        self._audit(request, obj, "admin_change" if change else "admin_add",
                    {"fields": sorted(form.changed_data)})

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self._audit(request, obj, "admin_delete", {"repr": str(obj)})
        super().delete_model(request, obj)  # type: ignore[misc]


@admin.register(AdminUnit)
class AdminUnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "__str__", "structure", "level", "parent", "valid_from", "valid_to",
                    "successor")
    list_filter = ("structure", "level", "unit_type")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent", "successor")
    list_select_related = ("parent", "successor")
    list_per_page = 100
    fieldsets = (
        (None, {"fields": ("structure", "code", "unit_type", "name", "level", "parent")}),
        ("Hiệu lực và kế thừa", {"fields": ("valid_from", "valid_to", "successor")}),
        ("Tọa độ", {"fields": ("latitude", "longitude"), "classes": ("collapse",)}),
    )


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "unit", "parent", "has_one_stop_desk", "is_active")
    list_filter = ("kind", "is_active", "has_one_stop_desk", "unit__structure", "unit__level")
    search_fields = ("code", "name", "short_name")
    autocomplete_fields = ("unit", "parent")
    list_select_related = ("unit", "parent")
    list_per_page = 100
    fieldsets = (
        (None, {"fields": ("code", "name", "short_name", "kind", "unit", "parent", "is_active")}),
        ("Bộ phận một cửa", {"fields": ("has_one_stop_desk", "one_stop_desk_name")}),
        ("Liên hệ", {"fields": ("address", "phone", "email")}),
        ("Giờ làm việc", {"fields": (("morning_start", "morning_end"),
                                     ("afternoon_start", "afternoon_end"))}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agency]:
        return super().get_queryset(request).select_related("unit", "parent")
