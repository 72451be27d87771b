"""Scoped querysets of the IoT app (see tinhso.core.scoping), one rule written once: a farm and
everything on it — parcels, devices, sensors, readings, roll-ups, alarms — is seen by its owner,
the agricultural officers of its commune, IOC viewers and province admins
(``iot.permissions.visible_farms``, the same rule as a ``Q`` with a path prefix)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q

from tinhso.core.scoping import NOTHING, ScopedQuerySet, either, is_signed_in, owner_q

if TYPE_CHECKING:
    # Named in the quoted base-class parameters below, which ruff does not read as types.
    from tinhso.iot.models import Alarm, Device, Farm, Parcel  # noqa: F401

_M = TypeVar("_M", bound=Model)


def farm_q(user: Any, prefix: str = "") -> Q | None:
    from tinhso.iot.permissions import officer_commune_ids, sees_all

    if not is_signed_in(user):
        return NOTHING
    if sees_all(user):
        return None
    return (Q(**{f"{prefix}owner_id": user.pk})
            | Q(**{f"{prefix}commune_id__in": sorted(officer_commune_ids(user))}))


class _ByFarm(ScopedQuerySet[_M]):
    # Written as classes, not made by a factory, so that mypy's Django plugin can type the
    # managers ``as_manager()`` builds from them.
    prefix = ""

    def scope(self, user: Any) -> Q | None:
        return farm_q(user, self.prefix)


class FarmQuerySet(_ByFarm["Farm"]):
    prefix = ""


class ParcelQuerySet(_ByFarm["Parcel"]):
    prefix = "farm__"


class DeviceQuerySet(_ByFarm["Device"]):
    prefix = "parcel__farm__"


class DeviceChildQuerySet(_ByFarm[Any]):  # sensors, readings and roll-ups
    prefix = "device__parcel__farm__"


class AlarmQuerySet(_ByFarm["Alarm"]):
    prefix = "farm__"


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
