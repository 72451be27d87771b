"""Pages of official mail (/thu-cong-vu/): the searchable address book, the delivery log of the
agency's sent mail, the agency's received mail. Officials only."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse

from tinhso.mail import permissions, selectors

PER_PAGE = 50


def _guard(request: HttpRequest) -> HttpResponseRedirect | None:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")
    if not permissions.can_read_directory(request.user):
        raise Http404("officials only")
    return None


def address_book(request: HttpRequest) -> HttpResponse:
    if (response := _guard(request)) is not None:
        return response
    q = request.GET.get("q", "")[:100]
    page = Paginator(selectors.address_book(request.user, q), PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "mail/addresses.html", {"page": page, "q": q, "nav": "mail"})


def sent(request: HttpRequest) -> HttpResponse:
    if (response := _guard(request)) is not None:
        return response
    page = Paginator(selectors.outbound_visible_to(request.user), PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "mail/sent.html", {"page": page, "nav": "mail"})


def received(request: HttpRequest) -> HttpResponse:
    if (response := _guard(request)) is not None:
        return response
    page = Paginator(selectors.inbound_visible_to(request.user), PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "mail/received.html", {"page": page, "nav": "mail"})
