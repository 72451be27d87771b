"""Settings of outgoing events (README, docs/lgsp.md): read from Django settings."""

from __future__ import annotations

import base64
import hashlib

from django.conf import settings


def nats_url() -> str:
    return str(getattr(settings, "TINHSO_NATS_URL", "") or "")


def timeout() -> float:
    return float(getattr(settings, "TINHSO_WEBHOOK_TIMEOUT", 15))


def disable_after_seconds() -> float:
    """A subscription failing without a single success for this long is switched off."""
    return float(getattr(settings, "TINHSO_WEBHOOK_DISABLE_AFTER_HOURS", 120)) * 3600


def secret_overlap_seconds() -> float:
    """After a rotation, the old secret still signs (beside the new one) for this long."""
    return float(getattr(settings, "TINHSO_WEBHOOK_SECRET_OVERLAP_HOURS", 24)) * 3600



def secret_key() -> bytes:
    """Fernet key of the stored webhook secrets, derived from the Django secret key."""
    digest = hashlib.sha256(b"tinhso-webhook-secret:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def nats_prefix() -> str:
    """Stream names are ``{PREFIX}_{FAMILY}``, subjects ``{prefix}.{type}.{agency}``."""
    return str(getattr(settings, "TINHSO_NATS_PREFIX", "TINHSO") or "TINHSO")


def nats_timeout() -> float:
    return float(getattr(settings, "TINHSO_NATS_TIMEOUT", 5))
