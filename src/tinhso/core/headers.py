"""Security headers: Content-Security-Policy and Permissions-Policy on every response.

HSTS is Django's (``SECURE_HSTS_SECONDS``, from ``TINHSO_HSTS_SECONDS``; on by default in
production, sent on https requests only). Django 5.2 has no built-in CSP, and the policy needs
no per-request nonce: no page has an inline script or style (templates use static files and CSS
classes; htmx is told not to inject its indicator style), so the policy is a plain string (built
per response from the settings: a few string operations).

A response that already carries a policy keeps it: the protected attachment preview sets a
stricter, sandboxed one of its own (tinhso.portal.files).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def _form_targets() -> list[str]:
    """Origins a form may lead to: the payment gateway and the identity provider, which the
    "pay online" and "sign in with VNeID" forms reach through a redirect (browsers check
    ``form-action`` on the redirect too)."""
    from django.core.exceptions import ImproperlyConfigured

    from tinhso.payments import conf as payment_conf

    urls = list(settings.TINHSO_CSP_FORM_ACTION)
    # A bad gateway setting is reported where payments start; headers must never fail.
    with contextlib.suppress(ImproperlyConfigured):
        urls.append(payment_conf.gateway_url())
    for name in ("TINHSO_OIDC_ISSUER", "TINHSO_OIDC_AUTHORIZATION_ENDPOINT"):
        urls.append(str(getattr(settings, name, None) or os.environ.get(name, "")))
    return sorted({o for o in map(_origin, urls) if o})


def content_security_policy() -> str:
    form_action = " ".join(["'self'", *_form_targets()])
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action {form_action}",
        "frame-ancestors 'self'",
    ]
    return "; ".join(directives)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.TINHSO_CSP and "Content-Security-Policy" not in response:
            header = ("Content-Security-Policy-Report-Only" if settings.TINHSO_CSP_REPORT_ONLY
                      else "Content-Security-Policy")
            response.headers.setdefault(header, content_security_policy())
        if settings.TINHSO_PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.TINHSO_PERMISSIONS_POLICY)
        return response
