"""Retries of timestamp-less telemetry, recognised by content.

A reading with ``ts`` is exactly-once by the (device, key, ts) key. A flat ``{"k": v}`` is
stamped on receipt, so the same message delivered twice — the device re-publishing after a lost
PUBACK, the broker redelivering to a restarted ingestion process, a client retrying an HTTP POST
— would be two readings. Neither MQTT packet identifier helps: the device's is not forwarded to
subscribers (the broker numbers each delivery itself), and MQTT 3.1.1 does not pass the DUP flag
on either. What survives every hop is the payload: a device's message whose SHA-256 was already
stored less than ``TINHSO_IOT_RETRY_WINDOW_SECONDS`` ago is taken for a retry and stored nothing.

The claim is an upsert in the storing transaction, so it holds across ingestion processes
(shared subscriptions) and across a crash between commit and acknowledgement. The price: one
device sending byte-identical timestamp-less messages faster than the window loses the
repeats. Devices that report faster than that must send ``ts`` (docs/iot.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import connection

from tinhso.iot.models import RetryDigest

CLAIM = ("INSERT INTO iot_retrydigest (device_id, digest, received_at) VALUES (%s, %s, %s)"
         " ON CONFLICT (device_id, digest) DO UPDATE SET received_at = excluded.received_at"
         " WHERE iot_retrydigest.received_at < %s RETURNING device_id")


def digest(raw: bytes | bytearray) -> str:
    return hashlib.sha256(raw).hexdigest()


def window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.TINHSO_IOT_RETRY_WINDOW_SECONDS)


def claim(device_id: int, message_digest: str, now: dt.datetime) -> bool:
    """True for a first delivery (recorded now); False for a retry inside the window.
    Call it inside the transaction that stores the message's readings."""
    if window() <= dt.timedelta(0):
        return True
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(CLAIM, [device_id, message_digest, ops.adapt_datetimefield_value(now),
                               ops.adapt_datetimefield_value(now - window())])
        return cursor.fetchone() is not None


def purge(now: dt.datetime) -> int:
    """Forget digests older than the window (daily maintenance)."""
    deleted, _ = RetryDigest.objects.filter(received_at__lt=now - window()).delete()
    return deleted
