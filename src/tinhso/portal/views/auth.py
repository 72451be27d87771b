"""Sign in (with failure lockout), sign out, registration, password reset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tinhso.accounts import mfa
from tinhso.accounts.models import AccountKind
from tinhso.core import ratelimit
from tinhso.core.errors import DomainError
from tinhso.portal import oidc
from tinhso.portal.errors import attach_domain_error
from tinhso.portal.forms import LoginForm, RegisterForm
from tinhso.portal.views import mfa as mfa_views

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def safe_next(request: HttpRequest, default: str | None = None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default if default is not None else reverse("portal:home")


def landing_for(user) -> str:  # type: ignore[no-untyped-def]
    """Where a sign-in lands: provincial leaders (the IOC viewer role) on the IOC, other
    officials on their one-stop queue, applicants on their dossiers."""
    from tinhso.accounts.models import Role

    if user.is_official and user.has_role(Role.IOC_VIEWER):
        return reverse("ioc:overview")
    return reverse("backoffice:home") if user.is_official else reverse("portal:my_dossiers")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request, landing_for(request.user)))
    form = LoginForm(request.POST or None)
    account_limit = ratelimit.login_account_limit()
    address_limit = ratelimit.login_address_limit()
    status = 200
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        address = ratelimit.client_address(request)
        wait = max(account_limit.locked_for(username), address_limit.locked_for(address))
        if wait:
            # Checked before the password so a locked account cannot be probed further.
            form.add_error(None, _(
                "Tài khoản tạm thời bị khóa do nhập sai mật khẩu nhiều lần. Vui lòng thử lại "
                "sau %(minutes)d phút hoặc đặt lại mật khẩu.") % {
                "minutes": ratelimit.retry_minutes(wait)})
            status = 429
        else:
            user = authenticate(request, username=username,
                                password=form.cleaned_data["password"])
            if user is None:
                count = account_limit.fail(username)
                address_limit.fail(address)
                left = account_limit.max_failures - count
                message = _("Tên đăng nhập hoặc mật khẩu không đúng.")
                # count is 0 when the lockout is off (a maximum of 0): no warning, no lock.
                if count and 0 < left <= 2:
                    message += " " + _("Còn %(n)d lần thử trước khi tài khoản bị tạm khóa.") % {
                        "n": left}
                elif count and left <= 0:
                    message = _("Tài khoản tạm thời bị khóa do nhập sai mật khẩu nhiều lần. "
                                "Vui lòng thử lại sau %(minutes)d phút hoặc đặt lại mật "
                                "khẩu.") % {"minutes": account_limit.lock_minutes}
                    status = 429
                form.add_error(None, message)
            elif mfa.required_for(user):  # officials: the code before any session
                return mfa_views.start(request, user, safe_next(request, landing_for(user)))
            else:
                account_limit.clear(username)
                login(request, user)
                return HttpResponseRedirect(safe_next(request, landing_for(user)))
    response = render(request, "portal/login.html", {
        "nav": "login", "form": form, "next": safe_next(request, ""),
        "oidc_enabled": oidc.is_configured(), "oidc_name": oidc.provider_name(),
    }, status=status)
    if status == 429:
        response["Retry-After"] = str(max(
            account_limit.locked_for(username), address_limit.locked_for(address)) or 1)
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("Bạn đã đăng xuất."))
    return redirect("portal:home")


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
def register_view(request: HttpRequest) -> HttpResponse:
    from tinhso.accounts import services as account_services

    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        # Every attempt counts, valid or not: the answers tell whether an ID number or tax code
        # already has an account, so unlimited attempts would let anyone enumerate them.
        try:
            ratelimit.check_rate(ratelimit.signup_rate(), ratelimit.client_address(request))
        except ratelimit.RateLimited as exc:
            return ratelimit.render_form_limited(request, "portal/register.html", form, exc, {
                "nav": "login", "next": safe_next(request, "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == AccountKind.ORGANISATION:
                user = account_services.organisation_register(
                    name=data["full_name"], tax_code=data["tax_code"],
                    password=data["password1"], email=data["email"])
            else:
                user = account_services.citizen_register(
                    full_name=data["full_name"], id_number=data["id_number"],
                    password=data["password1"], email=data["email"], phone=data["phone"])
        except DomainError as exc:
            attach_domain_error(form, exc, {"password": "password1", "name": "full_name"})
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(request, _("Đăng ký thành công. Chào mừng %(name)s!") % {
                "name": user.full_name})
            return HttpResponseRedirect(safe_next(request, reverse("portal:my_dossiers")))
    return render(request, "portal/register.html", {"nav": "login", "form": form,
                                                    "next": safe_next(request, "")})


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/password_reset.html"
    email_template_name = "portal/email/password_reset.txt"
    subject_template_name = "portal/email/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        # A new password ends a lockout: the owner proved control of the e-mail address.
        assert self.user is not None  # a valid link was checked before the form is shown
        ratelimit.login_account_limit().clear(self.user.get_username())
        return super().form_valid(form)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"
