"""Settings of online payment, read here (not in settings.py) through the project's typed helpers.

Every value may be set as a Django setting (tests override it that way) or as an environment
variable; the hash secret may come from a file (``TINHSO_VNPAY_HASH_SECRET_FILE``). In production
(``TINHSO_PRODUCTION=true``) the merchant code, the hash secret, the gateway URL and the VietQR
payee must be set explicitly: the development defaults below only talk to the local sandbox.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tinhso.settings import env_int, env_str

# Development defaults: the local "VNPAY sandbox (local, not real money)" signs with the same
# secret, so a fresh checkout can pay a dossier end to end without any account at VNPAY.
DEV_TMN_CODE = "TINHSO01"
DEV_HASH_SECRET = "TINHSO-LOCAL-SANDBOX-SECRET-NOT-FOR-PRODUCTION"
SANDBOX_PATH = "/paymentv2/vpcpay.html"
DEV_SANDBOX_PORT = 8100
DEV_VNPAY_URL = f"http://127.0.0.1:{DEV_SANDBOX_PORT}{SANDBOX_PATH}"
# VietQR payee of the development setup: a made-up account at BIDV (BIN 970418).
DEV_VIETQR_BANK_BIN = "970418"
DEV_VIETQR_ACCOUNT = "0000000000"
DEV_VIETQR_ACCOUNT_NAME = "TINHSO THU PHI THU NGHIEM"


def is_production() -> bool:
    return bool(getattr(settings, "PRODUCTION", False))


def _value(name: str, dev_default: str) -> str:
    """A Django setting of the same name wins; then the environment; the development default
    only outside production (``env_str`` without a default raises a clear error there)."""
    explicit: Any = getattr(settings, name, None)
    if explicit:
        return str(explicit)
    if is_production():
        return env_str(name)
    return env_str(name, dev_default)


def tmn_code() -> str:
    value = _value("TINHSO_VNPAY_TMN_CODE", DEV_TMN_CODE)
    if not value.isalnum() or len(value) > 20:
        raise ImproperlyConfigured(
            f"TINHSO_VNPAY_TMN_CODE={value!r} must be the alphanumeric terminal code from VNPAY."
        )
    return value


def hash_secret() -> str:
    value = _value("TINHSO_VNPAY_HASH_SECRET", DEV_HASH_SECRET)
    if len(value) < 16:
        raise ImproperlyConfigured("TINHSO_VNPAY_HASH_SECRET must be at least 16 characters.")
    if is_production() and value == DEV_HASH_SECRET:
        raise ImproperlyConfigured(
            "TINHSO_VNPAY_HASH_SECRET is the public development secret; set the real one."
        )
    return value


def gateway_url() -> str:
    """Where citizens are sent to pay: the local sandbox by default, VNPAY's in production."""
    value = _value("TINHSO_VNPAY_URL", DEV_VNPAY_URL)
    if not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"TINHSO_VNPAY_URL={value!r} must be an http(s) URL.")
    return value


def public_url() -> str:
    """Base URL of this tinhso server as the citizen's browser and the gateway reach it."""
    value: Any = getattr(settings, "TINHSO_PUBLIC_URL", None) or env_str(
        "TINHSO_PUBLIC_URL", "http://127.0.0.1:8000"
    )
    return str(value).rstrip("/")


def expire_minutes() -> int:
    """Lifetime of a payment URL (vnp_ExpireDate); VNPAY's own pages default to 15 minutes."""
    value: Any = getattr(settings, "TINHSO_VNPAY_EXPIRE_MINUTES", None)
    minutes = int(value) if value else env_int("TINHSO_VNPAY_EXPIRE_MINUTES", 15)
    if not 1 <= minutes <= 24 * 60:
        raise ImproperlyConfigured("TINHSO_VNPAY_EXPIRE_MINUTES must be between 1 and 1440.")
    return minutes


def vietqr_payee() -> tuple[str, str, str]:
    """(bank BIN, account number, account name) that receives counter bank transfers."""
    bin_ = _value("TINHSO_VIETQR_BANK_BIN", DEV_VIETQR_BANK_BIN)
    account = _value("TINHSO_VIETQR_ACCOUNT", DEV_VIETQR_ACCOUNT)
    name = _value("TINHSO_VIETQR_ACCOUNT_NAME", DEV_VIETQR_ACCOUNT_NAME)
    if not (bin_.isdigit() and len(bin_) == 6):
        raise ImproperlyConfigured(f"TINHSO_VIETQR_BANK_BIN={bin_!r} must be a 6-digit bank BIN.")
    if not (account.isalnum() and len(account) <= 19):
        raise ImproperlyConfigured(
            f"TINHSO_VIETQR_ACCOUNT={account!r} must be an account number of ≤19 characters."
        )
    return bin_, account, name


def api_url() -> str:
    """VNPAY's merchant web API (querydr, refund). Default: the payment URL's host with VNPAY's
    API path, so the sandbox answers in development; set it explicitly in production."""
    from urllib.parse import urlsplit

    from tinhso.payments.vnpay_api import API_PATH

    parts = urlsplit(gateway_url())
    value = _value("TINHSO_VNPAY_API_URL", f"{parts.scheme}://{parts.netloc}{API_PATH}")
    if not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"TINHSO_VNPAY_API_URL={value!r} must be an http(s) URL.")
    return value


def api_timeout() -> float:
    """Seconds to wait for the merchant web API before giving up (the query is retried later)."""
    value: Any = getattr(settings, "TINHSO_VNPAY_API_TIMEOUT", None)
    seconds = float(value) if value else float(env_int("TINHSO_VNPAY_API_TIMEOUT", 10))
    if not 0 < seconds <= 120:
        raise ImproperlyConfigured("TINHSO_VNPAY_API_TIMEOUT must be between 1 and 120 seconds.")
    return seconds


def query_grace_minutes() -> int:
    """How long after an attempt expires its IPN may still come before the gateway is asked."""
    value: Any = getattr(settings, "TINHSO_VNPAY_QUERY_GRACE_MINUTES", None)
    minutes = int(value) if value is not None else env_int("TINHSO_VNPAY_QUERY_GRACE_MINUTES", 5)
    if not 0 <= minutes <= 24 * 60:
        raise ImproperlyConfigured("TINHSO_VNPAY_QUERY_GRACE_MINUTES must be 0–1440.")
    return minutes
