"""Errors of the IoT app: stable codes, Vietnamese and English messages."""

from __future__ import annotations

from typing import Any

from tinhso.core.errors import DomainError


class BadPayload(DomainError):
    """A telemetry message that cannot be stored as a whole (nothing of it is stored)."""

    status = 400

    def __init__(self, code: str, vi: str, en: str, details: Any = None) -> None:
        super().__init__(code, vi, en, details)


class UnknownDevice(DomainError):
    status = 401

    def __init__(self) -> None:
        super().__init__("IOT_UNKNOWN_TOKEN", "Mã truy cập thiết bị không hợp lệ.",
                         "The device access token is not valid.")
