"""The inbox page (Hộp thư): the same page in the portal and in the back office."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tinhso.core.errors import DomainError
from tinhso.notifications import alerts, conf, selectors, services
from tinhso.notifications.models import AlertKind

PAGE = 100


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("chua_doc") == "1"
    items = list(selectors.inbox(request.user, unread_only=unread_only)
                 .select_related("dossier")[:PAGE])
    return render(request, "notifications/inbox.html", {
        "items": items, "unread_only": unread_only,
        "unread": selectors.unread_count(request.user),
        "preference": services.preference_for(request.user), "nav": "inbox",
        "alert_choices": _alert_choices(request.user),
    })


def _alert_choices(user: object) -> list[tuple[str, str, bool]]:
    if not alerts.may_subscribe(user):
        return []
    chosen = set(alerts.subscribed_kinds(user))
    return [(value, str(label), value in chosen) for value, label in AlertKind.choices]


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification = services.notification_mark_read(acting_user=request.user,
                                                       notification_id=notification_id)
    except DomainError as exc:
        messages.error(request, exc.message_vi)
        return redirect("notifications:inbox")
    link = notification.link
    # Links are written by the platform; follow only its own addresses all the same.
    if request.POST.get("open") and (link.startswith("/") and not link.startswith("//")
                                     or link.startswith(conf.public_url() + "/")):
        return redirect(link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(acting_user=request.user)
    messages.success(request, _("Đã đánh dấu %(count)s thông báo là đã đọc.") % {"count": count})
    return redirect("notifications:inbox")


@login_required
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    try:
        services.preference_update(
            acting_user=request.user, in_app="in_app" in request.POST,
            email="email" in request.POST, sms="sms" in request.POST,
            language=request.POST.get("language") or "vi")
    except DomainError as exc:
        messages.error(request, exc.message_vi)
    else:
        messages.success(request, _("Đã lưu cách nhận thông báo."))
    return redirect("notifications:inbox")


@login_required
@require_POST
def alert_subscription(request: HttpRequest) -> HttpResponse:
    try:
        alerts.alert_subscription_update(acting_user=request.user,
                                         kinds=request.POST.getlist("kinds"))
    except DomainError as exc:
        messages.error(request, exc.message_vi)
    else:
        messages.success(request, _("Đã lưu các cảnh báo bạn nhận."))
    return redirect("notifications:inbox")
