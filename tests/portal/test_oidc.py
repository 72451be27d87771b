"""OpenID Connect sign-in against a fake provider on localhost (real HTTP, no mocks)."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from tests import factories
from tinhso.accounts.models import User
from tinhso.portal.models import OidcIdentity

pytestmark = pytest.mark.django_db
CLIENT_ID = "tinhso-portal"


def _jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


class Provider:
    """Issues codes for the claims a test sets; the token endpoint checks PKCE and the client."""

    def __init__(self) -> None:
        self.claims: dict = {}
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def authorize(self, location: str, nonce_override: str | None = None) -> str:
        """What the browser would do at the provider: return the callback URL with a code."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        code = f"code-{len(self.codes)}"
        self.codes[code] = {**query, "nonce": nonce_override or query["nonce"]}
        return (query["redirect_uri"] + "?" +
                urllib.parse.urlencode({"code": code, "state": query["state"]}))

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _json(self, status: int, data: dict) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                if self.path == "/.well-known/openid-configuration":
                    self._json(200, {"issuer": provider.url,
                                     "authorization_endpoint": provider.url + "/authorize",
                                     "token_endpoint": provider.url + "/token",
                                     "userinfo_endpoint": provider.url + "/userinfo"})
                elif self.path == "/userinfo":
                    assert self.headers["Authorization"] == "Bearer access-1"
                    self._json(200, {"sub": provider.claims["sub"],
                                     "name": provider.claims.get("name", "")})
                else:
                    self._json(404, {})

            def do_POST(self):  # noqa: N802
                length = int(self.headers["Content-Length"])
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                provider.token_requests.append(form)
                basic = base64.b64decode(self.headers["Authorization"].split()[1]).decode()
                pending = provider.codes.pop(form.get("code", ""), None)
                import hashlib

                verifier_ok = pending and base64.urlsafe_b64encode(hashlib.sha256(
                    form["code_verifier"].encode()).digest()).decode().rstrip("=") == \
                    pending["code_challenge"]
                if basic != f"{CLIENT_ID}:bi-mat" or not verifier_ok:
                    self._json(400, {"error": "invalid_grant"})
                    return
                claims = {"iss": provider.url, "aud": CLIENT_ID, "exp": time.time() + 300,
                          "iat": time.time(), "nonce": pending["nonce"], **provider.claims}
                self._json(200, {"access_token": "access-1", "token_type": "Bearer",
                                 "id_token": _jwt(claims)})

        return Handler


@pytest.fixture
def provider(settings):
    fake = Provider()
    settings.TINHSO_OIDC_ISSUER = fake.url
    settings.TINHSO_OIDC_CLIENT_ID = CLIENT_ID
    settings.TINHSO_OIDC_CLIENT_SECRET = "bi-mat"
    settings.TINHSO_OIDC_NAME = "VNeID (thử nghiệm)"
    yield fake
    fake.server.shutdown()


def sign_in(client, provider, nonce_override=None):
    start = client.post(reverse("portal:oidc_start"))
    assert start.status_code == 302 and start["Location"].startswith(provider.url + "/authorize")
    callback = provider.authorize(start["Location"], nonce_override)
    path = urllib.parse.urlsplit(callback)
    return client.get(path.path + "?" + path.query)


def test_button_hidden_without_configuration(client, settings):
    settings.TINHSO_OIDC_ISSUER = ""
    html = client.get(reverse("portal:login")).content.decode()
    assert "Đăng nhập bằng" not in html
    assert client.post(reverse("portal:oidc_start")).status_code == 404


def test_button_shown_when_configured(client, provider):
    assert "Đăng nhập bằng VNeID (thử nghiệm)" in client.get(
        reverse("portal:login")).content.decode()


def test_first_sign_in_creates_a_citizen_and_links_the_identity(client, provider):
    provider.claims = {"sub": "vneid-42", "id_number": "070190012345",
                       "name": "Nguyễn Thị Mai"}
    response = sign_in(client, provider)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:my_dossiers")
    user = User.objects.get(id_number="070190012345")
    assert user.full_name == "Nguyễn Thị Mai" and not user.has_usable_password()
    assert OidcIdentity.objects.filter(user=user, subject="vneid-42").exists()
    assert client.session["_auth_user_id"] == str(user.pk)
    # The second time the link is used, whatever the claims say now.
    client.logout()
    provider.claims = {"sub": "vneid-42"}
    assert sign_in(client, provider).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert User.objects.count() == 1


def test_existing_account_is_linked_by_id_number(client, provider):
    citizen = factories.make_citizen(id_number="070190012345")
    provider.claims = {"sub": "vneid-7", "id_number": "070190012345"}
    sign_in(client, provider)
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_nonce_mismatch_is_refused(client, provider):
    provider.claims = {"sub": "vneid-1", "id_number": "070190012345"}
    response = sign_in(client, provider, nonce_override="khac")
    assert response["Location"] == reverse("portal:login")
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()


def test_forged_state_is_refused(client, provider):
    client.post(reverse("portal:oidc_start"))
    response = client.get(reverse("portal:oidc_callback"), {"code": "x", "state": "forged"})
    assert response["Location"] == reverse("portal:login")
    assert "_auth_user_id" not in client.session


def test_missing_id_number_claim_is_refused(client, provider):
    provider.claims = {"sub": "vneid-9"}
    sign_in(client, provider)
    assert "_auth_user_id" not in client.session
