"""Web pages for feedback/petitions (/phan-anh/): published answers (public), filing feedback,
the submitter's and the handlers' lists, the detail page with the actions allowed now."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.core.errors import DomainError
from tinhso.feedback import selectors, services
from tinhso.feedback.models import FeedbackAction, FeedbackKind
from tinhso.units.selectors import agency_choices

PER_PAGE = 25


def _login(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")


def published_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.feedback_published(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "feedback/list.html", {"page": page, "nav": "feedback"})


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    values: dict[str, Any] = {"kind": FeedbackKind.REFLECTION, "allow_publish": True,
                              "dossier_code": request.GET.get("ho_so", "")}
    error: DomainError | None = None
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in
                  ("kind", "title", "content", "agency_code", "dossier_code", "phone", "email")}
        values["allow_publish"] = request.POST.get("allow_publish") == "on"
        try:
            feedback = services.feedback_submit(acting_user=request.user, **{
                **values, "agency_code": values["agency_code"] or None,
                "dossier_code": values["dossier_code"] or None})
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, f"Đã gửi phản ánh, kiến nghị {feedback.code}. Cơ quan sẽ "
                             "trả lời trong 15 ngày làm việc.")
            return redirect("feedback:detail", feedback.code)
    agencies = agency_choices()
    return render(request, "feedback/submit.html", {
        "values": values, "error": error, "agencies": agencies,
        "kinds": FeedbackKind.choices, "nav": "feedback",
    }, status=422 if error else 200)


def mine(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    queue = request.GET.get("hang_doi", "")
    if queue and queue in selectors.FEEDBACK_QUEUES:
        qs = selectors.feedback_queue(request.user, queue, timezone.now())
    else:
        queue = ""
        qs = selectors.feedback_visible_to(request.user)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "feedback/mine.html", {
        "page": page, "queue": queue, "queues": selectors.FEEDBACK_QUEUES.items(),
        "is_handler": getattr(request.user, "is_official", False), "nav": "feedback",
    })


def detail(request: HttpRequest, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        published = selectors.feedback_published().filter(code=code).first()
        if published is None:
            return _login(request)
        return render(request, "feedback/detail.html", {"f": published, "public": True})
    try:
        feedback = selectors.feedback_get_for_user(request.user, code)
    except DomainError:
        published = selectors.feedback_published().filter(code=code).first()
        if published is None:
            # Unknown, or another agency's and unpublished: the same 404 page either way (a
            # DomainError escaping a page view was a 500).
            raise Http404("feedback not found") from None
        return render(request, "feedback/detail.html", {"f": published, "public": True})
    return render(request, "feedback/detail.html", {
        "f": feedback, "events": selectors.feedback_events(feedback),
        "actions": services.allowed_actions(request.user, feedback), "A": FeedbackAction,
        "now": timezone.now(),
    })


@require_POST
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    user = request.user
    try:
        feedback = selectors.feedback_get_for_user(user, code)
        text = request.POST.get("text", "")
        if action == FeedbackAction.REFUSE:
            services.feedback_refuse(acting_user=user, feedback=feedback, reason=text)
        elif action == FeedbackAction.REQUEST_SUPPLEMENT:
            services.feedback_request_supplement(acting_user=user, feedback=feedback,
                                                 reason=text)
        elif action == FeedbackAction.SUPPLEMENT:
            services.feedback_supplement(acting_user=user, feedback=feedback, content=text)
        elif action == FeedbackAction.RESOLVE:
            services.feedback_resolve(acting_user=user, feedback=feedback, resolution=text)
        elif action == FeedbackAction.PUBLISH:
            services.feedback_publish(acting_user=user, feedback=feedback)
        elif action == FeedbackAction.RATE:
            try:
                rating = int(request.POST.get("rating", ""))
            except ValueError:
                rating = 99
            services.feedback_rate(acting_user=user, feedback=feedback, rating=rating)
        else:
            messages.error(request, "Thao tác không hợp lệ.")
            return redirect("feedback:detail", code)
    except DomainError as exc:
        messages.error(request, exc.message_vi)
    else:
        messages.success(request, "Đã thực hiện.")
    return redirect("feedback:detail", code)
