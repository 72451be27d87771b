"""Writes of the IoT app: keyword-only arguments, an acting user (``None`` = the operator's
command line), one transaction each; bad input changes nothing.

Broker side effects (creating/deleting a device's MQTT client) run after the commit: the
database is the truth, ``Device.broker_synced`` says whether the broker has caught up, and
``tinhso iot sync-broker`` repairs what a broker outage left behind.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.core.errors import ValidationFailed
from tinhso.core.text import nfc
from tinhso.iot import broker, ingest, payloads, retries
from tinhso.iot.errors import BadPayload, UnknownDevice
from tinhso.iot.models import Crop, Device, Farm, OwnerKind, Parcel, Stage
from tinhso.iot.permissions import require_manage
from tinhso.iot.tokens import PREFIX_LEN, device_for_token, new_token, token_hash
from tinhso.units.models import AdminUnit, Level

log = logging.getLogger(__name__)


def _invalid(field: str, vi: str, en: str) -> ValidationFailed:
    return ValidationFailed("INVALID_FIELD", vi, en, {"field": field})


def _name(value: Any, field: str) -> str:
    cleaned = nfc(value if isinstance(value, str) else "").strip()
    if not cleaned or len(cleaned) > 200:
        raise _invalid(field, f"«{field}» không được trống, tối đa 200 ký tự.",
                       f"{field!r} must be non-empty, at most 200 characters.")
    return cleaned


def _choice(value: str, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise _invalid(field, f"«{field}» phải là một trong: {', '.join(choices.values)}.",
                       f"{field!r} must be one of: {', '.join(choices.values)}.")
    return value


def farm_add(*, acting_user: Any, name: str, owner_kind: str, owner_name: str,
             commune: AdminUnit, owner: Any = None) -> Farm:
    if commune.level not in (Level.COMMUNE,):
        raise _invalid("commune", "Trang trại phải thuộc một xã, phường.",
                       "A farm belongs to a commune-level unit.")
    require_manage(acting_user, commune.pk, "xã", "Commune")
    with transaction.atomic():
        return Farm.objects.create(
            name=_name(name, "name"), owner_kind=_choice(owner_kind, OwnerKind, "owner_kind"),
            owner_name=_name(owner_name, "owner_name"), commune=commune, owner=owner)


def parcel_add(*, acting_user: Any, farm: Farm, name: str, area_ha: Any, crop: str,
               variety: str = "", planting_year: int | None = None,
               stage: str = Stage.VEGETATIVE, latitude: float | None = None,
               longitude: float | None = None) -> Parcel:
    require_manage(acting_user, farm.commune_id, "trang trại", "Farm")
    try:
        area = Decimal(str(area_ha))
    except InvalidOperation:
        area = Decimal(-1)
    if not area.is_finite() or area <= 0 or area > 100_000:
        raise _invalid("area_ha", "Diện tích phải là số dương (ha).",
                       "The area must be a positive number of hectares.")
    this_year = timezone.localdate().year
    if planting_year is not None and not 1900 <= planting_year <= this_year:
        raise _invalid("planting_year", "Năm trồng không hợp lệ.", "Invalid planting year.")
    if (latitude is None) != (longitude is None) or (
            latitude is not None
            and not (-90 <= latitude <= 90 and -180 <= cast(float, longitude) <= 180)):
        raise _invalid("location", "Toạ độ không hợp lệ.", "Invalid coordinates.")
    with transaction.atomic():
        return Parcel.objects.create(
            farm=farm, name=_name(name, "name"), area_ha=area,
            crop=_choice(crop, Crop, "crop"), variety=nfc(variety or "").strip()[:100],
            planting_year=planting_year, stage=_choice(stage, Stage, "stage"),
            latitude=latitude, longitude=longitude)


def parcel_set_stage(*, acting_user: Any, parcel: Parcel, stage: str) -> Parcel:
    require_manage(acting_user, parcel.farm.commune_id, "thửa đất", "Parcel")
    with transaction.atomic():
        parcel.stage = _choice(stage, Stage, "stage")
        parcel.save(update_fields=["stage"])
    return parcel


def _push_device(device_id: int, username: str, token: str) -> bool:
    try:
        with broker.Dynsec() as dynsec:
            dynsec.put_device(username, token)
    except (broker.BrokerError, OSError) as exc:
        log.warning("broker not updated for %s: %s", username, exc)
        return False
    return Device.objects.filter(pk=device_id, is_active=True).update(broker_synced=True) == 1


def device_push_to_broker(*, device: Device, token: str) -> bool:
    """Give the broker a device's current token now (the token is only known right after
    ``device_add``/``device_rotate_token``); True when the broker took it."""
    if Device.objects.filter(pk=device.pk, token_hash=token_hash(token),
                             is_active=True).exists():
        return _push_device(device.pk, device.mqtt_username, token)
    return False


def device_add(*, acting_user: Any, parcel: Parcel, name: str,
               push_to_broker: bool = True) -> tuple[Device, str]:
    """Create a device; return it and its token (shown once, stored as a hash only).

    The broker learns the token after the commit; if it is down, the device still works over
    HTTP and ``device_rotate_token`` gives it a new token the broker learns."""
    require_manage(acting_user, parcel.farm.commune_id, "thửa đất", "Parcel")
    clean = _name(name, "name")
    for _ in range(5):  # a prefix clash (48 random bits) is retried with a new token
        token = new_token()
        try:
            with transaction.atomic():
                device = Device.objects.create(
                    parcel=parcel, name=clean, token_prefix=token[:PREFIX_LEN],
                    token_hash=token_hash(token), mqtt_username=f"dev-{token[:PREFIX_LEN]}")
                if push_to_broker:
                    transaction.on_commit(
                        partial(_push_device, device.pk, device.mqtt_username, token))
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - 2^-48 five times
        raise RuntimeError("could not draw a unique device token")
    device.refresh_from_db()
    return device, token


def device_rotate_token(*, acting_user: Any, device: Device, push_to_broker: bool = True) -> str:
    require_manage(acting_user, device.parcel.farm.commune_id, "thiết bị", "Device")
    token = new_token()
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(
            token_hash=token_hash(token), token_prefix=token[:PREFIX_LEN], broker_synced=False)
        if push_to_broker and device.is_active:
            transaction.on_commit(lambda: _push_device(device.pk, device.mqtt_username, token))
    device.refresh_from_db()
    return token


def device_revoke(*, acting_user: Any, device: Device) -> Device:
    """Revoke: refused at once by HTTP and by the ingestion service (which checks the database),
    and deleted from the broker after the commit (or by sync-broker if the broker is down)."""
    require_manage(acting_user, device.parcel.farm.commune_id, "thiết bị", "Device")
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(is_active=False, broker_synced=False,
                                                   revoked_at=timezone.now())

        def _delete() -> None:
            try:
                with broker.Dynsec() as dynsec:
                    dynsec.delete_device(device.mqtt_username)
            except (broker.BrokerError, OSError) as exc:
                log.warning("broker not updated for %s: %s", device.mqtt_username, exc)
                return
            Device.objects.filter(pk=device.pk, is_active=False).update(broker_synced=True)

        transaction.on_commit(_delete)
    device.refresh_from_db()
    return device


def broker_sync() -> dict[str, int]:
    """Delete from the broker every device client tinhso does not know as active, and the
    ingestion client's role/password; report devices the broker lacks (they need a new token:
    the broker only takes plain passwords and tinhso keeps hashes)."""
    with broker.Dynsec() as dynsec:
        dynsec.ensure_ingest_client()
        at_broker = dynsec.device_usernames()
        active = set(Device.objects.filter(is_active=True).values_list("mqtt_username",
                                                                       flat=True))
        stale = sorted(at_broker - active)
        for username in stale:
            dynsec.delete_device(username)
    Device.objects.filter(is_active=False).update(broker_synced=True)
    Device.objects.filter(mqtt_username__in=at_broker & active).update(broker_synced=True)
    missing = Device.objects.filter(is_active=True).exclude(mqtt_username__in=at_broker)
    missing.update(broker_synced=False)
    return {"deleted": len(stale), "missing": missing.count()}


def telemetry_receive(*, token: str, raw: bytes, now: dt.datetime | None = None
                      ) -> ingest.Stored:
    """The HTTP path: authenticate the token, parse, store; a bad message is counted."""
    device = device_for_token(token)
    if device is None:
        raise UnknownDevice()
    now = now or timezone.now()
    try:
        points, untimed = payloads.parse_message(raw, now_ms=int(now.timestamp() * 1000))
    except BadPayload as exc:
        ingest.count_bad_payload(device.pk, exc)
        raise
    if untimed:  # a client re-sending a timed-out POST: recognised by content (iot/retries.py)
        return ingest.store({}, received_at=now,
                            untimed=[(device.pk, retries.digest(raw), points)])
    return ingest.store({device.pk: points}, received_at=now)
