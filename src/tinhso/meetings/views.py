"""Pages of paperless meetings (/hop/), phone-first: my meetings, scheduling, the meeting page
(agenda, papers, opinions, votes, attendance, minutes), the door's QR code and the check-in."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.core import blobs
from tinhso.core.errors import DomainError, NotFound
from tinhso.meetings import checkin as checkin_mod
from tinhso.meetings import minutes as minutes_mod
from tinhso.meetings import permissions, selectors, services
from tinhso.meetings.models import Meeting, VoteChoice

PER_PAGE = 20


def _login(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")


def meeting_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    page = Paginator(selectors.meetings_visible_to(request.user), PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "meetings/list.html", {
        "page": page, "now": timezone.now(), "nav": "meetings",
        "can_organise": permissions.can_organise(request.user,
                                                 getattr(request.user, "agency_id", None))})


def _local(value: str) -> dt.datetime | None:
    parsed = parse_datetime(value.strip()) if value else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@require_http_methods(["GET", "POST"])
def schedule(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return _login(request)
    if not permissions.can_organise(user, getattr(user, "agency_id", None)):
        raise Http404("not an organiser")
    people = list(selectors.candidates(user)[:500])
    values: dict[str, Any] = {"participant_ids": []}
    error: DomainError | None = None
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in
                  ("title", "description", "place", "starts_at", "ends_at", "chair_id",
                   "secretary_id")}
        values["participant_ids"] = [int(v) for v in request.POST.getlist("participant_ids")
                                     if v.isdigit()]
        starts, ends = _local(values["starts_at"]), _local(values["ends_at"])
        try:
            if starts is None or ends is None:
                raise DomainError("INVALID_TIME", "Vui lòng nhập thời gian bắt đầu và kết thúc.",
                                  "Enter the start and end times.", status=422)
            if not (values["chair_id"].isdigit() and values["secretary_id"].isdigit()):
                raise DomainError("INVALID_FIELD", "Vui lòng chọn chủ trì và thư ký.",
                                  "Choose the chair and the secretary.", status=422)
            meeting = services.meeting_schedule(
                acting_user=user, agency=user.agency, title=values["title"],
                description=values["description"], place=values["place"], starts_at=starts,
                ends_at=ends, chair_id=int(values["chair_id"]),
                secretary_id=int(values["secretary_id"]),
                participant_ids=values["participant_ids"])
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, "Đã lên lịch cuộc họp và gửi giấy mời.")
            return redirect("meetings:detail", meeting.slug)
    return render(request, "meetings/schedule.html", {
        "values": values, "error": error, "people": people, "nav": "meetings"},
        status=422 if error else 200)


def _meeting(request: HttpRequest, slug: str) -> Meeting:
    return selectors.meeting_or_404(request.user, slug)


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    from tinhso.meetings.api import detail_out

    meeting = _meeting(request, slug)
    data = detail_out(request.user, meeting)
    return render(request, "meetings/detail.html", {
        "m": meeting, "d": data, "choices": VoteChoice.choices, "nav": "meetings",
        "is_secretary": request.user.pk == meeting.secretary_id,
        "is_chair": request.user.pk == meeting.chair_id,
        "people": list(selectors.candidates(request.user)[:500]) if data["can_manage"] else [],
        "events": selectors.events_of(request.user, meeting)[:200],
    })


def door_qr(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    meeting = _meeting(request, slug)
    if not permissions.can_manage(request.user, meeting):
        raise Http404("not a manager")
    response = HttpResponse(checkin_mod.qr_svg(meeting), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The page the door's QR code opens: the participant signs in, then confirms."""
    if not request.user.is_authenticated:
        return _login(request)
    meeting = _meeting(request, slug)
    error: DomainError | None = None
    done = None
    if request.method == "POST":
        try:
            done = services.meeting_check_in(acting_user=request.user, meeting=meeting,
                                             token=token)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, "Đã điểm danh. Chúc cuộc họp thành công.")
            return redirect("meetings:detail", meeting.slug)
    seat = permissions.seat(request.user, meeting)
    return render(request, "meetings/checkin.html", {
        "m": meeting, "seat": seat, "error": error, "done": done, "nav": "meetings"},
        status=(error.status if error else 200))


def _serve(name: str, sha256: str, size: int, filename: str, content_type: str,
           request: HttpRequest) -> HttpResponseBase:
    try:
        handle = blobs.open_verified(name, sha256=sha256, size=size)
    except blobs.StoredFileUnavailable as exc:
        return render(request, "file_unavailable.html", {"error": exc}, status=exc.status)
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def document(request: HttpRequest, slug: str, document_id: int) -> HttpResponseBase:
    """A paper of the meeting: its participants only (404 for everyone else)."""
    if not request.user.is_authenticated:
        return _login(request)
    meeting = _meeting(request, slug)
    try:
        doc = selectors.document_get(request.user, meeting, document_id)
    except NotFound:
        raise Http404("document") from None
    return _serve(doc.file, doc.sha256, doc.size, doc.name, doc.content_type, request)


def minutes_pdf(request: HttpRequest, slug: str) -> HttpResponseBase:
    if not request.user.is_authenticated:
        return _login(request)
    meeting = _meeting(request, slug)
    if permissions.seat(request.user, meeting) is None or not meeting.minutes_file:
        raise Http404("minutes")
    return _serve(meeting.minutes_file, meeting.minutes_sha256, meeting.minutes_size,
                  f"bien-ban-{meeting.slug}.pdf", "application/pdf", request)


def _item(request: HttpRequest, meeting: Meeting) -> Any:
    raw = request.POST.get("item", "")
    if not raw.isdigit():
        raise DomainError("INVALID_FIELD", "Thiếu nội dung họp.", "Missing agenda item.",
                          status=422)
    return selectors.item_get(request.user, meeting, int(raw))


@require_POST
def act(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    user = request.user
    meeting = _meeting(request, slug)
    post = request.POST
    try:
        if action == "item":
            services.agenda_item_add(acting_user=user, meeting=meeting, title=post.get("title", ""),
                                     presenter=post.get("presenter", ""),
                                     voting=post.get("voting") == "on")
        elif action == "participant":
            raw = post.get("user_id", "")
            services.participant_add(acting_user=user, meeting=meeting,
                                     user_id=int(raw) if raw.isdigit() else 0,
                                     role=post.get("role", "member"))
        elif action == "document":
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError("FILE_REQUIRED", "Vui lòng chọn tệp.", "Choose a file.",
                                  status=422)
            services.item_document_add(acting_user=user, item=_item(request, meeting),
                                       name=upload.name or "", content=upload.read())
        elif action == "opinion":
            services.opinion_add(acting_user=user, item=_item(request, meeting),
                                 text=post.get("text", ""))
        elif action == "vote":
            services.vote_cast(acting_user=user, item=_item(request, meeting),
                               choice=post.get("choice", ""))
        elif action == "close-voting":
            services.item_voting_close(acting_user=user, item=_item(request, meeting))
        elif action == "close":
            services.meeting_close(acting_user=user, meeting=meeting)
        elif action == "cancel":
            services.meeting_cancel(acting_user=user, meeting=meeting,
                                    reason=post.get("reason", ""))
        elif action == "minutes":
            minutes_mod.minutes_generate(acting_user=user, meeting=meeting,
                                         text=post.get("text", ""))
        elif action == "sign":
            minutes_mod.minutes_sign(acting_user=user, meeting=meeting)
        else:
            raise Http404(action)
    except DomainError as exc:
        messages.error(request, exc.message_vi)
    else:
        messages.success(request, "Đã thực hiện.")
    return redirect("meetings:detail", meeting.slug)
