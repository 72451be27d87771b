"""Payments in the Django admin: read-only — confirmations go through the services (counter) or
the gateway's signed IPN (online), never through a form."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.payments.models import (
    FeeExemption,
    FeeRule,
    LedgerEntry,
    Payment,
    PaymentAttempt,
    PaymentAttemptEvent,
    Receipt,
    Refund,
    StatementLine,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttemptInline(admin.TabularInline):
    model = PaymentAttempt
    extra = 0
    can_delete = False
    fields = ("txn_ref", "status", "amount", "created_at", "ipn_received_at", "transaction_no",
              "needs_refund")
    readonly_fields = fields
    show_change_link = True
    verbose_name = "lượt thanh toán trực tuyến"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttemptEventInline(admin.TabularInline):
    model = PaymentAttemptEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "from_status", "to_status", "rsp_code", "remote_addr", "actor")
    readonly_fields = fields
    verbose_name = "sự kiện"
    verbose_name_plural = "nhật ký"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "dossier", "amount", "status", "online", "method", "requested_at",
                    "paid_at")
    list_filter = ("status", "online", "method")
    search_fields = ("=dossier__code", "=reference")
    list_select_related = ("dossier",)
    raw_id_fields = ("dossier", "requested_by")
    inlines = (AttemptInline,)


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdmin):
    list_display = ("txn_ref", "payment", "amount", "status", "created_at", "ipn_received_at",
                    "needs_refund")
    list_filter = ("status", "needs_refund", "gateway")
    search_fields = ("=txn_ref", "=transaction_no", "=payment__dossier__code")
    list_select_related = ("payment",)
    raw_id_fields = ("payment", "created_by")
    inlines = (AttemptEventInline,)


@admin.register(FeeRule)
class FeeRuleAdmin(admin.ModelAdmin):
    list_display = ("procedure", "kind", "amount", "first_pages", "amount_after", "cap_per_copy")
    search_fields = ("procedure__code", "procedure__name")
    autocomplete_fields = ("procedure",)


@admin.register(FeeExemption)
class FeeExemptionAdmin(admin.ModelAdmin):
    list_display = ("group", "group_name", "procedure", "percent", "legal_basis")
    search_fields = ("group", "group_name", "procedure__code")
    autocomplete_fields = ("procedure",)


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("agency", "year", "series", "number", "status", "payer_name", "amount")
    list_filter = ("status", "year")
    search_fields = ("payer_name", "payment__dossier__code")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("attempt", "amount", "status", "response_code", "requested_at")
    list_filter = ("status",)


@admin.register(StatementLine)
class StatementLineAdmin(ReadOnlyAdmin):
    list_display = ("bank_ref", "booked_at", "amount", "status", "agency", "payment")
    list_filter = ("status",)
    search_fields = ("bank_ref", "note")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "agency", "kind", "channel", "amount", "reference")
    list_filter = ("kind", "channel")
