"""Publishing the outbox to NATS JetStream (consumer "jetstream", only with TINHSO_NATS_URL).

- one stream per event family: ``TINHSO_DOSSIER`` (subjects ``tinhso.dossier.>``),
  ``TINHSO_PAYMENT``, ``TINHSO_DOCUMENT``, ``TINHSO_CERTIFICATE``, ``TINHSO_FEEDBACK``, created
  when missing (file storage, a de-duplication window of one hour);
- subject ``tinhso.{type}.{agency_id or 0}``, e.g. ``tinhso.dossier.received.12``: an agency's
  durable consumer filters ``tinhso.dossier.*.12`` to read only its own records;
- header ``Nats-Msg-Id`` = the event's id: the server drops a second publish of the same event
  inside the window (a worker killed after the publish and before the cursor moved);
- body = the webhook envelope plus the id: ``{"id", "type", "timestamp", "data"}``.

The handler returns only when the server has acknowledged (stored) the message; it runs in the
transaction that moves the consumer's cursor, so the cursor never passes an event that is not
in the stream: nothing is lost across a crash or restart. nats-py is asynchronous: one event
loop per process runs in a daemon thread and the handler waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Coroutine
from typing import Any

from tinhso.outbox.catalog import EVENT_TYPES
from tinhso.outbox.models import OutboxEvent
from tinhso.webhooks import conf

NAME = "jetstream"
DUPLICATE_WINDOW_SECONDS = 3600


class PublishFailed(RuntimeError):
    """No acknowledgement from JetStream: the event is published again on a later run."""


def families() -> list[str]:
    return sorted({t.aggregate_type for t in EVENT_TYPES.values()})


def stream_name(family: str, prefix: str | None = None) -> str:
    return f"{prefix or conf.nats_prefix()}_{family.upper()}"


def subject_for(event_type: str, agency_id: int | None, prefix: str | None = None) -> str:
    return f"{(prefix or conf.nats_prefix()).lower()}.{event_type}.{agency_id or 0}"


def body_for(event: OutboxEvent) -> bytes:
    return json.dumps({"id": str(event.event_id), "type": event.type,
                       "timestamp": event.occurred_at.isoformat(), "data": event.payload},
                      ensure_ascii=False, separators=(",", ":")).encode()


class Bridge:
    """One NATS connection and its event loop (a daemon thread) for synchronous callers."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="nats-bridge",
                                        daemon=True)
        self._thread.start()
        self.nc: Any = None
        self.js: Any = None

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise

    async def _connect(self) -> None:
        import nats

        if self.nc is not None and self.nc.is_connected:
            return
        if self.nc is not None:
            with contextlib.suppress(Exception):  # a broken connection is replaced anyway
                await self.nc.close()
        self.nc = await nats.connect(self.url, connect_timeout=conf.nats_timeout(),
                                     max_reconnect_attempts=2, allow_reconnect=True)
        self.js = self.nc.jetstream(timeout=conf.nats_timeout())
        await self._ensure_streams()

    async def _ensure_streams(self) -> None:
        from nats.js.api import StorageType, StreamConfig
        from nats.js.errors import NotFoundError

        for family in families():
            name = stream_name(family, self.prefix)
            try:
                await self.js.stream_info(name)
            except NotFoundError:
                await self.js.add_stream(StreamConfig(
                    name=name, subjects=[f"{self.prefix.lower()}.{family}.>"],
                    storage=StorageType.FILE, duplicate_window=DUPLICATE_WINDOW_SECONDS))

    async def _publish(self, subject: str, body: bytes, msg_id: str, stream: str) -> bool:
        await self._connect()
        ack = await self.js.publish(subject, body, stream=stream,
                                    headers={"Nats-Msg-Id": msg_id},
                                    timeout=conf.nats_timeout())
        return bool(ack.duplicate)

    def publish(self, event: OutboxEvent) -> bool:
        """Publish and wait for the acknowledgement; True when the server saw a duplicate."""
        family = event.type.split(".", 1)[0]
        try:
            return bool(self.run(
                self._publish(subject_for(event.type, event.agency_id, self.prefix),
                              body_for(event), str(event.event_id),
                              stream_name(family, self.prefix)),
                timeout=conf.nats_timeout() * 3))
        except Exception as exc:
            raise PublishFailed(f"JetStream did not acknowledge event {event.event_id}: "
                                f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        if self.nc is not None:
            with contextlib.suppress(Exception):
                self.run(self.nc.close(), timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)


_bridges: dict[tuple[str, str], Bridge] = {}
_lock = threading.Lock()


def bridge() -> Bridge:
    key = (conf.nats_url(), conf.nats_prefix())
    with _lock:
        b = _bridges.get(key)
        if b is None:
            b = _bridges[key] = Bridge(*key)
        return b


def close_all() -> None:
    with _lock:
        for b in _bridges.values():
            b.close()
        _bridges.clear()


def handle(event: OutboxEvent) -> None:
    bridge().publish(event)
