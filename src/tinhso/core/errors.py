"""Errors the user sees: a stable code, a Vietnamese and an English message, and details.

Services raise these; the API turns them into ``{"code", "message_vi", "message_en", "details"}``
with the matching HTTP status. Raising inside ``transaction.atomic`` rolls the write back, so bad
input changes nothing.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(
        self,
        code: str,
        message_vi: str,
        message_en: str,
        details: Any = None,
        *,
        status: int | None = None,
    ) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en
        self.details = details if details is not None else {}
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
            "details": self.details,
        }


class ValidationFailed(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404

    def __init__(self, what_vi: str = "Không tìm thấy", what_en: str = "Not found",
                 details: Any = None, *, code: str = "NOT_FOUND") -> None:
        super().__init__(code, what_vi, what_en, details)


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, details: Any = None) -> None:
        super().__init__(
            "FORBIDDEN",
            "Bạn không có quyền thực hiện thao tác này.",
            "You are not allowed to perform this action.",
            details,
        )


class Conflict(DomainError):
    status = 409
