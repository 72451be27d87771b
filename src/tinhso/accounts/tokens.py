"""Bearer tokens: created and revoked by admins, stored as SHA-256, shown once."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from tinhso.accounts.models import ApiToken, User

TOKEN_PREFIX = "tsk_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def user_for_token(raw: str) -> User | None:
    """The active user behind a token, or None if unknown, revoked or expired."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user", "user__agency")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # Touch last_used_at at most once a minute: a hot API client must not write on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
