"""Who may do what with farms, devices and alarms.

Manage (add farms, parcels, devices; revoke; acknowledge alarms): province admins and the
commune's agricultural officers. See: those, IOC viewers (the whole province), and a farm's own
owner. Everything else looks like a missing record (404), so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from tinhso.accounts.models import Role
from tinhso.accounts.permissions import is_active_official, is_province_admin
from tinhso.core.errors import NotFound
from tinhso.iot.models import AgriOfficer, Farm


def officer_commune_ids(user: Any) -> set[int]:
    if not is_active_official(user):
        return set()
    return set(AgriOfficer.objects.filter(user=user).values_list("commune_id", flat=True))


def sees_all(user: Any) -> bool:
    return is_province_admin(user) or (is_active_official(user) and user.has_role(Role.IOC_VIEWER))


def visible_farms(user: Any) -> QuerySet[Farm]:
    if sees_all(user):
        return Farm.objects.all()
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Farm.objects.none()
    return Farm.objects.filter(Q(owner=user) | Q(commune_id__in=officer_commune_ids(user)))


def can_manage_commune(user: Any, commune_id: int) -> bool:
    """``user=None`` is the operator's command line (trusted, like Django's admin commands)."""
    return user is None or is_province_admin(user) or commune_id in officer_commune_ids(user)


def require_manage(user: Any, commune_id: int, what_vi: str, what_en: str) -> None:
    if not can_manage_commune(user, commune_id):
        raise NotFound(f"Không tìm thấy {what_vi}.", f"{what_en} not found.")
