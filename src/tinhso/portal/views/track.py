"""Public tracking by dossier code + ID number. POST only for the lookup: the ID number never
appears in a URL, a server log line or the browser history."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from tinhso.core import ratelimit
from tinhso.core.requests import HtmxRequest
from tinhso.dossiers.selectors import dossier_track_public
from tinhso.portal.forms import TrackForm


@never_cache
def track(request: HtmxRequest) -> HttpResponse:
    form = TrackForm(request.POST or None)
    result = None
    status = 200
    address = ratelimit.client_address(request)
    if request.method == "POST":
        try:
            ratelimit.check_rate(ratelimit.tracking_rate(), address)
        except ratelimit.RateLimited as exc:
            response = ratelimit.render_form_limited(
                request, "portal/_track_result.html" if request.htmx else "portal/track.html",
                form, exc, {"nav": "track", "result": None})
            if request.htmx:  # htmx swaps 2xx answers only; the message is the content
                response.status_code = 200
            return response
    if request.method == "POST" and form.is_valid():
        limit = ratelimit.tracking_limit()
        wait = limit.locked_for(address)
        if wait:
            form.add_error(None, _("Bạn đã tra cứu sai quá nhiều lần. Vui lòng thử lại sau "
                                   "%(minutes)d phút.") % {
                                       "minutes": ratelimit.retry_minutes(wait)})
            status = 429
        else:
            result = dossier_track_public(form.cleaned_data["code"].strip().upper(),
                                          form.cleaned_data["id_number"])
            if result is None:
                limit.fail(address)
                form.add_error(None, _("Không tìm thấy hồ sơ với mã và số giấy tờ đã nhập. "
                                       "Vui lòng kiểm tra lại."))
                status = 404
    template = "portal/_track_result.html" if request.htmx else "portal/track.html"
    response = render(request, template, {"nav": "track", "form": form, "result": result},
                      status=status if not request.htmx else 200)
    if status == 429:
        response["Retry-After"] = str(limit.locked_for(address) or 1)
    return response
