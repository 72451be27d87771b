"""Who may operate the CA and who may ask for a certificate.

CA operations (issue, renew, suspend, reinstate, revoke, import anchors) are for province
admins, superusers, and any user granted the Django permission ``signatures.operate_ca``
(the "CA operator" concept: a province may delegate CA work without full admin rights).
"""

from __future__ import annotations

from typing import Any

from tinhso.core.errors import PermissionDenied


def can_operate_ca(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or getattr(user, "is_province_admin", False):
        return True
    return bool(user.has_perm("signatures.operate_ca"))


def require_ca_operator(user: Any) -> None:
    if not can_operate_ca(user):
        raise PermissionDenied({"required": "ca_operator"})


def can_request_for(user: Any, *, holder_user: Any = None, holder_agency: Any = None) -> bool:
    """Officials ask for their own personal/SIM certificate; agency admins for their agency."""
    if can_operate_ca(user):
        return True
    if not getattr(user, "is_official", False):
        return False
    if holder_user is not None:
        return bool(holder_user.pk == user.pk)
    if holder_agency is not None:
        return bool(user.has_role("agency_admin") and user.agency_id == holder_agency.pk)
    return False
