"""Who may operate the LGSP registry: province admins, superusers, and holders of the Django
permission ``lgsp.operate_lgsp`` (a province may delegate it without full admin rights)."""

from __future__ import annotations

from typing import Any

from tinhso.core.errors import PermissionDenied


def can_operate(user: Any) -> bool:
    if user is None:  # the operator's shell (``tinhso lgsp …``)
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or getattr(user, "is_province_admin", False):
        return True
    return bool(user.has_perm("lgsp.operate_lgsp"))


def require_operator(user: Any) -> None:
    if not can_operate(user):
        raise PermissionDenied({"required": "lgsp_operator"})
