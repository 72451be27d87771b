"""Admin: operators register trace parties with their locations (GLNs) and company prefixes,
products and certificates. Events, capture jobs and the ledger are read-only here (the ledger is
append-only; ``tinhso trace verify-log`` checks it)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from tinhso.trace.models import (
    CaptureJob,
    Certificate,
    CompanyPrefix,
    Event,
    LedgerHead,
    Product,
    QuerySubscription,
    TraceLocation,
    TraceParty,
)


class LocationInline(admin.TabularInline):
    model = TraceLocation
    extra = 1
    raw_id_fields = ["commune", "parcel"]


class PrefixInline(admin.TabularInline):
    model = CompanyPrefix
    extra = 1


@admin.register(TraceParty)
class TracePartyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "commune", "user", "events_public", "created_at"]
    list_filter = ["kind", "events_public"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user", "commune"]
    inlines = [LocationInline, PrefixInline]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["gtin", "name", "crop", "party"]
    list_filter = ["crop"]
    search_fields = ["gtin", "name"]


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["kind", "decision_number", "party", "gtin", "stars", "issued_on",
                    "valid_until"]
    list_filter = ["kind"]
    search_fields = ["decision_number", "party__name"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ["leaf_index", "event_type", "biz_step", "event_time", "party"]
    list_filter = ["event_type"]
    search_fields = ["event_id"]
    show_full_result_count = False


@admin.register(CaptureJob)
class CaptureJobAdmin(ReadOnly):
    list_display = ["id", "party", "state", "event_count", "captured", "created_at"]
    list_filter = ["state"]


@admin.register(LedgerHead)
class LedgerHeadAdmin(ReadOnly):
    list_display = ["tree_size", "timestamp_ms", "created_at"]


@admin.register(QuerySubscription)
class QuerySubscriptionAdmin(ReadOnly):
    # Operators see why a receiver is not served (failures, last error); tokens stay hidden.
    list_display = ["id", "query", "dest", "stream", "due_at", "failures", "last_error",
                    "last_notified_at"]
    list_filter = ["stream"]
    exclude = ["signature_token_enc"]
