"""Bearer tokens: created and revoked by admins, stored as SHA-256, shown once."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import secrets

from django.utils import timezone

from tinhso.accounts.models import ApiToken, User
from tinhso.core import lookupcache

TOKEN_PREFIX = "tsk_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _token_row(key_hash: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user", "user__agency")
        .filter(key_hash=key_hash, revoked_at__isnull=True)
        .first()
    )


def user_for_token(raw: str) -> User | None:
    """The active user behind a token, or None if unknown, revoked or expired.

    The token with its user is kept in the per-process lookup cache (issue 12): a revocation,
    a deactivation or any change of the user or token bumps the accounts generation in its own
    transaction, so every server process sees it on its next request.
    """
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    key_hash = hash_token(raw)
    token = lookupcache.get(lookupcache.ACCOUNTS, ("token", key_hash),
                            lambda: _token_row(key_hash))
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # Touch last_used_at at most once a minute: a hot API client must not write on every call.
    # The cached row does not see the touch, so this process remembers its own last touch.
    last = max(filter(None, (token.last_used_at, _touched.get(token.pk))), default=None)
    if last is None or (now - last).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        _touched[token.pk] = now
    # A copy per request: the role set and other per-request state cached on the user
    # instance must not outlive the request (roles are read afresh, never cached here).
    return copy.copy(token.user)


# Token id -> when this process last wrote its last_used_at (bounded by the number of tokens).
_touched: dict[int, dt.datetime] = {}
