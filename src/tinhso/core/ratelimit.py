"""Rate limits and failure lockouts on Django's cache, shared by HTML views and the API.

Two shapes, both keyed by a subject (a client address, an account name), never stored in clear:

* ``RateLimit`` counts *requests* in a fixed window (``"20/h"``: 20 per clock hour slot). Used
  where every request costs something: self-registration, public tracking, signature
  verification uploads.
* ``FailureLimit`` counts *failures* (wrong password, unknown dossier, bad bearer token) and locks
  the subject for ``lock_seconds`` once it reaches ``max_failures``. Honest users who get it
  right are never slowed down.

Both answer "how many seconds until you may try again" so that the API can send ``Retry-After``
and the pages can say "try again in N minutes". Refusals raise (or are turned into)
``RateLimited``: HTTP 429, code ``RATE_LIMITED``.

The cache is the process's local memory by default (each process counts for itself, still a real
limit with one server process) and Redis when ``TINHSO_CACHE_URL`` is set, which several server
processes then share. django-ninja's own throttles only cover API operations; the same limits
must hold for the HTML forms, hence this one module.

Limits are configured in settings (see ``docs/security.md``); a rate of ``off`` (or a count of 0)
disables a limit.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tinhso.core.errors import DomainError
from tinhso.core.text import fold

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def now() -> float:
    """The limiter's clock; tests replace it to move between windows without sleeping."""
    return time.time()


def parse_rate(value: str | None) -> tuple[int, int] | None:
    """``"20/h"``, ``"5/10m"``, ``"30/60"`` (seconds) -> (count, seconds); ``off``/``0`` -> None."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in {"", "off", "0", "none"}:
        return None
    try:
        count_text, period_text = text.split("/", 1)
        count = int(count_text)
        unit = period_text[-1]
        if unit in _PERIODS:
            seconds = int(period_text[:-1] or "1") * _PERIODS[unit]
        else:
            seconds = int(period_text)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"{value!r} is not a rate like '20/h', '5/10m' or 'off'") from exc
    if count < 0 or seconds <= 0:
        raise ValueError(f"{value!r} is not a rate like '20/h', '5/10m' or 'off'")
    return (count, seconds) if count else None


class RateLimited(DomainError):
    """Too many requests: HTTP 429 with ``Retry-After``."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        minutes = max(1, math.ceil(self.retry_after / 60))
        super().__init__(
            "RATE_LIMITED",
            f"Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau {minutes} phút.",
            f"Too many requests. Try again in {self.retry_after} seconds.",
            {"retry_after": self.retry_after},
        )


