"""Settings of the PKI, read here (not in settings.py) through the project's typed helpers.

Every value may be set either as a Django setting (tests override it that way) or as an
environment variable; secrets may come from a file (``<NAME>_FILE``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tinhso.settings import env_str

# Only for development and tests: a production start without a real passphrase must fail.
DEV_PKI_PASSPHRASE = "tinhso-dev-pki-passphrase-not-for-production"


def pki_passphrase() -> bytes:
    """Passphrase that encrypts every private key the platform keeps (PKCS#8, at rest)."""
    value = getattr(settings, "TINHSO_PKI_PASSPHRASE", None)
    if not value:
        if getattr(settings, "PRODUCTION", False):
            value = env_str("TINHSO_PKI_PASSPHRASE")  # raises a clear error when missing
        else:
            value = env_str("TINHSO_PKI_PASSPHRASE", DEV_PKI_PASSPHRASE)
    if len(value) < 12:
        raise ImproperlyConfigured("TINHSO_PKI_PASSPHRASE must be at least 12 characters long.")
    return value.encode("utf-8")


def public_url() -> str:
    """Base URL under which CRL, OCSP and the verification page are reachable from outside."""
    value = getattr(settings, "TINHSO_PUBLIC_URL", None) or env_str(
        "TINHSO_PUBLIC_URL", "http://127.0.0.1:8000"
    )
    return value.rstrip("/")


def pkcs11_config() -> dict[str, str] | None:
    """PKCS#11 module, token label and user PIN, or None when no token is configured."""
    explicit = getattr(settings, "TINHSO_PKCS11", None)
    if explicit:
        return dict(explicit)
    module = env_str("TINHSO_PKCS11_MODULE", "")
    if not module:
        return None
    return {
        "module": module,
        "token": env_str("TINHSO_PKCS11_TOKEN", "tinhso"),
        "pin": env_str("TINHSO_PKCS11_PIN"),
    }


def crl_validity_hours() -> int:
    return int(getattr(settings, "TINHSO_CRL_VALIDITY_HOURS", 24))


def max_upload_bytes() -> int:
    return int(getattr(settings, "TINHSO_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))
