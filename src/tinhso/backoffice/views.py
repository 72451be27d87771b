"""The officials' one-stop front (/mot-cua/): queues, the dossier page, actions, counter intake.

Every read goes through the dossier selectors (scoped to the official's agency; another agency's
dossier is a 404), every write through the dossier services.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from tinhso.backoffice.actions import ACTIONS
from tinhso.backoffice.actions import run as run_action
from tinhso.core.errors import DomainError
from tinhso.core.requests import AuthedRequest, HtmxRequest
from tinhso.dossiers import lifecycle
from tinhso.dossiers.models import Action, Channel, Status
from tinhso.dossiers.selectors import (
    QUEUES,
    RUNNING,
    allowed_actions,
    dossier_queue,
    dossier_timeline,
    queue_counts,
)
from tinhso.portal import schema_forms
from tinhso.portal.errors import error_message
from tinhso.portal.files import attachment_response, visible_dossier
from tinhso.portal.paging import BadCursor, keyset_paginate

PER_PAGE = 50
SORTS = {
    "due_at": _lazy("Hạn xử lý (sớm nhất trước)"),
    "-due_at": _lazy("Hạn xử lý (muộn nhất trước)"),
    "-received_at": _lazy("Ngày tiếp nhận (mới nhất trước)"),
    "received_at": _lazy("Ngày tiếp nhận (cũ nhất trước)"),
    "-submitted_at": _lazy("Ngày nộp (mới nhất trước)"),
    "submitted_at": _lazy("Ngày nộp (cũ nhất trước)"),
}
# The queue each role starts its day with.
ROLE_HOME = [("receiver", "to_receive"), ("leader", "to_approve"), ("specialist", "to_process")]


def official_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if not user.is_official or not user.is_active:  # type: ignore[union-attr]
            raise DjangoPermissionDenied("officials only")
        return view(request, *args, **kwargs)
    return wrapper


@official_required
def home(request: HttpRequest) -> HttpResponse:
    for role, queue in ROLE_HOME:
        if request.user.has_role(role):  # type: ignore[union-attr]
            return redirect("backoffice:queue", queue=queue)
    return redirect("backoffice:queue", queue="to_process")


def _nav_context(request: HttpRequest, current: str | None) -> dict[str, Any]:
    counts = queue_counts(request.user)  # type: ignore[arg-type]
    return {"queues": [(key, label, counts.get(key, 0)) for key, label in QUEUES.items()],
            "current_queue": current}


@official_required
def queue(request: HtmxRequest, queue: str) -> HttpResponse:
    if queue not in QUEUES:
        raise Http404(queue)
    sort = request.GET.get("sap_xep", "due_at")
    if sort not in SORTS:
        sort = "due_at"
    qs = dossier_queue(request.user, queue)  # type: ignore[arg-type]
    code = request.GET.get("ma", "").strip()[:60]
    if code:
        # A prefix match on the unique code index; no personal data is searched from the URL.
        qs = qs.filter(code__startswith=code)
    procedure = request.GET.get("thu_tuc", "").strip()[:40]
    if procedure:
        qs = qs.filter(procedure__code=procedure)
    channel = request.GET.get("kenh", "")
    if channel in {str(c) for c in Channel.values}:
        qs = qs.filter(channel=int(channel))
    try:
        page = keyset_paginate(qs.select_related("procedure", "assignee"), sort=sort,
                               per_page=PER_PAGE, after=request.GET.get("after"),
                               before=request.GET.get("before"))
    except BadCursor as exc:
        raise Http404("cursor") from exc
    now = timezone.now()
    for row in page.rows:
        # A clock paused for financial obligations (land procedures) is not late.
        row.is_late = bool(row.due_at and row.due_at < now and row.status in RUNNING
                           and row.paused_at is None)
        # The leader approves straight from the queue (one click, no "Chuyển bước" first).
        row.can_approve = queue == "to_approve" and lifecycle.permits(
            Action.APPROVE, request.user, row, now)  # type: ignore[arg-type]
    filters = {"ma": code, "thu_tuc": procedure, "kenh": channel, "sap_xep": sort}
    base_query = "&".join(f"{k}={v}" for k, v in filters.items() if v and not
                          (k == "sap_xep" and v == "due_at"))
    context = {
        **_nav_context(request, queue), "queue_label": QUEUES[queue], "page": page,
        "filters": filters, "sorts": SORTS, "channels": Channel.choices,
        "base_query": base_query, "per_page": PER_PAGE,
    }
    if request.htmx and request.htmx.target == "queue-table":
        return render(request, "backoffice/_queue_table.html", context)
    return render(request, "backoffice/queue.html", context)


@official_required
def dossier_detail(request: HttpRequest, code: str) -> HttpResponse:
    dossier = visible_dossier(request, code)
    actions = [a for a in allowed_actions(request.user, dossier)  # type: ignore[arg-type]
               if a in ACTIONS]
    events = list(dossier_timeline(dossier))
    return render(request, "backoffice/dossier.html", {
        **_nav_context(request, None), "dossier": dossier,
        "actions": [(a, Action(a).label, ACTIONS[a].danger) for a in actions],
        "steps": steps_with_handlers(dossier, events),
        "events": events,
        "attachments": list(dossier.attachments.select_related("component")
                            .order_by("uploaded_at", "id")),
        "rows": schema_forms.display_rows(dossier.procedure.form_schema, dossier.form_data),
        "can_issue": request.user.has_role("receiver", "specialist", "leader"),  # type: ignore
        "document_jobs": list(dossier.document_jobs.select_related("document", "actor")
                              .order_by("created_at", "id")),
        **_result_context(request, dossier),
    })


def _result_context(request: HttpRequest, dossier: Any) -> dict[str, Any]:
    from tinhso.documents.results import ATTACH_ROLES, result_history

    history = result_history(dossier)
    user = request.user
    return {
        "result_open": dossier.status in (Status.PROCESSED, Status.RETURNED),
        "result_current": next((r for r in reversed(history) if r.is_current), None),
        "result_replaced": [r for r in history if not r.is_current],
        "can_attach_result": user.has_role(*ATTACH_ROLES),  # type: ignore[union-attr]
        "can_replace_result": user.has_role("leader"),  # type: ignore[union-attr]
    }


@official_required
@require_POST
def dossier_attach_result(request: HttpRequest, code: str) -> HttpResponse:
    """Attach the decision's result: an uploaded PDF (sealed by the platform) or one generated
    from the procedure's template; or, for a leader with a reason, replace a wrong one."""
    from tinhso.documents.results import result_attach

    dossier = visible_dossier(request, code)
    replace = request.POST.get("thay_the") == "1"
    try:
        result_attach(acting_user=request.user, dossier=dossier,
                      source=request.POST.get("nguon", ""), upload=request.FILES.get("tep"),
                      replace=replace, reason=request.POST.get("ly_do", "")[:4000])
    except DomainError as exc:
        messages.error(request, f"{error_message(exc)} ({exc.code})")
    else:
        messages.success(request, _("Đã thay kết quả giải quyết.") if replace
                         else _("Đã đính kèm kết quả giải quyết."))
    return redirect("backoffice:dossier", code=code)


