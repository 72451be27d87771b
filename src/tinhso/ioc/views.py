"""IOC web pages (/ioc/): province overview, drill-down, a dossier's timeline, operational
queues, exports, the monthly PDF report and notifications. Vietnamese, for a wall screen
(``?man_hinh=1``) and a laptop; panels refresh themselves through htmx polling."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tinhso.core.errors import DomainError
from tinhso.ioc import charts, exports
from tinhso.ioc.consumer import freshness
from tinhso.ioc.dashboard import month_end, ranking, series_for_scope, summary
from tinhso.ioc.drilldown import (
    METRICS,
    drilldown_page,
    drilldown_rows,
    operational_queues,
    reach_dossier_get,
)
from tinhso.ioc.notifications import notification_mark_read, notifications_for
from tinhso.ioc.scopes import (
    Reach,
    Scope,
    check_scope,
    default_scope_code,
    resolve_scope,
    today,
    user_reach,
)
from tinhso.ioc.selectors import IndexContext, compute_index, effective_end
from tinhso.portal.paging import BadCursor
from tinhso.units.models import Structure
from tinhso.units.selectors import structure_in_force

REFRESH_SECONDS = 60
SERIES_MONTHS = 12


class _Denied(Exception):
    pass


def _login(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    """``thang=YYYY-MM`` (default: this month), or ``from``/``to``."""
    now = today()
    raw_from, raw_to = request.GET.get("from"), request.GET.get("to")
    if raw_from and raw_to:
        try:
            start, end = dt.date.fromisoformat(raw_from), dt.date.fromisoformat(raw_to)
            if start <= end:
                return start, end
        except ValueError:
            pass
    month = request.GET.get("thang", "")
    try:
        first = dt.datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        first = now.replace(day=1)
    return first, month_end(first)


class Page:
    """What every IOC page needs: the user's reach, the scope and the period."""

    def __init__(self, request: HttpRequest, ctx: IndexContext | None = None) -> None:
        self.request = request
        self.ctx = ctx or IndexContext.load()
        self.reach: Reach = user_reach(request.user, self.ctx.directory)
        if self.reach.nothing:
            raise _Denied()
        self.start, self.end = _period(request)
        # Without a choice, the structure in force at the period's end (2-level Đồng Nai from
        # 1 July 2025, Bình Phước's 3 levels before): tinhso.units.selectors.
        choice = request.GET.get("cau_truc")
        structure = (Structure.CURRENT_2 if choice == "2" else Structure.LEGACY_3 if choice == "3"
                     else structure_in_force(self.end))
        # "ma": a code typed in the picker's free field (agency, procedure, field codes).
        self.scope_code = (request.GET.get("ma", "").strip() or request.GET.get("scope")
                           or default_scope_code(self.reach, self.ctx.directory, structure))
        self.scope: Scope = resolve_scope(self.scope_code, self.ctx.directory)
        check_scope(self.scope, self.reach)
        self.judged = effective_end(self.end)
        self.wall = request.GET.get("man_hinh") == "1"

    def query(self, **changes: Any) -> str:
        params = {"scope": self.scope_code, "from": self.start.isoformat(),
                  "to": self.end.isoformat()}
        if self.wall:
            params["man_hinh"] = "1"
        params.update({k: v for k, v in changes.items() if v is not None})
        return urlencode(params)

    def breadcrumbs(self) -> list[tuple[str, str]]:
        """Ancestors of a unit scope the user may open, from the top."""
        directory = self.ctx.directory
        out: list[tuple[str, str]] = []
        if self.scope.kind == "unit" and self.scope.unit_id is not None:
            unit = directory.units[self.scope.unit_id]
            chain = []
            while unit.parent_id is not None:
                unit = directory.units[unit.parent_id]
                chain.append(unit)
            for u in reversed(chain):
                if self.reach.everything or u.id in self.reach.unit_ids:
                    out.append((directory.label(u.id), f"{u.structure}:{u.code}"))
        return out

    def structure_switch(self) -> tuple[str, str] | None:
        """(label, scope code) of the same place in the other structure, when there is one."""
        directory = self.ctx.directory
        if self.scope.kind != "unit" or self.scope.unit_id is None:
            return None
        unit = directory.units[self.scope.unit_id]
        if unit.structure == Structure.LEGACY_3:
            current = directory.current_of(unit.id)
            if current is None or not self.reach.everything:
                return None
            return ("Xem theo cơ cấu 2 cấp (từ 01/7/2025)",
                    f"current2:{directory.units[current].code}")
        if not self.reach.everything:
            return None
        legacy = [u for u in directory.units.values()
                  if u.structure == Structure.LEGACY_3 and u.successor_id == unit.id]
        if not legacy:
            return None
        return ("Xem theo cơ cấu 3 cấp (trước 01/7/2025)",
                f"legacy3:{sorted(legacy, key=lambda u: u.code)[0].code}")


