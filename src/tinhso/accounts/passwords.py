"""Password rules beyond Django's defaults (ASVS V2.1.1).

Officials (and staff accounts of the admin) hold the keys to other people's records: their
passwords must have at least 12 characters. Citizens keep Django's minimum (8) because they
usually sign in through the national identity provider (OIDC) and a longer rule there mostly
produces reset requests at the one-stop desk.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from tinhso.core.errors import ValidationFailed

OFFICIAL_MIN_LENGTH = 12


def needs_long_password(user: Any) -> bool:
    return bool(user is not None and (getattr(user, "kind", "") == "official"
                                      or getattr(user, "is_staff", False)
                                      or getattr(user, "is_superuser", False)))


def too_short_error(length: int) -> ValidationFailed:
    return ValidationFailed(
        "PASSWORD_TOO_SHORT",
        f"Mật khẩu của cán bộ, công chức phải có ít nhất {OFFICIAL_MIN_LENGTH} ký tự "
        f"(mật khẩu này có {length}).",
        f"An official's password must have at least {OFFICIAL_MIN_LENGTH} characters "
        f"(this one has {length}).",
        {"field": "password", "min_length": OFFICIAL_MIN_LENGTH},
    )


def check_official_length(password: str, user: Any) -> None:
    """Raise ``PASSWORD_TOO_SHORT`` for an official's password under 12 characters."""
    if needs_long_password(user) and len(password) < OFFICIAL_MIN_LENGTH:
        raise too_short_error(len(password))


class OfficialMinimumLengthValidator:
    """The same rule for Django's own paths (admin password forms, ``changepassword``)."""

    def validate(self, password: str, user: Any = None) -> None:
        try:
            check_official_length(password, user)
        except ValidationFailed as exc:
            raise ValidationError(f"{exc.message_vi} / {exc.message_en}",
                                  code="password_too_short") from exc

    def get_help_text(self) -> str:
        return (f"Cán bộ, công chức: ít nhất {OFFICIAL_MIN_LENGTH} ký tự. "
                f"Officials: at least {OFFICIAL_MIN_LENGTH} characters.")
