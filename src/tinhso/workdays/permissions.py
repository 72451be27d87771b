"""Who may edit the working-day calendar: province admins only (issue 2)."""

from __future__ import annotations

from typing import Any

from tinhso.accounts.permissions import is_province_admin
from tinhso.core.errors import PermissionDenied


def can_edit_calendar(user: Any) -> bool:
    # The calendar binds every agency's deadlines in the province, so no agency-level role
    # (not even an agency admin) may change it.
    return is_province_admin(user)


def require_calendar_editor(user: Any) -> None:
    if not can_edit_calendar(user):
        raise PermissionDenied({"required_roles": ["province_admin"]})