def _guard(view: Any) -> Any:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _login(request)
        try:
            return view(request, *args, **kwargs)
        except _Denied:
            raise DjangoPermissionDenied("Chỉ cán bộ được xem bảng điều hành IOC.") from None
        except DomainError as exc:
            if exc.status == 404:
                raise Http404(exc.message_vi) from exc
            if exc.status == 403:
                raise DjangoPermissionDenied(exc.message_vi) from exc
            messages.error(request, exc.message_vi)
            return redirect("ioc:overview")
    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --------------------------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------------------------


def _bars(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Column geometry for the monthly chart (percent of the scored maximum)."""
    out = []
    peak = max((p["received"] for p in points), default=0) or 1
    for p in points:
        pct = (p["score"] / p["max"] * 100) if p["score"] is not None and p["max"] else None
        out.append({**p, "pct": pct, "height": round(pct or 0, 1),
                    "volume": round(p["received"] / peak * 100, 1)})
    return out


def _scope_choices(page: Page, rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(scope code, name) for the scope picker: the scopes above, this one, the ones ranked
    below it — names, never bare codes such as "legacy3:70"."""
    choices = [(code, label) for label, code in page.breadcrumbs()]
    choices.append((page.scope_code, page.scope.label))
    choices += [(r["scope"], f"— {r['name']}") for r in sorted(rows, key=lambda r: r["name"])]
    return list(dict.fromkeys(choices))


def overview_context(page: Page) -> dict[str, Any]:
    doc, counters = compute_index(page.scope, page.scope_code, page.start, page.end, page.ctx)
    series = series_for_scope(page.scope, page.scope_code, SERIES_MONTHS, page.ctx)
    rank = ranking(page.request.user, page.scope_code, page.start, page.end, ctx=page.ctx)
    figures = summary(counters)
    bars = _bars(series)
    satisfaction = next((i for g in doc["groups"] for i in g["indicators"]
                         if i["code"] == "G6_DOSSIER_SATISFACTION"), None)
    return {
        "p": page, "doc": doc, "figures": figures, "series": bars,
        "ranking": rank["rows"], "ranking_kind": rank["kind"],
        "satisfaction": satisfaction,
        "scope_choices": _scope_choices(page, rank["rows"]),
        "chart_series": charts.as_attr(charts.series_figure(bars)),
        "chart_groups": charts.as_attr(charts.groups_figure(doc["groups"])),
        "chart_ranking": charts.as_attr(charts.ranking_figure(rank["rows"])),
        "percent": (doc["score"] / doc["max"] * 100) if doc["score"] is not None
        and doc["max"] else None,
        "drillable": DRILLABLE, "refresh": REFRESH_SECONDS,
        "query": page.query(), "switch": page.structure_switch(),
        "breadcrumbs": page.breadcrumbs(),
        "fresh": freshness(),
    }


# Indicator → the drill-down metric listing its numerator's dossiers.
DRILLABLE = {
    "ON_TIME_RATE": "finished_on_time", "ONLINE_SUBMISSION_RATE": "received_online",
    "ONLINE_PAYMENT_RATE": "paid_online", "G5_E_RESULT": "eresult",
}


@_guard
def overview(request: HttpRequest) -> HttpResponse:
    page = Page(request)
    return render(request, "ioc/overview.html", overview_context(page))


@_guard
def overview_panel(request: HttpRequest) -> HttpResponse:
    """The auto-refreshed part of the overview (htmx polling)."""
    page = Page(request)
    return render(request, "ioc/_panel.html", overview_context(page))


# --------------------------------------------------------------------------------------------
# Drill-down and timeline
# --------------------------------------------------------------------------------------------


@_guard
def drilldown(request: HttpRequest) -> HttpResponse:
    page = Page(request)
    metric = request.GET.get("chi_tieu", "received")
    if metric not in METRICS:
        raise Http404("Không có chỉ tiêu này.")
    try:
        rows = drilldown_page(page.scope, page.ctx.directory, metric, page.start, page.judged,
                              after=request.GET.get("after"), before=request.GET.get("before"))
    except BadCursor:
        return redirect(f"{reverse('ioc:drilldown')}?{page.query(chi_tieu=metric)}")
    return render(request, "ioc/drilldown.html", {
        "p": page, "metric": METRICS[metric], "page": rows,
        "base_query": page.query(chi_tieu=metric), "query": page.query(),
    })


@_guard
def dossier_timeline(request: HttpRequest, code: str) -> HttpResponse:
    ctx = IndexContext.load()
    reach = user_reach(request.user, ctx.directory)
    if reach.nothing:
        raise _Denied()
    dossier = reach_dossier_get(reach, code)
    if dossier is None:
        raise Http404("Không tìm thấy hồ sơ.")
    events = list(dossier.events.select_related("actor").order_by("at", "id"))
    return render(request, "ioc/dossier.html", {
        "d": dossier, "events": events, "steps": list(dossier.steps.order_by("index", "id")),
        "late": dossier.finished_at is not None and dossier.original_due_at is not None
        and dossier.finished_at > dossier.original_due_at,
    })


# --------------------------------------------------------------------------------------------
# Operational queues
# --------------------------------------------------------------------------------------------


@_guard
def queues(request: HttpRequest) -> HttpResponse:
    ctx = IndexContext.load()
    reach = user_reach(request.user, ctx.directory)
    if reach.nothing:
        raise _Denied()
    template = "ioc/_queues.html" if request.headers.get("HX-Request") else "ioc/queues.html"
    return render(request, template, {"q": operational_queues(reach),
                                      "refresh": REFRESH_SECONDS,
                                      "wall": request.GET.get("man_hinh") == "1"})


# --------------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------------


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


@_guard
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404("Định dạng không hỗ trợ.")
    if table == "hang-doi":
        return _export_queues(request, fmt)
    page = Page(request)
    name = f"{table}-{page.scope.code}-{page.start:%Y%m%d}-{page.judged:%Y%m%d}"
    if table == "chi-so":
        doc, _ = compute_index(page.scope, page.scope_code, page.start, page.end, page.ctx)
        headers = ["Nhóm", "Mã chỉ số", "Chỉ số", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Điểm",
                   "Tối đa"]
        rows = [[g["name_vi"], i["code"], i["name_vi"], i["numerator"], i["denominator"],
                 _pct(i["ratio"]), i["score"], i["max"]]
                for g in doc["groups"] for i in g["indicators"]]
        return exports.table_response(fmt, name, headers, rows, "Chỉ số 766")
    if table == "theo-thang":
        points = series_for_scope(page.scope, page.scope_code, SERIES_MONTHS, page.ctx)
        headers = ["Tháng", "Điểm", "Tối đa", "Tiếp nhận", "Trực tuyến (%)", "Đúng hạn (%)",
                   "Quá hạn", "Thanh toán trực tuyến"]
        rows = [[p["month"], p["score"], p["max"], p["received"], _pct(p["online_rate"]),
                 _pct(p["on_time_rate"]), p["overdue"], p["paid_online"]] for p in points]
        return exports.table_response(fmt, name, headers, rows, "Theo tháng")
    if table == "xep-hang":
        rank = ranking(request.user, page.scope_code, page.start, page.end, ctx=page.ctx)
        headers = ["Hạng", "Mã", "Đơn vị", "Điểm", "Tối đa", "Tiếp nhận", "Đúng hạn (%)",
                   "Trực tuyến (%)", "Quá hạn"]
        rows = [[n, r["code"], r["name"], r["score"], r["max"], r["received"],
                 _pct(r["on_time_rate"]), _pct(r["online_rate"]), r["overdue"]]
                for n, r in enumerate(rank["rows"], start=1)]
        return exports.table_response(fmt, name, headers, rows, "Xếp hạng")
    if table == "ho-so":
        metric = request.GET.get("chi_tieu", "received")
        if metric not in METRICS:
            raise Http404("Không có chỉ tiêu này.")
        headers = ["Mã hồ sơ", "Thủ tục", "Cơ quan", "Kênh", "Trạng thái", "Tiếp nhận",
                   "Hẹn trả (theo quy định)", "Kết thúc xử lý", "Số lần bổ sung"]
        rows_iter = ([d.code, d.procedure.name, d.agency.name, d.get_channel_display(),
                      d.get_status_display(), d.received_at, d.original_due_at,
                      d.finished_at, d.supplement_count]
                     for d in drilldown_rows(page.scope, page.ctx.directory, metric,
                                             page.start, page.judged))
        return exports.table_response(fmt, f"{name}-{metric}", headers, rows_iter, "Hồ sơ")
    raise Http404("Không có bảng này.")


def _export_queues(request: HttpRequest, fmt: str) -> HttpResponse:
    ctx = IndexContext.load()
    reach = user_reach(request.user, ctx.directory)
    if reach.nothing:
        raise _Denied()
    q = operational_queues(reach, limit=1000)
    headers = ["Hàng đợi", "Mã hồ sơ", "Thủ tục", "Cơ quan", "Cán bộ", "Hẹn trả"]
    rows = []
    for label, key in (("Sắp đến hạn", "due_soon"), ("Quá hạn", "overdue"),
                       ("Chờ bổ sung", "supplement")):
        for d in q[key]:
            rows.append([label, d.code, d.procedure.name, d.agency.name,
                         str(d.assignee) if d.assignee_id else "", d.due_at])
    return exports.table_response(fmt, f"hang-doi-{today():%Y%m%d}", headers, rows, "Hàng đợi")


# --------------------------------------------------------------------------------------------
# Monthly PDF report
# --------------------------------------------------------------------------------------------


@_guard
def report(request: HttpRequest) -> HttpResponse:
    from tinhso.ioc.report import monthly_report_pdf

    page = Page(request)
    month = page.start.replace(day=1)
    end = month_end(month)
    doc, counters = compute_index(page.scope, page.scope_code, month, end, page.ctx)
    rank = ranking(request.user, page.scope_code, month, end, ctx=page.ctx)
    label = {"district": "Xếp hạng cấp huyện", "commune": "Xếp hạng cấp xã"}
    title = (label["district"] if rank["level"] == 2 else label["commune"]) \
        if rank["kind"] == "unit" else "Xếp hạng cơ quan"
    pdf = monthly_report_pdf(scope_label=page.scope.label, month=month, document=doc,
                             figures=summary(counters), ranking_rows=rank["rows"],
                             ranking_title=title)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = exports.safe_filename(f"bao-cao-766-{page.scope.code}-{month:%Y-%m}")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


# --------------------------------------------------------------------------------------------
# Notifications
# --------------------------------------------------------------------------------------------


def _officials_only(request: HttpRequest) -> None:
    """The IOC inbox is for those the IOC is for (officials, superusers; see
    ``tinhso.ioc.scopes.user_reach``), like every IOC page: citizens get 403, not an empty
    list."""
    from tinhso.accounts.permissions import is_active_official

    user = request.user
    if not (is_active_official(user) or (user.is_active and user.is_superuser)):
        raise _Denied()


@_guard
def notifications(request: HttpRequest) -> HttpResponse:
    _officials_only(request)
    items = list(notifications_for(request.user)[:100])
    return render(request, "ioc/notifications.html", {"items": items})


@_guard
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    _officials_only(request)
    notification = notification_mark_read(acting_user=request.user,
                                          notification_id=notification_id)
    if request.POST.get("open") and notification.url.startswith("/"):
        return redirect(notification.url)
    return redirect("ioc:notifications")
