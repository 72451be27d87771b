"""The finance office's pages in the back office (/mot-cua/thu-phi/): the day's settlement of the
official's agency, and the bank-statement lines waiting for a decision. Reads through the
payments selectors and services (scoped to the official's agencies); writes through services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tinhso.backoffice.views import official_required
from tinhso.core.errors import DomainError
from tinhso.core.requests import AuthedRequest
from tinhso.payments import reconcile, selectors, settlement

QUEUE_PAGE = 50


def _day(request: HttpRequest) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get("ngay", ""))
    except ValueError:
        day = timezone.localdate()
    return min(max(day, dt.date(2000, 1, 1)), dt.date(2100, 12, 31))


@official_required
def finance(request: HttpRequest) -> HttpResponse:
    user = request.user
    agency = user.agency  # type: ignore[union-attr]
    if agency is None:
        raise Http404("no agency")
    try:
        settlement.require_settlement_access(user, agency)
        day = _day(request)
        summary = settlement.settlement_for(agency=agency, day=day)
    except DomainError:
        summary, day = None, _day(request)
    lines = list(selectors.review_queue(user)[:QUEUE_PAGE])  # type: ignore[arg-type]
    return render(request, "backoffice/finance.html", {
        "nav": "finance", "agency": agency, "day": day, "summary": summary, "lines": lines,
        "more": len(lines) == QUEUE_PAGE,
        "decisions": [("confirm", "Xác nhận"), ("reject", "Loại"), ("refund", "Hoàn trả")],
    })


@official_required
@require_POST
def finance_decide(request: AuthedRequest, line_id: int, decision: str) -> HttpResponse:
    actions = {"confirm": reconcile.statement_line_confirm,
               "reject": reconcile.statement_line_reject,
               "refund": reconcile.statement_line_refund}
    if decision not in actions:
        raise Http404("unknown decision")
    try:
        actions[decision](acting_user=request.user, line_id=line_id,  # type: ignore[operator]
                          reason=request.POST.get("reason", ""))
        messages.success(request, "Đã ghi nhận quyết định cho giao dịch.")
    except DomainError as exc:
        messages.error(request, exc.message_vi)
    return redirect("backoffice:finance")
