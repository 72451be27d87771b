"""Standard Webhooks signing (https://www.standardwebhooks.com/, spec.md), pure functions.

- secret: ``whsec_`` + base64 of 24–64 random bytes; the HMAC key is the decoded bytes;
- signed content: ``{webhook-id}.{webhook-timestamp}.{body}`` (the exact body bytes sent);
- ``webhook-signature``: space-separated ``v1,{base64(HMAC-SHA256(key, content))}``, one per
  active secret (several during a rotation's overlap: the receiver accepts any that matches).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from typing import Any

PREFIX = "whsec_"
KEY_BYTES = 32


def secret_generate() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret[len(PREFIX):], validate=True)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_header(secrets_: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets_)


def headers(secrets_: Iterable[str], msg_id: str, timestamp: int, body: bytes
            ) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets_, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def envelope(type_: str, timestamp_iso: str, data: dict[str, Any]) -> bytes:
    """The body: ``{"type", "timestamp", "data"}`` (compact JSON, UTF-8)."""
    return json.dumps({"type": type_, "timestamp": timestamp_iso, "data": data},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode()