def _digest(subject: str) -> str:
    # Hash the subject: cache keys must not carry personal data (ID numbers, names) in clear.
    return hashlib.sha256(fold(subject).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` requests per subject in each fixed window of ``seconds``."""

    name: str
    count: int
    seconds: int

    def _slot(self, at: float) -> int:
        return int(at // self.seconds)

    def _key(self, subject: str, slot: int) -> str:
        return f"tinhso:rl:{self.name}:{_digest(subject)}:{slot}"

    def hit(self, subject: str) -> int:
        """Count one request. Returns 0 if allowed, else the seconds until the window resets."""
        at = now()
        slot = self._slot(at)
        key = self._key(subject, slot)
        cache.add(key, 0, self.seconds + 1)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, self.seconds + 1)
            used = 1
        if used <= self.count:
            return 0
        return max(1, math.ceil((slot + 1) * self.seconds - at))

    def check(self, subject: str) -> None:
        """Count one request; raise ``RateLimited`` when over the limit."""
        wait = self.hit(subject)
        if wait:
            raise RateLimited(wait)


@dataclass(frozen=True)
class FailureLimit:
    """Lock a subject for ``lock_seconds`` after ``max_failures`` failures within the window."""

    name: str
    max_failures: int
    window_seconds: int
    lock_seconds: int

    def _key(self, kind: str, subject: str) -> str:
        return f"tinhso:rl:{self.name}:{kind}:{_digest(subject)}"

    def locked_for(self, subject: str) -> int:
        """Seconds left on the subject's lock; 0 when not locked."""
        if self.max_failures <= 0:
            return 0
        until = cache.get(self._key("lock", subject))
        if not until:
            return 0
        left = math.ceil(float(until) - now())
        return left if left > 0 else 0

    def is_locked(self, subject: str) -> bool:
        return self.locked_for(subject) > 0

    def check(self, subject: str) -> None:
        wait = self.locked_for(subject)
        if wait:
            raise RateLimited(wait)

    def fail(self, subject: str) -> int:
        """Record a failure; lock the subject when it reaches the limit. Returns the count."""
        if self.max_failures <= 0:
            return 0
        key = self._key("n", subject)
        cache.add(key, 0, self.window_seconds)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, self.window_seconds)
            count = 1
        if count >= self.max_failures:
            cache.set(self._key("lock", subject), now() + self.lock_seconds, self.lock_seconds)
            cache.delete(key)
        return count

    def clear(self, subject: str) -> None:
        cache.delete_many([self._key("n", subject), self._key("lock", subject)])

    @property
    def lock_minutes(self) -> int:
        return max(1, self.lock_seconds // 60)


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _rate(name: str, setting: str, default: str) -> RateLimit | None:
    parsed = parse_rate(_setting(setting, default))
    return RateLimit(name, *parsed) if parsed else None


# --- The limits of the platform (defaults here; settings.py reads them from the environment).

def login_account_limit() -> FailureLimit:
    return FailureLimit("login-account", int(_setting("TINHSO_LOGIN_MAX_FAILURES", 5)),
                        window_seconds=15 * 60,
                        lock_seconds=int(_setting("TINHSO_LOGIN_LOCK_SECONDS", 900)))


def login_address_limit() -> FailureLimit:
    return FailureLimit("login-address",
                        int(_setting("TINHSO_LOGIN_MAX_FAILURES_PER_ADDRESS", 30)),
                        window_seconds=15 * 60,
                        lock_seconds=int(_setting("TINHSO_LOGIN_LOCK_SECONDS", 900)))


def tracking_limit() -> FailureLimit:
    """Wrong code/ID-number pairs per client address (portal page and API)."""
    return FailureLimit("track", int(_setting("TINHSO_TRACK_MAX_FAILURES", 10)),
                        window_seconds=15 * 60, lock_seconds=15 * 60)


def tracking_rate() -> RateLimit | None:
    """All tracking look-ups per client address, found or not."""
    return _rate("track-rate", "TINHSO_RATE_TRACK", "60/10m")


def signup_rate() -> RateLimit | None:
    """Self-registrations (citizens and organisations) per client address, page and API."""
    return _rate("signup", "TINHSO_RATE_SIGNUP", "10/h")


def verify_rate() -> RateLimit | None:
    """Public signature-verification uploads per client address, page and API."""
    return _rate("verify", "TINHSO_RATE_VERIFY", "30/10m")


def token_failure_limit() -> FailureLimit:
    """Unknown, revoked or expired bearer tokens per client address."""
    return FailureLimit("bearer", int(_setting("TINHSO_TOKEN_MAX_FAILURES", 20)),
                        window_seconds=15 * 60,
                        lock_seconds=int(_setting("TINHSO_TOKEN_LOCK_SECONDS", 900)))


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it,
    # and trusting it would let an attacker pick a fresh address for every guess.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def check_rate(limit: RateLimit | None, subject: str) -> None:
    """Count a request against an optional limit (``None``: the limit is off)."""
    if limit is not None:
        limit.check(subject)


def retry_minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def render_form_limited(request: HttpRequest, template: str, form: Any, exc: RateLimited,
                        context: dict[str, Any]) -> HttpResponse:
    """An HTML form again, with the Vietnamese "too many requests" message: HTTP 429.

    The form is not validated: its answer (e.g. "this ID number already has an account") is
    exactly what the limit holds back.
    """
    form._errors, form.cleaned_data = ErrorDict(), {}
    form.add_error(None, _("Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau %(minutes)d "
                           "phút.") % {"minutes": retry_minutes(exc.retry_after)})
    response = render(request, template, {**context, "form": form}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response