def steps_with_handlers(dossier: Any, events: list[Any]) -> list[Any]:
    """The dossier's steps, each with ``handler``: the official who finished it (the actor of
    the event written at the step's end — services finish the step and record the event with
    the same timestamp), else its assignee; and ``role_label`` for a step still open to the
    whole team."""
    from tinhso.accounts.models import Role

    finished_by: dict[Any, Any] = {}
    for event in events:
        if event.actor is not None and event.actor.is_official:
            finished_by.setdefault(event.at, event.actor)
    steps = list(dossier.steps.select_related("assignee").order_by("started_at", "id"))
    labels = dict(Role.choices)
    for step in steps:
        handler = finished_by.get(step.finished_at) if step.finished_at else None
        step.handler = handler or step.assignee
        step.role_label = labels.get(step.role, step.role)
    return steps


@official_required
def dossier_action(request: AuthedRequest, code: str, action: str) -> HttpResponse:
    dossier = visible_dossier(request, code)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(action)
    try:
        # The same guard the service runs: the message (and code) the API would give.
        lifecycle.guard(action, request.user, dossier)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, f"{error_message(exc)} ({exc.code})")
        return redirect("backoffice:dossier", code=code)
    form = spec.form(request.POST or None, dossier=dossier, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            run_action(action, form)
        except DomainError as exc:
            form.add_error(None, f"{error_message(exc)} ({exc.code})")
            status = exc.status
        else:
            messages.success(request, _("Đã thực hiện: %(action)s.") % {
                "action": Action(action).label})
            back = request.POST.get("tro_ve", "")
            if back in QUEUES:  # a button in a queue row returns to that queue
                return redirect("backoffice:queue", queue=back)
            return redirect("backoffice:dossier", code=code)
    return render(request, "backoffice/action.html", {
        **_nav_context(request, None), "dossier": dossier, "form": form, "action": action,
        "action_label": Action(action).label, "danger": spec.danger,
    }, status=status)


@official_required
@require_POST
def dossier_issue_document(request: HttpRequest, code: str) -> HttpResponse:
    """Issue the signed PDF of a step (receipt 01, forms 02–04, the result) — or retry it after
    a failure. A job signs it after the response; a step never gets a second document."""
    from tinhso.documents.issuing import document_request
    from tinhso.documents.models import DocumentForm, IssueState

    dossier = visible_dossier(request, code)
    form = request.POST.get("form", "")
    if form not in DocumentForm.values or form == DocumentForm.CERTIFIED_COPY:
        raise Http404(form)
    try:
        job = document_request(acting_user=request.user, dossier=dossier, form=form)
    except DomainError as exc:
        messages.error(request, error_message(exc))
    else:
        name = DocumentForm(form).label
        if job.state == IssueState.SIGNED:
            messages.info(request, _("Đã phát hành văn bản có chữ ký số: %(name)s.") % {
                "name": name})
        else:
            messages.success(request, _("Văn bản đang được ký số: %(name)s.") % {"name": name})
    return redirect("backoffice:dossier", code=code)


@official_required
def attachment_view(request: HttpRequest, code: str, attachment_id: int) -> HttpResponseBase:
    return attachment_response(request, code, attachment_id,
                               inline=request.GET.get("tai_ve") != "1")


@official_required
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    dossier = visible_dossier(request, code)
    if dossier.status == Status.NEW or dossier.received_at is None:
        messages.error(request, _("Hồ sơ chưa được tiếp nhận nên chưa có giấy tiếp nhận."))
        return redirect("backoffice:dossier", code=code)
    # Each component once, with how many files were received for it (a component answered
    # again in a supplement was listed twice: "— đã nhận — đã nhận").
    files: dict[int, int] = {}
    for component_id in dossier.attachments.values_list("component_id", flat=True):
        if component_id is not None:
            files[component_id] = files.get(component_id, 0) + 1
    return render(request, "backoffice/receipt.html", {
        "dossier": dossier,
        "components": [(comp, files.get(comp.pk, 0))
                       for comp in dossier.procedure.components.all()],
        "receiver": next((e.actor for e in dossier_timeline(dossier)
                          if e.action in (Action.RECEIVE, Action.CREATE_DIRECT)), None),
    })
