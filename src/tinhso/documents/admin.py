"""Read-only admin of issued documents and the e-certification register, with CSV export."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from tinhso.documents import signers
from tinhso.documents.models import CertificationRegisterEntry, CompetentSigner, Document
from tinhso.documents.selectors import register_csv


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "form", "dossier", "agency", "signed_at", "size")
    list_filter = ("form",)
    search_fields = ("uuid", "sha256", "dossier__code")
    list_select_related = ("dossier", "agency")


@admin.action(description="Xuất CSV các dòng đã chọn")
def export_csv(modeladmin: Any, request: HttpRequest, queryset: Any) -> HttpResponse:
    response = HttpResponse(register_csv(queryset.select_related("agency", "officer", "document")),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="so-chung-thuc.csv"'
    return response


@admin.register(CertificationRegisterEntry)
class CertificationRegisterAdmin(ReadOnlyAdmin):
    list_display = ("number", "book_number", "certified_on", "applicant_name",
                    "original_description", "pages", "fee", "officer", "agency")
    list_filter = ("year", "agency")
    search_fields = ("applicant_name", "original_description", "applicant_id_number", "=number")
    date_hierarchy = "certified_on"
    actions = [export_csv]
    list_select_related = ("officer", "agency")


@admin.register(CompetentSigner)
class CompetentSignerAdmin(admin.ModelAdmin):
    """Competent signers of certified copies (Decree 23/2015 art. 5). Writes go through the
    services: adding registers a signer, editing may only end the registration."""

    list_display = ("user", "position", "agency", "valid_from", "valid_to")
    list_filter = ("position",)
    search_fields = ("user__username", "user__full_name", "agency__name", "agency__code")
    list_select_related = ("user", "agency")
    raw_id_fields = ("agency", "user")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("agency", "user", "position", "valid_from") if obj is None else ("valid_to",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: CompetentSigner, form: Any,
                   change: bool) -> None:
        if change:
            saved = signers.competent_signer_end(acting_user=request.user, signer=obj,
                                                 valid_to=obj.valid_to)
        else:
            saved = signers.competent_signer_add(
                acting_user=request.user, agency=obj.agency, user=obj.user,
                position=obj.position, valid_from=obj.valid_from)
        obj.pk = saved.pk
