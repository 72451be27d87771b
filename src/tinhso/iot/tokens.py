"""Device access tokens: random, shown once, stored as SHA-256 with a public prefix."""

from __future__ import annotations

import hashlib
import secrets

from tinhso.iot.models import Device

PREFIX_LEN = 8


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, 192 bits


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_for_token(token: str) -> Device | None:
    if not token or len(token) > 100:
        return None
    return (Device.objects.select_related("parcel")
            .filter(token_hash=token_hash(token), is_active=True).first())
