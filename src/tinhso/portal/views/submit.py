"""Online submission: a draft filled in step by step, files uploaded with progress, a review
page, then ``dossier_submit_online`` through ``draft_submit``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tinhso.core.errors import DomainError, NotFound, PermissionDenied
from tinhso.core.requests import HtmxRequest
from tinhso.portal import catalogue, schema_forms, services
from tinhso.portal.errors import attach_domain_error, error_message
from tinhso.portal.forms import ContactForm, UploadForm, upload_limits
from tinhso.portal.models import Draft
from tinhso.units.models import Agency


@dataclass
class WizardStep:
    key: str
    title: str
    url: str
    done: bool


def _steps(draft: Draft) -> list[WizardStep]:
    done = set(draft.completed_steps)
    steps = [WizardStep("contact", _("Nơi nộp, liên hệ"),
                        reverse("portal:draft_contact", args=[draft.pk]), "contact" in done)]
    for step in schema_forms.schema_steps(draft.procedure.form_schema):
        steps.append(WizardStep(step.key, step.title,
                                reverse("portal:draft_form", args=[draft.pk, step.key]),
                                step.key in done))
    steps.append(WizardStep("files", _("Giấy tờ"),
                            reverse("portal:draft_files", args=[draft.pk]), "files" in done))
    steps.append(WizardStep("review", _("Xem lại và nộp"),
                            reverse("portal:draft_review", args=[draft.pk]), False))
    return steps


def _next_url(draft: Draft, current: str) -> str:
    steps = _steps(draft)
    keys = [s.key for s in steps]
    return steps[min(keys.index(current) + 1, len(steps) - 1)].url


def _load(request: HttpRequest, draft_id: UUID) -> Draft:
    try:
        draft = services.draft_get(user=request.user, draft_id=draft_id)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404("draft") from exc
    return draft


def _ctx(draft: Draft, current: str, **extra: Any) -> dict[str, Any]:
    return {"nav": "mine", "draft": draft, "procedure": draft.procedure,
            "steps": _steps(draft), "current": current, **extra}


def _after_save(request: HttpRequest, draft: Draft, current: str) -> HttpResponse:
    if "save_exit" in request.POST:
        messages.success(request, _("Đã lưu hồ sơ nháp. Bạn có thể tiếp tục bất cứ lúc nào."))
        return redirect("portal:my_dossiers")
    return redirect(_next_url(draft, current))


@require_POST
def draft_start(request: HttpRequest, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        messages.info(request, _("Vui lòng đăng nhập hoặc đăng ký tài khoản để nộp hồ sơ."))
        return redirect(reverse("portal:login") + "?next="
                        + reverse("portal:procedure", args=[code]))
    try:
        procedure = catalogue.procedure_get(code)
        draft = services.draft_create(acting_user=request.user,  # type: ignore[arg-type]
                                      procedure=procedure,
                                      oidc_claims=request.session.get("oidc_profile"))
    except PermissionDenied:
        messages.error(request, _("Tài khoản cán bộ không nộp hồ sơ trực tuyến. Hãy dùng "
                                  "chức năng tiếp nhận tại quầy."))
        return redirect("portal:procedure", code=code)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise Http404(code) from exc
        messages.error(request, error_message(exc))
        return redirect("portal:procedure", code=code)
    return redirect("portal:draft_contact", draft_id=draft.pk)


@login_required
def draft_resume(request: HttpRequest, draft_id: UUID) -> HttpResponse:
    draft = _load(request, draft_id)
    if draft.dossier_code:
        return redirect("portal:my_dossier", code=draft.dossier_code)
    for step in _steps(draft):
        if not step.done:
            return redirect(step.url)
    return redirect("portal:draft_review", draft_id=draft.pk)


@login_required
def draft_contact(request: HttpRequest, draft_id: UUID) -> HttpResponse:
    """Where to submit and how to reach the applicant. The office is never preset (unless only
    one implements the procedure): the list is narrowed by the applicant's address or a
    search, paged for phones."""
    from django.core.paginator import Paginator

    from tinhso.portal.views.catalogue import DESKS_PER_PAGE

    draft = _load(request, draft_id)
    searching = request.method == "POST" and "tim_noi" in request.POST
    desk_query = (request.POST if searching else request.GET).get("noi", "").strip()[:100]
    address = draft.contact.get("address") or getattr(request.user, "address", "")
    desks = catalogue.desks_for_procedure(draft.procedure, query=desk_query, address=address)
    everything = catalogue.desks_for_procedure(draft.procedure).desks
    initial = {**draft.contact, "agency": draft.agency.code if draft.agency else None}
    if searching:
        # The search button posts the whole form: what was typed stays, nothing is checked.
        form = ContactForm(agencies=everything, initial={**initial, **{
            k: request.POST.get(k, "") for k in ("agency", "phone", "email", "address")}})
    else:
        form = ContactForm(request.POST or None, agencies=everything, initial=initial)
    if request.method == "POST" and not searching and form.is_valid():
        agency = next(a for a in everything if a.code == form.cleaned_data["agency"])
        try:
            services.draft_save_contact(
                acting_user=request.user, draft=draft, agency=agency,  # type: ignore[arg-type]
                contact={k: form.cleaned_data[k] for k in ("phone", "email", "address")})
        except DomainError as exc:
            attach_domain_error(form, exc)
        else:
            return _after_save(request, draft, "contact")
    page = Paginator(desks.desks, DESKS_PER_PAGE).get_page(request.GET.get("trang"))
    chosen = form["agency"].value() or ""
    shown = list(page)
    if chosen and all(a.code != chosen for a in shown):
        shown = [a for a in everything if a.code == chosen] + shown
    return render(request, "portal/draft_contact.html", _ctx(
        draft, "contact", form=form, desks=desks, desk_page=page, desk_query=desk_query,
        shown_desks=shown, chosen=chosen))


@login_required
def draft_form(request: HttpRequest, draft_id: UUID, step_key: str) -> HttpResponse:
    draft = _load(request, draft_id)
    steps = {s.key: s for s in schema_forms.schema_steps(draft.procedure.form_schema)}
    step = steps.get(step_key)
    if step is None:
        raise Http404(step_key)
    form_class = schema_forms.build_form_class(step)
    form = form_class(request.POST or None,
                      initial=schema_forms.step_initial(step, draft.form_data),
                      auto_id="id_%s")
    if request.method == "POST" and form.is_valid():
        merged = schema_forms.merge_step(draft.form_data, step,
                                         schema_forms.step_data(step, form.cleaned_data))
        services.draft_save_form(acting_user=request.user, draft=draft,  # type: ignore[arg-type]
                                 form_data=merged, step_key=step.key)
        return _after_save(request, draft, step.key)
    return render(request, "portal/draft_form.html",
                  _ctx(draft, step.key, form=form, step=step))


def _components(draft: Draft) -> list[dict[str, Any]]:
    files = list(draft.files.all())
    return [{"component": comp, "files": [f for f in files if f.component_id == comp.pk]}
            for comp in draft.procedure.components.all()]


@login_required
def draft_files(request: HttpRequest, draft_id: UUID) -> HttpResponse:
    draft = _load(request, draft_id)
    components = _components(draft)
    missing = [c["component"] for c in components if c["component"].required and not c["files"]]
    if request.method == "POST":
        if missing:
            messages.error(request, _("Còn thiếu giấy tờ bắt buộc: %(names)s.") % {
                "names": "; ".join(m.name for m in missing)})
        else:
            services.draft_save_form(acting_user=request.user,  # type: ignore[arg-type]
                                     draft=draft, form_data=draft.form_data, step_key="files")
            return _after_save(request, draft, "files")
    return render(request, "portal/draft_files.html", _ctx(
        draft, "files", components=components, missing=missing, limits=upload_limits()))


@login_required
@require_POST
def draft_upload(request: HtmxRequest, draft_id: UUID, component_id: int) -> HttpResponse:
    draft = _load(request, draft_id)
    component = draft.procedure.components.filter(pk=component_id).first()
    if component is None:
        raise Http404("component")
    form = UploadForm(request.POST, request.FILES)
    error = ""
    if form.is_valid():
        try:
            services.draft_add_file(acting_user=request.user, draft=draft,  # type: ignore[arg-type]
                                    component=component, upload=form.cleaned_data["file"])
        except DomainError as exc:
            error = error_message(exc)
    else:
        error = _("Vui lòng chọn một tệp để tải lên.")
    if request.htmx:
        item = next(c for c in _components(draft) if c["component"].pk == component.pk)
        return render(request, "portal/_upload_component.html", {
            "draft": draft, "item": item, "error": error, "limits": upload_limits()})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Đã tải lên tệp cho “%(name)s”.") % {"name": component.name})
    return redirect("portal:draft_files", draft_id=draft.pk)


@login_required
@require_POST
def draft_remove_file(request: HtmxRequest, draft_id: UUID, file_id: int) -> HttpResponse:
    draft = _load(request, draft_id)
    row = draft.files.filter(pk=file_id).first()
    if row is None:
        raise Http404("file")
    component_id = row.component_id
    services.draft_remove_file(acting_user=request.user, draft=draft,  # type: ignore[arg-type]
                               file_id=file_id)
    if request.htmx:
        item = next(c for c in _components(draft) if c["component"].pk == component_id)
        return render(request, "portal/_upload_component.html", {
            "draft": draft, "item": item, "error": "", "limits": upload_limits()})
    return redirect("portal:draft_files", draft_id=draft.pk)


@login_required
def draft_review(request: HttpRequest, draft_id: UUID) -> HttpResponse:
    draft = _load(request, draft_id)
    if draft.dossier_code:
        return redirect("portal:my_dossier", code=draft.dossier_code)
    errors: list[str] = []
    if request.method == "POST":
        if not request.POST.get("confirm"):
            errors.append(_("Vui lòng xác nhận thông tin đã khai là đúng sự thật."))
        else:
            try:
                dossier = services.draft_submit(acting_user=request.user,  # type: ignore[arg-type]
                                                draft=draft)
            except DomainError as exc:
                errors.append(error_message(exc))
            else:
                messages.success(request, _(
                    "Đã nộp hồ sơ %(code)s. Cơ quan sẽ xem xét và tiếp nhận; bạn sẽ được "
                    "thông báo khi có kết quả.") % {"code": dossier.code})
                return redirect("portal:my_dossier", code=dossier.code)
    return render(request, "portal/draft_review.html", _ctx(
        draft, "review", errors=errors,
        rows=schema_forms.display_rows(draft.procedure.form_schema, draft.form_data),
        components=_components(draft),
        agency=draft.agency or Agency(name="—")))


@login_required
@require_POST
def draft_delete(request: HttpRequest, draft_id: UUID) -> HttpResponse:
    draft = _load(request, draft_id)
    services.draft_delete(acting_user=request.user, draft=draft)  # type: ignore[arg-type]
    messages.info(request, _("Đã xóa hồ sơ nháp."))
    return redirect("portal:my_dossiers")
