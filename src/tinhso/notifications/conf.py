"""Notification settings (read at call time so tests can override them)."""

from __future__ import annotations

from django.conf import settings


def sms_url() -> str:
    return str(getattr(settings, "TINHSO_SMS_URL", "") or "").rstrip("/")


def sms_token() -> str:
    return str(getattr(settings, "TINHSO_SMS_TOKEN", "") or "")


def sms_timeout() -> float:
    return float(getattr(settings, "TINHSO_SMS_TIMEOUT", 10))


def sms_sender() -> str:
    return str(getattr(settings, "TINHSO_SMS_SENDER", "TINHSO"))


def max_attempts() -> int:
    return max(int(getattr(settings, "TINHSO_NOTIFY_MAX_ATTEMPTS", 5)), 1)


def enabled() -> bool:
    return bool(getattr(settings, "TINHSO_NOTIFICATIONS", True))


def supplement_days() -> int:
    return int(getattr(settings, "TINHSO_SUPPLEMENT_DAYS", 10))


def reminder_days() -> int:
    return int(getattr(settings, "TINHSO_REMINDER_DAYS", 1))


def public_url() -> str:
    return str(settings.TINHSO_PUBLIC_URL).rstrip("/")


# How long one attempt may hold a delivery before another worker may take it over.
CLAIM_SECONDS = 120
