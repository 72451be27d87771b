"""OpenID Connect sign-in: start (redirect to the provider) and callback."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tinhso.core.errors import DomainError
from tinhso.portal import oidc
from tinhso.portal.errors import error_message
from tinhso.portal.services import OIDC_PROFILE_CLAIMS, oidc_user_for_claims
from tinhso.portal.views.auth import MODEL_BACKEND, landing_for, safe_next

log = logging.getLogger(__name__)


@require_POST
@never_cache
def oidc_start(request: HttpRequest) -> HttpResponse:
    if not oidc.is_configured():
        raise Http404("OIDC not configured")
    redirect_uri = request.build_absolute_uri(reverse("portal:oidc_callback"))
    try:
        url = oidc.begin(request.session, redirect_uri, safe_next(request, ""))
    except DomainError as exc:
        messages.error(request, error_message(exc))
        return redirect("portal:login")
    return HttpResponseRedirect(url)


@never_cache
def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not oidc.is_configured():
        raise Http404("OIDC not configured")
    try:
        claims, next_url = oidc.complete(request.session, request.GET.dict())
        user = oidc_user_for_claims(
            issuer=oidc.issuer(), claims=claims,
            id_number_claim=oidc.setting("TINHSO_OIDC_ID_NUMBER_CLAIM", "id_number"))
    except DomainError as exc:
        log.warning("OIDC sign-in failed: %s", exc.message_en)
        messages.error(request, error_message(exc))
        return redirect("portal:login")
    if not user.is_active:
        messages.error(request, "Tài khoản đã bị khóa.")
        return redirect("portal:login")
    login(request, user, backend=MODEL_BACKEND)
    # Verified claims the requester step may prefill (portal.services.requester_prefill).
    request.session["oidc_profile"] = {k: claims[k] for k in OIDC_PROFILE_CLAIMS
                                       if isinstance(claims.get(k), str | dict)}
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        return HttpResponseRedirect(next_url)
    return HttpResponseRedirect(landing_for(user))
