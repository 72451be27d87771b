"""Failure counting and lockout on Django's cache (no extra service).

Sign-in and public tracking count failures per key (the account name, the client address) in a
fixed window. When a key reaches its limit it is locked for ``lock_seconds``; a success clears the
account key. With several server processes the cache must be shared (database or Redis cache
backend) for the limits to hold across processes; the default local-memory cache limits each
process separately, which is still a real limit for a single-process deployment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from tinhso.core.text import fold


@dataclass(frozen=True)
class Limit:
    name: str
    max_failures: int
    window_seconds: int
    lock_seconds: int

    def _key(self, kind: str, subject: str) -> str:
        # Hash the subject: cache keys must not carry personal data (ID numbers) in clear.
        digest = hashlib.sha256(fold(subject).encode()).hexdigest()[:32]
        return f"tinhso:rl:{self.name}:{kind}:{digest}"

    def is_locked(self, subject: str) -> bool:
        return bool(cache.get(self._key("lock", subject)))

    def fail(self, subject: str) -> int:
        """Record a failure; lock the subject when it reaches the limit. Returns the count."""
        key = self._key("n", subject)
        cache.add(key, 0, self.window_seconds)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, self.window_seconds)
            count = 1
        if count >= self.max_failures:
            cache.set(self._key("lock", subject), 1, self.lock_seconds)
            cache.delete(key)
        return count

    def clear(self, subject: str) -> None:
        cache.delete_many([self._key("n", subject), self._key("lock", subject)])

    @property
    def lock_minutes(self) -> int:
        return max(1, self.lock_seconds // 60)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def login_account_limit() -> Limit:
    return Limit("login-account", _setting("TINHSO_LOGIN_MAX_FAILURES", 5),
                 window_seconds=15 * 60, lock_seconds=_setting("TINHSO_LOGIN_LOCK_SECONDS", 900))


def login_address_limit() -> Limit:
    return Limit("login-address", _setting("TINHSO_LOGIN_MAX_FAILURES_PER_ADDRESS", 30),
                 window_seconds=15 * 60, lock_seconds=_setting("TINHSO_LOGIN_LOCK_SECONDS", 900))


def tracking_limit() -> Limit:
    return Limit("track", _setting("TINHSO_TRACK_MAX_FAILURES", 10),
                 window_seconds=15 * 60, lock_seconds=15 * 60)


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it,
    # and trusting it would let an attacker pick a fresh address for every guess.
    return request.META.get("REMOTE_ADDR", "") or "unknown"
