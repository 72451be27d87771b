"""Public catalogue pages: home with search, browse by field and agency, a procedure's page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tinhso.catalog.models import OnlineLevel, ProcedureLevel
from tinhso.core.errors import NotFound
from tinhso.core.requests import HtmxRequest
from tinhso.portal import catalogue

# Desks per page: a phone shows about this many without endless scrolling.
DESKS_PER_PAGE = 10


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {
        "nav": "home",
        "fields": catalogue.fields_with_counts(),
        "popular": catalogue.popular_procedures(),
    })


def procedure_list(request: HtmxRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    filters = {
        "field_code": request.GET.get("linh_vuc") or None,
        "agency_code": request.GET.get("co_quan") or None,
        "level": request.GET.get("cap") if request.GET.get("cap") in ProcedureLevel.values
        else None,
        "online_level": request.GET.get("muc_do") if request.GET.get("muc_do")
        in OnlineLevel.values else None,
    }
    # Ranked by relevance when there is a query (typos, synonyms: tinhso.catalog.search).
    qs = catalogue.search_procedures(q, **filters)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    context = {
        "nav": "procedures", "q": q, "page": page, "filters": filters,
        "fields": catalogue.fields_with_counts(),
        "levels": catalogue.levels_in_force(), "online_levels": OnlineLevel.choices,
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "portal/_procedure_results.html", context)
    return render(request, "portal/procedure_list.html", context)


def agency_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/agency_list.html", {
        "nav": "procedures", "agencies": catalogue.agencies_with_counts(),
    })


def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        procedure = catalogue.procedure_get(code)
    except NotFound as exc:
        raise Http404(code) from exc
    components = list(procedure.components.all())
    from tinhso.payments.fees import schedule_for

    desk_query = request.GET.get("noi", "").strip()[:100]
    address = getattr(request.user, "address", "") if request.user.is_authenticated else ""
    desks = catalogue.desks_for_procedure(procedure, query=desk_query, address=address)
    page = Paginator(desks.desks, DESKS_PER_PAGE).get_page(request.GET.get("trang"))
    return render(request, "portal/procedure_detail.html", {
        "nav": "procedures", "procedure": procedure, "components": components,
        "fee_schedule": schedule_for(procedure), "level_label": catalogue.level_label(procedure),
        "desks": desks, "desk_page": page, "desk_query": desk_query,
        "can_submit_online": procedure.online_level != OnlineLevel.NONE and bool(desks.total),
    })
