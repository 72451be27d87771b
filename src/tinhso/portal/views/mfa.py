"""The second step of a password sign-in for officials: a code from an authenticator app
(or a recovery code), and the enrolment of that app (accounts/mfa.py).

Between the password and the code no session is open: the pending sign-in lives in the
session for five minutes as a user id, and ``login()`` happens only after the code. Wrong
codes count in the same lockout as wrong passwords.
"""

from __future__ import annotations

import time

import segno
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from tinhso.accounts import mfa
from tinhso.accounts.models import User
from tinhso.accounts.selectors import user_by_pk_for_sign_in
from tinhso.core import ratelimit
from tinhso.core.errors import DomainError

PENDING = "tinhso_mfa_pending"
PENDING_SECONDS = 300
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def start(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    """Called by the sign-in view after a correct password for an account that needs a code."""
    request.session.cycle_key()
    request.session[PENDING] = {"user": user.pk, "at": time.time(), "next": next_url}
    return redirect("portal:mfa_verify" if mfa.has_device(user) else "portal:mfa_enrol")


def _pending_user(request: HttpRequest) -> User | None:
    data = request.session.get(PENDING)
    if not data or time.time() - float(data.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    return user_by_pk_for_sign_in(int(data["user"]))


def _finish(request: HttpRequest, user: User) -> HttpResponseRedirect:
    from tinhso.portal.views.auth import landing_for

    next_url = request.session.get(PENDING, {}).get("next") or landing_for(user)
    request.session.pop(PENDING, None)
    ratelimit.login_account_limit().clear(user.username)
    login(request, user, backend=MODEL_BACKEND)
    return HttpResponseRedirect(next_url)


def _locked(request: HttpRequest, user: User) -> int:
    return max(ratelimit.login_account_limit().locked_for(user.username),
               ratelimit.login_address_limit().locked_for(ratelimit.client_address(request)))


def _fail(request: HttpRequest, user: User) -> None:
    ratelimit.login_account_limit().fail(user.username)
    ratelimit.login_address_limit().fail(ratelimit.client_address(request))


def _locked_response(request: HttpRequest, template: str, context: dict[str, object],
                     wait: int) -> HttpResponse:
    context["error"] = _("Tài khoản tạm thời bị khóa do nhập sai nhiều lần. Vui lòng thử lại "
                         "sau %(minutes)d phút.") % {"minutes": ratelimit.retry_minutes(wait)}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def mfa_verify_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None or not mfa.has_device(user):
        return redirect("portal:login")
    context: dict[str, object] = {"nav": "login"}
    if request.method == "POST":
        wait = _locked(request, user)
        if wait:
            return _locked_response(request, "portal/mfa_verify.html", context, wait)
        try:
            mfa.verify(user, request.POST.get("code", "")[:20])
        except DomainError as exc:
            _fail(request, user)
            context["error"] = exc.message_vi
            return render(request, "portal/mfa_verify.html", context, status=422)
        return _finish(request, user)
    return render(request, "portal/mfa_verify.html", context)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def mfa_enrol_view(request: HttpRequest) -> HttpResponse:
    """Enrol during a pending sign-in (required roles), or later while signed in (anyone
    official who wants it)."""
    pending = _pending_user(request)
    user = pending
    if user is None and request.user.is_authenticated and getattr(request.user, "is_official",
                                                                  False):
        user = request.user  # type: ignore[assignment]
    if user is None:
        return redirect("portal:login")
    if mfa.has_device(user):
        return redirect("portal:mfa_verify" if pending else "portal:home")
    secret, uri = mfa.enrol_start(user)
    context: dict[str, object] = {"nav": "login", "secret": secret,
                                  "qr": segno.make(uri, error="m").svg_data_uri(scale=4)}
    if request.method == "POST":
        wait = _locked(request, user)
        if wait:
            return _locked_response(request, "portal/mfa_enrol.html", context, wait)
        try:
            codes = mfa.enrol_confirm(user, request.POST.get("code", "")[:20])
        except DomainError as exc:
            _fail(request, user)
            context["error"] = exc.message_vi
            return render(request, "portal/mfa_enrol.html", context, status=422)
        # A pending sign-in is completed now; the codes page then links on to where it was going.
        target = (_finish(request, user)["Location"] if pending is not None
                  else reverse("portal:home"))
        return render(request, "portal/mfa_codes.html", {"codes": codes, "next": target})
    return render(request, "portal/mfa_enrol.html", context)
