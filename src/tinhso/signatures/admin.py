"""Read-mostly admin for the PKI: lifecycle changes go through the services (API or CLI)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.signatures.models import (
    Certificate,
    CertificateAuthority,
    CertificateEvent,
    CertificateRequest,
    CscSandboxCredential,
    TrustAnchor,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "subject", "key_algorithm", "not_after", "is_active",
                    "crl_number", "crl_next_update")
    exclude = ("key_pem",)


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("common_name", "kind", "status", "key_storage", "serial", "not_after",
                    "holder_agency")
    list_filter = ("kind", "status", "key_storage", "ca")
    search_fields = ("common_name", "serial", "subject", "fingerprint")
    exclude = ("key_pem",)
    list_select_related = ("holder_agency",)


@admin.register(CertificateRequest)
class CertificateRequestAdmin(ReadOnlyAdmin):
    list_display = ("common_name", "kind", "status", "key_storage", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("common_name",)


@admin.register(TrustAnchor)
class TrustAnchorAdmin(ReadOnlyAdmin):
    list_display = ("name", "subject", "not_after", "is_active", "imported_at")


@admin.register(CertificateEvent)
class CertificateEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "certificate", "ca", "from_status", "to_status", "actor")
    list_filter = ("action",)
    list_select_related = ("certificate", "ca", "actor")


@admin.register(CscSandboxCredential)
class CscSandboxCredentialAdmin(ReadOnlyAdmin):
    """The local CSC sandbox's keys (development only; ``tinhso csc-sandbox enrol``)."""

    list_display = ("credential_id", "description", "key_algorithm", "behaviour", "created_at")
    exclude = ("key_pem",)
