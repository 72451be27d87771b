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


# --- Remote signing over the Cloud Signature Consortium API (csc.py, csc_sandbox.py) --------

# Development only: the local CSC sandbox accepts this access token, and the "csc" backend sends
# it when TINHSO_CSC_TOKEN is unset. Production must set a real token (and a real URL).
DEV_CSC_TOKEN = "tinhso-csc-sandbox-token-not-for-production"
CSC_SANDBOX_PATH = "/sandbox"  # + /csc/v2/<method>


def _csc_value(name: str, dev_default: str) -> str:
    """A Django setting wins, then the environment (``_FILE`` too); the development default
    only outside production (``env_str`` without a default raises a clear error there)."""
    explicit = getattr(settings, name, None)
    if explicit:
        return str(explicit)
    if getattr(settings, "PRODUCTION", False):
        return env_str(name)
    return env_str(name, dev_default)


def csc_base_url() -> str:
    """Base URL of the CSC service; ``/csc/v2/...`` is appended. Default: the local sandbox."""
    value = _csc_value("TINHSO_CSC_URL", public_url() + CSC_SANDBOX_PATH).rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"TINHSO_CSC_URL={value!r} must be an http(s) URL.")
    return value


def csc_token() -> str:
    """OAuth2 bearer access token the platform presents to the CSC service."""
    value = _csc_value("TINHSO_CSC_TOKEN", DEV_CSC_TOKEN)
    if getattr(settings, "PRODUCTION", False) and value == DEV_CSC_TOKEN:
        raise ImproperlyConfigured("TINHSO_CSC_TOKEN is the public development token.")
    return value


def _seconds(name: str, default: float) -> float:
    raw = getattr(settings, name, None) or env_str(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number of seconds.") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be positive.")
    return value


def csc_timeout() -> float:
    """Seconds to wait for credentials/info and signatures/signHash."""
    return _seconds("TINHSO_CSC_TIMEOUT", 10.0)


def csc_authorize_timeout() -> float:
    """Seconds to wait for credentials/authorize: a real service answers only after the holder
    confirmed on the phone (SIM signing) or typed the OTP, which takes a minute or two."""
    return _seconds("TINHSO_CSC_AUTHORIZE_TIMEOUT", 180.0)


def csc_sandbox_enabled() -> bool:
    return bool(getattr(settings, "TINHSO_CSC_SANDBOX", False))


def csc_sandbox_token() -> str:
    """The access token the local sandbox accepts (it plays the service, so it has its own)."""
    return str(getattr(settings, "TINHSO_CSC_SANDBOX_TOKEN", None)
               or env_str("TINHSO_CSC_SANDBOX_TOKEN", DEV_CSC_TOKEN))
