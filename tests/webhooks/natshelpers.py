"""Helpers for the tests against the real NATS server (nats://127.0.0.1:4222 here and in CI)."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from typing import Any

import pytest

NATS_URL = os.environ.get("TINHSO_TEST_NATS_URL", "nats://127.0.0.1:4222")


def require_nats() -> str:
    host, port = NATS_URL.rsplit("//", 1)[1].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"NATS must be reachable in CI at {NATS_URL}: {exc}")
        pytest.skip(f"no NATS at {NATS_URL}: {exc}")
    return NATS_URL


def unique_prefix() -> str:
    """Streams of one test run only (the server is shared)."""
    return "T" + secrets.token_hex(4).upper()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _messages(url: str, stream: str, subject: str) -> list[Any]:
    import nats
    from nats.errors import TimeoutError as NatsTimeout

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        # A durable pull consumer, as a subscriber would create one (docs/lgsp.md).
        sub = await js.pull_subscribe(subject, durable="test-reader", stream=stream)
        out: list[Any] = []
        while True:
            try:
                batch = await sub.fetch(100, timeout=1)
            except (TimeoutError, NatsTimeout):
                break
            for m in batch:
                await m.ack()
            out.extend(batch)
        return out
    finally:
        await nc.close()


def messages(url: str, stream: str, subject: str) -> list[Any]:
    return run(_messages(url, stream, subject))


async def _stream_count(url: str, stream: str) -> int:
    import nats

    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(stream)
        return int(info.state.messages)
    finally:
        await nc.close()


def stream_count(url: str, stream: str) -> int:
    return int(run(_stream_count(url, stream)))


async def _delete_streams(url: str, prefix: str) -> None:
    import nats

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for name in await js.streams_info():
            if name.config.name.startswith(prefix + "_"):
                await js.delete_stream(name.config.name)
    finally:
        await nc.close()


def delete_streams(url: str, prefix: str) -> None:
    run(_delete_streams(url, prefix))
