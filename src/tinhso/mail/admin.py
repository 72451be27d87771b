"""Admin of official mail: the address book and the agencies' mailboxes are edited here (the
IMAP password is never stored: only the name of the environment variable holding it); sent and
received mail are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.core.text import fold
from tinhso.mail.models import AddressEntry, InboundMessage, Mailbox, OutboundMail


@admin.register(AddressEntry)
class AddressEntryAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "kind", "agency", "position", "is_active"]
    list_filter = ["kind", "is_active", "agency"]
    search_fields = ["name", "email", "position", "search_text"]
    list_select_related = ["agency"]
    raw_id_fields = ["user"]
    exclude = ["search_text"]

    def save_model(self, request: HttpRequest, obj: AddressEntry, form: Any,
                   change: bool) -> None:
        obj.search_text = fold(" ".join([obj.name, obj.position, obj.email,
                                         obj.agency.name]))[:600]
        super().save_model(request, obj, form, change)


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["address", "agency", "imap_host", "is_active", "last_uid", "last_fetch_at",
                    "last_error"]
    list_filter = ["is_active"]
    search_fields = ["address"]
    readonly_fields = ["uidvalidity", "last_uid", "last_fetch_at", "last_error"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboundMail)
class OutboundMailAdmin(_ReadOnly):
    list_display = ["subject", "agency", "from_address", "state", "attempts", "created_at",
                    "sent_at"]
    list_filter = ["state", "agency"]
    search_fields = ["subject", "message_id"]


@admin.register(InboundMessage)
class InboundMessageAdmin(_ReadOnly):
    list_display = ["subject", "from_address", "agency", "mailbox", "received_at"]
    list_filter = ["agency"]
    search_fields = ["subject", "from_address", "message_id"]
