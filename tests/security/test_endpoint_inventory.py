"""Endpoint inventory: every URL and method is either public on purpose or refuses strangers.

The test walks every URL pattern of the project (``get_resolver()``, recursively: the portal, the
back office, the IOC, the PKI endpoints, the django-ninja API under /api/v1 — ninja registers each
operation as a URL pattern — and the Django admin) and calls each with GET, POST, PUT, PATCH and
DELETE as an anonymous visitor. Each (route, method) must either

* refuse: 401 or 403, a redirect to a sign-in page, or 405 (the method is not supported); or
* be listed in ``PUBLIC`` below, with a comment saying why strangers may call it.

**A new endpoint added without protection makes this test fail.** Either protect it (login,
``require_role``, the API's default auth) or, if it is meant to be public, add it to ``PUBLIC``
with the reason — a reviewer then sees the decision in the diff.

The second test checks CSRF: every unsafe method of every session-authenticated page refuses a
signed-in browser that sends no CSRF token (403), except the routes in ``CSRF_EXEMPT`` (machine
protocols and the payment gateway's server-to-server call, which carry no session). API
operations are checked the same way: ninja's session auth enforces CSRF on unsafe methods; bearer
tokens are not sent by browsers automatically and need no CSRF token.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from tests.security.urlwalk import ALL_METHODS, UNSAFE_METHODS, Endpoint, endpoints
from tinhso.accounts.models import Role

ANY = frozenset(ALL_METHODS)
GET = frozenset({"get"})
POST = frozenset({"post"})
GET_POST = frozenset({"get", "post"})

# route (as written in urls.py, prefixes joined) -> methods anonymous callers may use.
PUBLIC: dict[str, frozenset[str]] = {
    # --- Portal: home, catalogue, agencies: public information (the views ignore the method).
    "": ANY,
    "thu-tuc/": ANY,
    "thu-tuc/<str:code>/": ANY,
    "co-quan/": ANY,
    # Public tracking by dossier code + ID number (POST), rate limited per client address.
    "tra-cuu/": ANY,
    # Language switch: sets a cookie and redirects back.
    "ngon-ngu/": ANY,
    # Sign-in, registration, password reset: for people who are not signed in yet.
    "dang-nhap/": ANY,
    # The code step of an official's sign-in and the authenticator enrolment: they act only on
    # a pending sign-in (password already checked) kept in the session, else redirect to sign-in.
    "dang-nhap/xac-thuc/": ANY,
    "dang-nhap/dang-ky-xac-thuc/": ANY,
    "dang-xuat/": POST,  # signing out an anonymous visitor is a no-op redirect
    "dang-ky/": ANY,
    "quen-mat-khau/": ANY,
    "quen-mat-khau/da-gui/": ANY,
    "dat-lai-mat-khau/<uidb64>/<token>/": ANY,  # the token in the URL is the credential
    "dat-lai-mat-khau/xong/": ANY,
    # OpenID Connect: start and callback of the identity provider's flow (404 when not set up).
    "oidc/bat-dau/": ANY,
    "oidc/callback/": ANY,
    # --- Public feedback (published answers).
    "phan-anh/": ANY,
    # --- Payments: the gateway's browser return and its server-to-server IPN (signed by the
    # gateway's hash secret, checked in the view).
    "thanh-toan/vnpay/ket-qua": ANY,
    "thanh-toan/vnpay/ipn": ANY,
    # --- Farm marketplace: public pages (GET only; ordering needs an account) and the
    # gateway's browser return of a market payment (signature checked, changes nothing).
    "cho-nong-san/": GET,
    "cho-nong-san/san-pham/<int:listing_id>/": GET,
    "cho-nong-san/nguoi-ban/<int:seller_id>/": GET,
    "cho-nong-san/anh/<int:photo_id>/": GET,
    "cho-nong-san/cung-cau/": GET,
    "cho-nong-san/gia/": GET,
    "cho-nong-san/thanh-toan/ket-qua": GET,
    # --- PKI for relying parties: CRL, CA certificates, OCSP, time stamps (RFC 5280/6960/3161).
    "chu-ky-so/crl/<slug:name>.crl": GET,
    "chu-ky-so/ca/<slug:name>.crt": GET,
    "chu-ky-so/ocsp": GET_POST,
    "chu-ky-so/ocsp/<path:encoded>": GET_POST,
    "chu-ky-so/tsa": POST,
    # Signature verification: the upload page and the QR-code target of every issued document.
    "chu-ky-so/xac-minh/": ANY,
    "chu-ky-so/xac-minh/<uuid:uuid>": ANY,
    # --- Operations and API documentation.
    "healthz": ANY,
    # Readiness: only ok/fail without the operators' token (details need it).
    "readyz": ANY,
    # Prometheus: 404 unless TINHSO_METRICS_TOKEN is set and given as a bearer token.
    "metrics": ANY,
    "api/docs": ANY,
    "api/openapi.json": ANY,
    "api/v1/docs": ANY,
    "api/v1/openapi.json": ANY,
    "api/v1/": ANY,  # ninja's root: 404 for every method
    # --- Public API operations (auth=None): reference data, catalogue, calendar.
    "api/v1/units": GET,
    "api/v1/units/agencies": GET,
    "api/v1/procedures/": GET,
    "api/v1/procedures/fields": GET,
    "api/v1/procedures/export": GET,
    "api/v1/procedures/<code>": GET,
    "api/v1/payments/fees/<procedure_code>": GET,  # the fee quote shown before submission
    "api/v1/workdays/deadline": GET,
    "api/v1/workdays/is-working-day": GET,
    "api/v1/workdays/holidays": GET,
    "api/v1/workdays/overrides": GET,  # the province's published calendar changes
    "api/v1/feedback/published": GET,
    # The farm marketplace: buyers browse without an account (published listings of verified
    # sellers, their certificates and reviews, open supply/demand posts, the price bulletin).
    "api/v1/market/listings": GET,
    "api/v1/market/listings/<listing_id>": GET,
    "api/v1/market/listings/<listing_id>/reviews": GET,
    "api/v1/market/sellers/<seller_id>": GET,
    "api/v1/market/posts": GET,
    "api/v1/market/prices": GET,
    # --- LGSP: the X-Road gateway authenticates every call itself (bearer token or client
    # certificate: 401 Server.ClientProxy.SslAuthenticationFailed), after checking the request's
    # X-Road form (400 Client.BadRequest first, as X-Road does). The log's signed heads and
    # proofs are public on purpose: anyone may check the log (RFC 9162 §5).
    "lgsp/r1/(?P<rest>.+)": ANY,
    "lgsp/log/v2/get-sth": GET,
    "lgsp/log/v2/get-sth-consistency": GET,
    "lgsp/log/v2/get-proof-by-hash": GET,
    # Self-registration, tracking and verification: public by design, rate limited.
    "api/v1/accounts/register/citizen": POST,
    "api/v1/accounts/register/organisation": POST,
    "api/v1/dossiers/track": POST,
    "api/v1/signatures/verify": POST,
    # Sensor stations post telemetry with their device token in the path (hashed, locked out
    # after repeated unknown tokens): the token is the credential.
    "api/v1/iot/<token>/telemetry": POST,
    # --- Traceability (docs/decisions/0012, 0020): the Digital Link resolver with its QR codes
    # and the ledger's heads and proofs are public on purpose (buyers scan a bag; anyone checks
    # the ledger). The EPCIS query interface answers anyone, with only the events the caller may
    # read (a party's own, the province's, parties that opted in). Capture and named queries
    # need a bearer token (401).
    "epcis/events": GET,
    "epcis/events/<path:event_id>": GET,
    "01/<str:gtin>/10/<str:lot>": GET,
    "truy-xuat/qr/01/<str:gtin>/10/<str:lot>.svg": GET,
    "truy-xuat/so-cai/": GET,
    "truy-xuat/so-cai/sth": GET,
    "truy-xuat/so-cai/consistency": GET,
    "truy-xuat/so-cai/proof": GET,
    # --- Django admin: its own sign-in page (and the password-reset links it may show).
    "admin/login/": ANY,
    "admin/logout/": ANY,  # POST only; signing out nobody redirects to the login page
}

# Whole trees that are public. The CSC remote-signing sandbox is a development stand-in for an
# outside signing service (it authenticates its callers itself, with the sandbox's own
# credentials and bearer tokens); settings refuse it in production.
# The intake benchmark's raw-insert baseline (bench/), mounted only with
# TINHSO_BENCH_RAW_INTAKE, which settings refuse in production.
PUBLIC_PREFIXES = ("sandbox/", "bench/")


def _public_methods(route: str) -> frozenset[str]:
    if route.startswith(PUBLIC_PREFIXES):
        return ANY
    return PUBLIC.get(route, frozenset())


# Unsafe methods that take no CSRF token: they carry no browser session.
CSRF_EXEMPT: dict[str, frozenset[str]] = {
    "thanh-toan/vnpay/ipn": POST,  # server-to-server from the payment gateway, hash-signed
    "chu-ky-so/ocsp": POST,  # RFC 6960 clients post DER
    "chu-ky-so/ocsp/<path:encoded>": POST,
    "chu-ky-so/tsa": POST,  # RFC 3161 clients post DER
    # The LGSP gateway never reads the session: only its own token or client certificate.
    "lgsp/r1/(?P<rest>.+)": frozenset(UNSAFE_METHODS),
    # Public API operations (auth=None) do not use the session: nothing to forge.
    "api/v1/accounts/register/citizen": POST,
    "api/v1/accounts/register/organisation": POST,
    "api/v1/dossiers/track": POST,
    "api/v1/signatures/verify": POST,
    "api/v1/iot/<token>/telemetry": POST,  # device token, no session
    # EPCIS capture reads only a bearer token, never the session (401 without one).
    "epcis/capture": POST,
    "epcis/events": POST,
    # EPCIS named queries and subscriptions: bearer token only, never the session (401).
    "epcis/queries": POST,
    "epcis/queries/<str:name>": frozenset({"delete"}),
    "epcis/queries/<str:name>/subscriptions": POST,
    "epcis/queries/<str:name>/subscriptions/<str:subscription_id>": frozenset({"delete"}),
}

# Where "please sign in" redirects may point.
LOGIN_PREFIXES = ("/dang-nhap/", "/admin/login/")


def _refused(response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code in (401, 403, 405):
        return True
    if response.status_code in (301, 302, 303, 307):
        return response["Location"].startswith(LOGIN_PREFIXES)
    return False


def _call(client: Client, method: str, url: str):  # type: ignore[no-untyped-def]
    return getattr(client, method)(url)


def test_inventory_finds_the_api_and_the_admin(db: None) -> None:
    routes = {e.route for e in endpoints()}
    assert "api/v1/dossiers/<code>" in routes
    assert "admin/login/" in routes
    assert "mot-cua/ho-so/<str:code>/" in routes
    assert len(routes) > 150


def test_every_endpoint_is_public_on_purpose_or_refuses_anonymous(db: None) -> None:
    client = Client(raise_request_exception=False)
    unexpected: list[str] = []
    for endpoint in endpoints():
        allowed = _public_methods(endpoint.route)
        for method in ALL_METHODS:
            if method in allowed:
                continue
            response = _call(client, method, endpoint.url)
            if not _refused(response):
                unexpected.append(f"{method.upper()} {endpoint.url} ({endpoint.route}) -> "
                                  f"{response.status_code} {response.get('Location', '')}")
    assert not unexpected, (
        "Endpoints answer anonymous callers without being listed as public:\n"
        + "\n".join(unexpected))


def test_public_allowlist_has_no_stale_entries(db: None) -> None:
    routes = {e.route for e in endpoints()}
    stale = (set(PUBLIC) | set(CSRF_EXEMPT)) - routes
    assert not stale, f"allowlisted routes that no longer exist: {sorted(stale)}"


@pytest.fixture
def signed_in_admin(db: None) -> Client:
    province = factories.make_province()
    agency = factories.make_agency(unit=province)
    user = factories.make_official(agency, Role.PROVINCE_ADMIN, Role.RECEIVER)
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(user)
    return client


def _needs_csrf(endpoint: Endpoint, method: str) -> bool:
    if endpoint.route.startswith(PUBLIC_PREFIXES):  # machine-to-machine, no browser session
        return False
    return method not in CSRF_EXEMPT.get(endpoint.route, frozenset())


def test_unsafe_methods_refuse_a_session_without_csrf_token(signed_in_admin: Client) -> None:
    unprotected: list[str] = []
    for endpoint in endpoints():
        for method in UNSAFE_METHODS:
            if not _needs_csrf(endpoint, method):
                continue
            response = _call(signed_in_admin, method, endpoint.url)
            # 405: the method does not exist there, so nothing to forge.
            if response.status_code not in (403, 405):
                unprotected.append(f"{method.upper()} {endpoint.url} ({endpoint.route}) -> "
                                   f"{response.status_code}")
    assert not unprotected, (
        "Unsafe requests with a session but no CSRF token were not refused:\n"
        + "\n".join(unprotected))


def test_the_csrf_check_itself_lets_a_token_through(signed_in_admin: Client) -> None:
    """Guard against a test that cannot fail: with the token, sign-out works (302, not 403)."""
    token = "a" * 32  # an unmasked secret: Django accepts it as cookie and as form token
    signed_in_admin.cookies["csrftoken"] = token
    response = signed_in_admin.post("/dang-xuat/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
