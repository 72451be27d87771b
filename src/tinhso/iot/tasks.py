"""Periodic work of the IoT app: plain functions (also run by ``tinhso iot evaluate|
check-offline|maintain``) and their Huey schedules below. They only call services."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tinhso.iot import alarms, partitions, retries
from tinhso.iot.models import Parcel


def evaluate_alarms() -> dict[str, int]:
    """Every parcel with an active device: raise, refresh or clear its threshold alarms."""
    total = {"parcels": 0, "raised": 0, "cleared": 0}
    parcels = Parcel.objects.filter(devices__is_active=True).distinct().select_related("farm")
    for parcel in parcels.iterator():
        stats = alarms.evaluate_parcel(parcel)
        total["parcels"] += 1
        total["raised"] += stats["raised"]
        total["cleared"] += stats["cleared"]
    return total


def check_offline() -> dict[str, int]:
    """Devices silent longer than the offline rule's duration: raise/clear their alarms."""
    return alarms.evaluate_offline()


def maintain(*, retention_days: int | None = None) -> dict[str, object]:
    """Create the coming months' partitions (PostgreSQL) and drop raw readings past retention."""
    days = settings.TINHSO_IOT_RETENTION_DAYS if retention_days is None else retention_days
    created = partitions.ensure_partitions(months_ahead=2)
    removed = partitions.apply_retention(days=days) if days > 0 else 0
    forgotten = retries.purge(timezone.now())
    return {"partitions_created": created, "readings_removed": removed,
            "retry_digests_removed": forgotten}


# --- Scheduled by the job system (Huey) -------------------------------------------------------


@db_periodic_task(crontab(minute="*/10"))
def evaluate_alarms_periodically() -> None:
    evaluate_alarms()


@db_periodic_task(crontab(minute="*/5"))
def check_offline_periodically() -> None:
    check_offline()


@db_periodic_task(crontab(hour="2", minute="40"))
def maintain_daily() -> None:
    maintain()
