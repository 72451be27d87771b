"""“Hồ sơ của tôi”: the applicant's dossiers and drafts, a dossier's plain-words timeline,
supplements, payments due, downloads, rating and withdrawal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tinhso.core.errors import DomainError
from tinhso.core.requests import AuthedRequest
from tinhso.dossiers import services as dossier_services
from tinhso.dossiers.models import Action, Status
from tinhso.dossiers.selectors import allowed_actions, dossier_timeline, dossiers_visible_to
from tinhso.payments.models import PaymentStatus
from tinhso.portal import schema_forms
from tinhso.portal.errors import error_message
from tinhso.portal.files import attachment_response, visible_dossier
from tinhso.portal.forms import RateForm, ReasonForm, upload_limits
from tinhso.portal.paging import BadCursor, keyset_paginate
from tinhso.portal.plain import plain_timeline
from tinhso.portal.selectors import drafts_unsent


@login_required
def my_dossiers(request: HttpRequest) -> HttpResponse:
    if request.user.is_official:  # type: ignore[union-attr]
        return redirect("backoffice:home")
    qs = dossiers_visible_to(request.user)  # type: ignore[arg-type]
    status = request.GET.get("trang_thai")
    if status == "dang_xu_ly":
        qs = qs.exclude(status__in=[Status.REFUSED, Status.WITHDRAWN, Status.STOPPED,
                                    Status.RETURNED])
    elif status == "da_xong":
        qs = qs.filter(status__in=[Status.REFUSED, Status.WITHDRAWN, Status.STOPPED,
                                   Status.RETURNED])
    try:
        page = keyset_paginate(qs, sort="-created_at", per_page=20,
                               after=request.GET.get("after"), before=request.GET.get("before"))
    except BadCursor as exc:
        raise Http404("cursor") from exc
    drafts = drafts_unsent(request.user)
    return render(request, "portal/my_dossiers.html", {
        "nav": "mine", "page": page, "drafts": drafts, "status_filter": status or "",
        "base_query": f"trang_thai={status}" if status else "",
    })


def _detail_context(request: HttpRequest, code: str) -> dict:
    dossier = visible_dossier(request, code)
    events = list(dossier_timeline(dossier))
    actions = allowed_actions(request.user, dossier)  # type: ignore[arg-type]
    supplement_request = next((e for e in reversed(events)
                               if e.action == Action.REQUEST_SUPPLEMENT), None)
    result, replaced_files = _result_files(dossier)
    return {
        "nav": "mine", "dossier": dossier, "timeline": plain_timeline(events),
        "actions": actions,
        "supplement_request": supplement_request
        if dossier.status == Status.SUPPLEMENT_REQUESTED else None,
        "payments_due": list(dossier.payments.filter(status=PaymentStatus.REQUESTED)),
        "attachments": [a for a in dossier.attachments.select_related("component")
                        .order_by("uploaded_at", "id") if a.pk not in replaced_files],
        "result": result,
        "components": list(dossier.procedure.components.all()),
        "rows": schema_forms.display_rows(dossier.procedure.form_schema, dossier.form_data),
        "rate_form": RateForm(), "reason_form": ReasonForm(), "limits": upload_limits(),
    }


def _result_files(dossier: Any) -> tuple[Any, set[int]]:
    """The decision's current result, and the files of results the agency replaced (the
    citizen is offered the current result only; the old ones stay in the agency's history)."""
    from tinhso.documents.results import result_history

    history = result_history(dossier)
    current = next((r for r in reversed(history) if r.is_current), None)
    keep = {current.document.attachment_id} if current and current.document else set()
    replaced = {r.document.attachment_id for r in history
                if not r.is_current and r.document and r.document.attachment_id}
    return current, replaced - keep


@login_required
def my_dossier(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "portal/my_dossier.html", _detail_context(request, code))


def _fail(request: HttpRequest, code: str, exc: DomainError) -> HttpResponse:
    messages.error(request, error_message(exc))
    return redirect("portal:my_dossier", code=code)


@login_required
@require_POST
def my_supplement(request: AuthedRequest, code: str) -> HttpResponse:
    dossier = visible_dossier(request, code)
    components = {c.code: c for c in dossier.procedure.components.all()}
    files: list[tuple[str, UploadedFile]] = []
    for comp_code in components:
        for upload in request.FILES.getlist(f"file_{comp_code}"):
            files.append((comp_code, upload))
    if not files:
        messages.error(request, _("Vui lòng chọn ít nhất một tệp để bổ sung."))
        return redirect("portal:my_dossier", code=code)
    try:
        dossier_services.dossier_supplement(
            acting_user=request.user, dossier=dossier, files=files,
            note=request.POST.get("note", "")[:2000])
    except DomainError as exc:
        return _fail(request, code, exc)
    messages.success(request, _("Đã gửi hồ sơ bổ sung. Thời hạn giải quyết được tính tiếp."))
    return redirect("portal:my_dossier", code=code)


@login_required
@require_POST
def my_rate(request: AuthedRequest, code: str) -> HttpResponse:
    dossier = visible_dossier(request, code)
    form = RateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vui lòng chọn một mức đánh giá."))
        return redirect("portal:my_dossier", code=code)
    try:
        dossier_services.dossier_rate(acting_user=request.user, dossier=dossier,
                                      rating=form.cleaned_data["rating"])
    except DomainError as exc:
        return _fail(request, code, exc)
    messages.success(request, _("Cảm ơn bạn đã đánh giá."))
    return redirect("portal:my_dossier", code=code)


@login_required
@require_POST
def my_withdraw(request: AuthedRequest, code: str) -> HttpResponse:
    dossier = visible_dossier(request, code)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vui lòng cho biết lý do rút hồ sơ."))
        return redirect("portal:my_dossier", code=code)
    try:
        dossier_services.dossier_withdraw(acting_user=request.user, dossier=dossier,
                                          reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _fail(request, code, exc)
    messages.success(request, _("Đã rút hồ sơ."))
    return redirect("portal:my_dossier", code=code)


@login_required
def my_download(request: HttpRequest, code: str, attachment_id: int) -> HttpResponseBase:
    return attachment_response(request, code, attachment_id, inline=False)
