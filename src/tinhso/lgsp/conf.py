"""LGSP settings, from Django settings or the environment (README, docs/lgsp.md)."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from django.conf import settings


def _get(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


def default_rate() -> str:
    """Requests per client subsystem through the gateway (``off`` disables)."""
    return _get("TINHSO_LGSP_RATE", "1200/m")


def default_timeout() -> float:
    return float(_get("TINHSO_LGSP_TIMEOUT", "30"))


def connect_timeout() -> float:
    return float(_get("TINHSO_LGSP_CONNECT_TIMEOUT", "5"))


def keep_bodies() -> bool:
    return _get("TINHSO_LGSP_KEEP_BODIES", "false").lower() in {"1", "true", "yes", "on"}


def keep_bodies_max_bytes() -> int:
    return int(_get("TINHSO_LGSP_KEEP_BODIES_MAX_BYTES", str(1024 * 1024)))


def body_key() -> bytes:
    """The Fernet key of kept bodies; derived from the Django secret key when not set."""
    path = os.environ.get("TINHSO_LGSP_BODY_KEY_FILE")
    raw = Path(path).read_text().strip() if path else _get("TINHSO_LGSP_BODY_KEY", "")
    if raw:
        return raw.encode()
    digest = hashlib.sha256(b"tinhso-lgsp-body:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def client_cert_header() -> str | None:
    """The WSGI key of the client certificate header the reverse proxy sets (mTLS).

    Only believed behind a trusted proxy (TINHSO_TRUSTED_PROXY), which must always overwrite it.
    """
    if not getattr(settings, "TINHSO_TRUSTED_PROXY", ""):
        return None
    name = _get("TINHSO_LGSP_CLIENT_CERT_HEADER", "X-SSL-Client-Cert")
    return "HTTP_" + name.upper().replace("-", "_")


def archive_dir() -> str:
    return _get("TINHSO_LGSP_ARCHIVE_DIR", os.path.join(str(settings.VAR_DIR), "lgsp"))


def sth_seconds() -> float:
    """How often ``tinhso serve`` signs the log's tree head (0: never; use ``sign-head``)."""
    return float(_get("TINHSO_LGSP_STH_SECONDS", "300"))
