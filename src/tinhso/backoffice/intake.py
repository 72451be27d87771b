"""Counter intake (direct channel): the receiver enters a walk-in applicant's dossier, scans the
documents, and prints the receipt (form 01). Calls ``dossier_create_direct``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from tinhso.backoffice.views import _nav_context, official_required
from tinhso.core.errors import DomainError, NotFound
from tinhso.core.requests import AuthedRequest
from tinhso.dossiers.models import ApplicantKind, Channel
from tinhso.portal import catalogue, schema_forms
from tinhso.portal.errors import attach_domain_error, error_message
from tinhso.portal.forms import upload_limits


class ApplicantForm(forms.Form):
    applicant_kind = forms.ChoiceField(label=_lazy("Người nộp là"),
                                       choices=ApplicantKind.choices,
                                       initial=ApplicantKind.CITIZEN)
    applicant_id_number = forms.CharField(
        label=_lazy("Số định danh cá nhân / mã số thuế"), max_length=14,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    applicant_name = forms.CharField(label=_lazy("Họ tên người nộp / tên tổ chức"),
                                     max_length=200)
    applicant_phone = forms.CharField(label=_lazy("Điện thoại"), max_length=20, required=False)
    applicant_email = forms.EmailField(label=_lazy("Thư điện tử"), required=False)
    applicant_address = forms.CharField(label=_lazy("Địa chỉ"), max_length=255, required=False)
    channel = forms.TypedChoiceField(
        label=_lazy("Hình thức nộp"), coerce=int, initial=Channel.DIRECT,
        choices=[(Channel.DIRECT, Channel.DIRECT.label), (Channel.POSTAL, Channel.POSTAL.label)])


@official_required
def intake_start(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_role("receiver"):  # type: ignore[union-attr]
        messages.error(request, _("Chỉ cán bộ tiếp nhận mới tiếp nhận hồ sơ tại quầy."))
        return redirect("backoffice:home")
    q = request.GET.get("q", "").strip()[:200]
    agency_code = user.agency.code if user.agency else None  # type: ignore[union-attr]
    # Ranked by relevance (typos, synonyms); without a query, most popular first.
    procedures = list(catalogue.search_procedures(q, agency_code=agency_code)[:50])
    return render(request, "backoffice/intake_start.html", {
        **_nav_context(request, None), "q": q, "procedures": procedures, "nav": "intake"})


def _schema_forms(procedure: Any, data: Any = None) -> list[tuple[Any, forms.Form]]:
    result = []
    for step in schema_forms.schema_steps(procedure.form_schema):
        form_class = schema_forms.build_form_class(step)
        result.append((step, form_class(data, prefix=step.key)))
    return result


@official_required
def intake_form(request: AuthedRequest, code: str) -> HttpResponse:
    from tinhso.dossiers.services import dossier_create_direct

    user = request.user
    if not user.has_role("receiver"):  # type: ignore[union-attr]
        messages.error(request, _("Chỉ cán bộ tiếp nhận mới tiếp nhận hồ sơ tại quầy."))
        return redirect("backoffice:home")
    try:
        procedure = catalogue.procedure_get(code)
    except NotFound as exc:
        raise Http404(code) from exc
    components = list(procedure.components.all())
    data = request.POST if request.method == "POST" else None
    applicant = ApplicantForm(data)
    step_forms = _schema_forms(procedure, data)
    errors: list[str] = []
    if request.method == "POST":
        valid = applicant.is_valid()
        valid = all([f.is_valid() for _, f in step_forms]) and valid
        files: list[tuple[str, UploadedFile]] = [
            (c.code, upload) for c in components
            for upload in request.FILES.getlist(f"file_{c.code}")]
        if valid:
            form_data: dict[str, Any] = {}
            for step, form in step_forms:
                form_data.update(schema_forms.step_data(step, form.cleaned_data))
            a = applicant.cleaned_data
            try:
                dossier = dossier_create_direct(
                    acting_user=user, procedure_code=procedure.code,
                    applicant_kind=a["applicant_kind"],
                    applicant_id_number=a["applicant_id_number"],
                    applicant_name=a["applicant_name"], form_data=form_data, files=files,
                    channel=a["channel"], applicant_phone=a["applicant_phone"],
                    applicant_email=a["applicant_email"],
                    applicant_address=a["applicant_address"])
            except DomainError as exc:
                details = exc.details if isinstance(exc.details, dict) else {}
                if details.get("field") in ("id_number", "applicant_id_number") or \
                        exc.code in ("INVALID_ID_NUMBER", "INVALID_TAX_CODE"):
                    applicant.add_error("applicant_id_number", error_message(exc))
                elif details.get("field"):
                    attach_domain_error(applicant, exc, {
                        "name": "applicant_name", "phone": "applicant_phone",
                        "email": "applicant_email"})
                else:
                    errors.append(error_message(exc))
            else:
                messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {
                    "code": dossier.code})
                return redirect("backoffice:receipt", code=dossier.code)
    return render(request, "backoffice/intake_form.html", {
        **_nav_context(request, None), "procedure": procedure, "applicant": applicant,
        "step_forms": step_forms, "components": components, "errors": errors,
        "limits": upload_limits(), "nav": "intake"})
