"""OpenID Connect sign-in (authorization-code flow with PKCE), for a national identity provider.

Configured only through settings (or environment variables of the same name):
``TINHSO_OIDC_ISSUER``, ``TINHSO_OIDC_CLIENT_ID``, ``TINHSO_OIDC_CLIENT_SECRET`` (required),
``TINHSO_OIDC_AUTHORIZATION_ENDPOINT``, ``TINHSO_OIDC_TOKEN_ENDPOINT``,
``TINHSO_OIDC_USERINFO_ENDPOINT`` (read from ``<issuer>/.well-known/openid-configuration`` when
not set), ``TINHSO_OIDC_SCOPES`` (default ``openid profile email``), ``TINHSO_OIDC_NAME`` (the
button's label) and ``TINHSO_OIDC_ID_NUMBER_CLAIM`` (the claim holding the 12-digit personal ID
number, default ``id_number``). The login button appears only when the three required ones are set.

The ID token comes straight from the token endpoint over TLS, so — as OpenID Connect Core §3.1.3.7
allows — its issuer, audience, expiry and nonce are checked and the TLS connection stands in for
the signature check. Plain http is accepted only for loopback addresses (tests, local providers).
The client is the standard library's ``urllib``: no extra dependency.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.core.cache import cache

from tinhso.core.errors import DomainError

TIMEOUT_SECONDS = 10
SESSION_KEY = "tinhso_oidc"


class OidcError(DomainError):
    status = 400

    def __init__(self, reason_en: str, details: Any = None) -> None:
        super().__init__(
            "OIDC_FAILED",
            "Không đăng nhập được qua nhà cung cấp định danh. Vui lòng thử lại hoặc đăng nhập "
            "bằng mật khẩu.",
            f"Sign-in through the identity provider failed: {reason_en}",
            details,
        )


def setting(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value or default)


def is_configured() -> bool:
    return all(setting(n) for n in ("TINHSO_OIDC_ISSUER", "TINHSO_OIDC_CLIENT_ID",
                                     "TINHSO_OIDC_CLIENT_SECRET"))


def provider_name() -> str:
    return setting("TINHSO_OIDC_NAME", "Định danh điện tử quốc gia")


def issuer() -> str:
    return setting("TINHSO_OIDC_ISSUER").rstrip("/")


def _check_url(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "https" or (
            parsed.scheme == "http" and parsed.hostname in {"127.0.0.1", "localhost", "::1"}):
        return url
    raise OidcError("endpoint must use https", {"url": url})


def _request_json(request: urllib.request.Request) -> dict[str, Any]:
    _check_url(request.full_url)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read(1024 * 1024)
    except urllib.error.HTTPError as exc:
        raise OidcError(f"HTTP {exc.code} from {request.full_url}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise OidcError(f"cannot reach {request.full_url}") from exc
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise OidcError("response is not JSON") from exc
    if not isinstance(data, dict):
        raise OidcError("response is not a JSON object")
    return data


def endpoints() -> dict[str, str]:
    """The provider's endpoints: from settings, else discovery (cached for an hour)."""
    names = {"authorization_endpoint": "TINHSO_OIDC_AUTHORIZATION_ENDPOINT",
             "token_endpoint": "TINHSO_OIDC_TOKEN_ENDPOINT",
             "userinfo_endpoint": "TINHSO_OIDC_USERINFO_ENDPOINT"}
    found = {key: setting(name) for key, name in names.items()}
    if found["authorization_endpoint"] and found["token_endpoint"]:
        return found
    cache_key = "tinhso:oidc:discovery:" + hashlib.sha256(issuer().encode()).hexdigest()[:16]
    discovered = cache.get(cache_key)
    if discovered is None:
        discovered = _request_json(urllib.request.Request(  # noqa: S310 (scheme checked)
            issuer() + "/.well-known/openid-configuration",
            headers={"Accept": "application/json"}))
        cache.set(cache_key, discovered, 3600)
    for key in found:
        found[key] = found[key] or str(discovered.get(key) or "")
    if not found["authorization_endpoint"] or not found["token_endpoint"]:
        raise OidcError("discovery document lacks endpoints")
    return found


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def begin(session: Any, redirect_uri: str, next_url: str) -> str:
    """Store state, nonce and PKCE verifier in the session; return the provider's URL."""
    state, nonce, verifier = (secrets.token_urlsafe(24), secrets.token_urlsafe(24),
                              secrets.token_urlsafe(48))
    session[SESSION_KEY] = {"state": state, "nonce": nonce, "verifier": verifier,
                            "redirect_uri": redirect_uri, "next": next_url,
                            "at": int(time.time())}
    params = {
        "response_type": "code",
        "client_id": setting("TINHSO_OIDC_CLIENT_ID"),
        "redirect_uri": redirect_uri,
        "scope": setting("TINHSO_OIDC_SCOPES", "openid profile email"),
        "state": state,
        "nonce": nonce,
        "code_challenge": _b64url(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
    }
    url = endpoints()["authorization_endpoint"]
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)


def _decode_jwt_payload(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise OidcError("malformed ID token") from exc
    if not isinstance(data, dict):
        raise OidcError("malformed ID token")
    return data


def complete(session: Any, params: dict[str, str]) -> tuple[dict[str, Any], str]:
    """Check the callback, exchange the code, validate the ID token; return (claims, next)."""
    pending = session.pop(SESSION_KEY, None)
    if not pending:
        raise OidcError("no sign-in in progress")
    if params.get("error"):
        raise OidcError(f"provider returned {params.get('error')}")
    if not params.get("state") or not secrets.compare_digest(params["state"], pending["state"]):
        raise OidcError("state mismatch")
    if time.time() - pending.get("at", 0) > 600:
        raise OidcError("sign-in took too long")
    code = params.get("code")
    if not code:
        raise OidcError("no authorization code")
    client_id = setting("TINHSO_OIDC_CLIENT_ID")
    secret = setting("TINHSO_OIDC_CLIENT_SECRET")
    urls = endpoints()
    basic = base64.b64encode(
        f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(secret, safe='')}"
        .encode()).decode()
    token = _request_json(urllib.request.Request(  # noqa: S310 (scheme checked)
        urls["token_endpoint"], method="POST",
        data=urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": pending["redirect_uri"], "code_verifier": pending["verifier"],
        }).encode(),
        headers={"Authorization": f"Basic {basic}", "Accept": "application/json",
                 "Content-Type": "application/x-www-form-urlencoded"}))
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError("token response has no ID token")
    claims = _decode_jwt_payload(id_token)
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if str(claims.get("iss", "")).rstrip("/") != issuer():
        raise OidcError("wrong issuer")
    if client_id not in audiences:
        raise OidcError("wrong audience")
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] < time.time() - 60:
        raise OidcError("ID token expired")
    if claims.get("nonce") != pending["nonce"]:
        raise OidcError("nonce mismatch")
    if not claims.get("sub"):
        raise OidcError("ID token has no subject")
    access = token.get("access_token")
    if urls.get("userinfo_endpoint") and isinstance(access, str):
        info = _request_json(urllib.request.Request(  # noqa: S310 (scheme checked)
            urls["userinfo_endpoint"], headers={"Authorization": f"Bearer {access}",
                                                "Accept": "application/json"}))
        if info.get("sub") != claims["sub"]:
            raise OidcError("userinfo subject differs from the ID token")
        claims = {**info, **claims}
    return claims, pending.get("next") or ""
