"""Admin: agronomists edit the alarm rules here without code; farms and parcels are listed.
Devices are added and revoked through `tinhso iot …` or the services (the token is shown once
and the broker must follow), so the admin shows them read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from tinhso.iot.models import (
    AgriOfficer,
    Alarm,
    AlarmCondition,
    AlarmRule,
    Device,
    Farm,
    Parcel,
)


class AlarmConditionInline(admin.TabularInline):
    model = AlarmCondition
    extra = 1


@admin.register(AlarmRule)
class AlarmRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "crop", "stages", "duration_hours", "severity", "enabled"]
    list_filter = ["crop", "severity", "enabled", "kind"]
    inlines = [AlarmConditionInline]


class ParcelInline(admin.TabularInline):
    model = Parcel
    extra = 0


@admin.register(Farm)
class FarmAdmin(admin.ModelAdmin):
    list_display = ["name", "owner_kind", "owner_name", "commune"]
    list_filter = ["owner_kind"]
    search_fields = ["name", "owner_name"]
    raw_id_fields = ["owner", "commune"]
    inlines = [ParcelInline]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "mqtt_username", "parcel", "is_active", "broker_synced",
                    "last_seen_at", "bad_payloads"]
    list_filter = ["is_active", "broker_synced"]
    readonly_fields = [f.name for f in Device._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = ["rule", "parcel", "commune", "severity", "active", "created_at",
                    "cleared_at", "acknowledged_at"]
    list_filter = ["active", "severity", "crop"]
    readonly_fields = [f.name for f in Alarm._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(AgriOfficer)
class AgriOfficerAdmin(admin.ModelAdmin):
    list_display = ["user", "commune"]
    raw_id_fields = ["user", "commune"]
