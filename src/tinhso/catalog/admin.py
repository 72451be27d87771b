"""Admin for the procedure catalogue (Vietnamese labels, diacritics-insensitive search).

Saves go through the same checks as the import (valid JSON Schema, process shares summing to 1)
and keep ``search_text`` in sync with the name; every change is audited.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from tinhso.catalog.models import Field, Procedure, ProcedureComponent
from tinhso.catalog.validation import check_form_schema, template_problems
from tinhso.core.text import fold, nfc
from tinhso.units.admin import AuditedAdminMixin


class ProcedureComponentInline(admin.TabularInline):
    model = ProcedureComponent
    extra = 0
    fields = ("order", "code", "name", "required", "copies")
    ordering = ("order",)
    verbose_name = "thành phần hồ sơ"
    verbose_name_plural = "thành phần hồ sơ"


class ProcedureForm(forms.ModelForm):
    class Meta:
        model = Procedure
        fields = (
            "code", "name", "field", "level", "implementing_body", "agencies", "is_active",
            "popularity", "processing_days", "deadline_kind", "processing_hours", "cutoff_time",
            "payment_pauses_clock", "fee", "fee_note", "applicant_type",
            "online_level", "result_type", "result_name", "description", "legal_basis", "note",
            "form_schema", "process_template", "announced_at", "published_at", "effective_from",
        )

    def clean_name(self) -> str:
        return nfc(self.cleaned_data["name"]).strip()

    def clean_form_schema(self) -> Any:
        schema = self.cleaned_data.get("form_schema")
        problem = check_form_schema(schema)
        if problem is not None:
            raise forms.ValidationError(f"Biểu mẫu không hợp lệ (JSON Schema): {problem}")
        return schema

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left empty, the rule is the general one (working days).
        self.fields["deadline_kind"].required = False

    def clean_deadline_kind(self) -> str:
        return self.cleaned_data.get("deadline_kind") or "working_days"

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if data.get("deadline_kind") == "hours" and not data.get("processing_hours"):
            self.add_error("processing_hours",
                           "Bắt buộc khi thời hạn tính theo giờ làm việc (lớn hơn 0).")
        return data

    def clean_process_template(self) -> Any:
        template = self.cleaned_data.get("process_template")
        problems = template_problems(template)
        if problems:
            raise forms.ValidationError(
                "Quy trình không hợp lệ (mỗi bước có code, name, role ∈ receiver/specialist/"
                "leader/clerk, share > 0; tổng share = 1): " + "; ".join(problems))
        return template


def _search(queryset: QuerySet[Any], term: str, column: str = "search_text") -> QuerySet[Any]:
    for word in fold(term).split():
        queryset = queryset.filter(Q(**{f"{column}__contains": word}) | Q(code__icontains=word))
    return queryset


@admin.register(Field)
class FieldAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Procedure)
class ProcedureAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = ProcedureForm
    inlines = [ProcedureComponentInline]
    list_display = ("code", "name", "field", "level", "processing_days", "fee", "online_level",
                    "popularity", "is_active")
    list_filter = ("level", "online_level", "applicant_type", "result_type", "is_active", "field")
    list_select_related = ("field",)
    search_fields = ("code", "search_text")
    search_help_text = "Tìm theo mã hoặc tên thủ tục (không phân biệt dấu, hoa thường)."
    filter_horizontal = ("agencies",)
    fieldsets = (
        (None, {"fields": ("code", "name", "field", "level", "implementing_body", "agencies",
                           "is_active", "popularity")}),
        ("Thời hạn, phí, kết quả", {"fields": (
            "processing_days", "deadline_kind", "processing_hours", "cutoff_time",
            "payment_pauses_clock", "fee", "fee_note", "applicant_type", "online_level",
            "result_type", "result_name")}),
        ("Nội dung", {"fields": ("description", "legal_basis", "note")}),
        ("Biểu mẫu và quy trình", {"fields": ("form_schema", "process_template")}),
        ("Ngày công bố, công khai, hiệu lực", {"fields": (
            "announced_at", "published_at", "effective_from")}),
    )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any],
                           search_term: str) -> tuple[QuerySet[Any], bool]:
        # The same rule as the public search: every folded word in the name or the code.
        return _search(queryset, search_term), False

    # This admin is given its own model's objects only (the mixin is typed for any model).
    def save_model(self, request: HttpRequest,  # type: ignore[override]
                   obj: Procedure, form: forms.ModelForm, change: bool) -> None:
        obj.search_text = fold(obj.name)
        super().save_model(request, obj, form, change)


@admin.register(ProcedureComponent)
class ProcedureComponentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("procedure", "order", "code", "name", "required", "copies")
    list_select_related = ("procedure",)
    search_fields = ("code", "name", "procedure__code")
