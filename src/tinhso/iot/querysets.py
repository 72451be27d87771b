"""Scoped querysets of the IoT app (see tinhso.core.scoping), one rule written once: a farm and
everything on it — parcels, devices, sensors, readings, roll-ups, alarms — is seen by its owner,
the agricultural officers of its commune, IOC viewers and province admins
(``iot.permissions.visible_farms``, the same rule as a ``Q`` with a path prefix)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tinhso.core.scoping import NOTHING, ScopedQuerySet, either, is_signed_in, owner_q


def farm_q(user: Any, prefix: str = "") -> Q | None:
    from tinhso.iot.permissions import officer_commune_ids, sees_all

    if not is_signed_in(user):
        return NOTHING
    if sees_all(user):
        return None
    return (Q(**{f"{prefix}owner_id": user.pk})
            | Q(**{f"{prefix}commune_id__in": sorted(officer_commune_ids(user))}))


def _by_farm(prefix: str) -> type[ScopedQuerySet[Any]]:
    class ByFarm(ScopedQuerySet[Any]):
        def scope(self, user: Any) -> Q | None:
            return farm_q(user, prefix)

    ByFarm.__name__ = ByFarm.__qualname__ = f"ByFarm_{prefix.strip('_') or 'farm'}"
    return ByFarm


FarmQuerySet = _by_farm("")
ParcelQuerySet = _by_farm("farm__")
DeviceQuerySet = _by_farm("parcel__farm__")
DeviceChildQuerySet = _by_farm("device__parcel__farm__")
AlarmQuerySet = _by_farm("farm__")


class AlarmNoticeQuerySet(ScopedQuerySet[Any]):
    """A notice: its recipient, and whoever sees the alarm's farm."""

    def scope(self, user: Any) -> Q | None:
        return either(owner_q(user, "recipient_id"), farm_q(user, "alarm__farm__"))


class AgriOfficerQuerySet(ScopedQuerySet[Any]):
    """Who is agricultural officer where: the officer, and province admins."""

    def scope(self, user: Any) -> Q | None:
        from tinhso.accounts.permissions import is_province_admin

        if is_signed_in(user) and is_province_admin(user):
            return None
        return owner_q(user, "user_id")
