"""Telemetry payloads in ThingsBoard's device forms, checked strictly.

Accepted (UTF-8 JSON): ``{"ts": 1700000000000, "values": {"k": 1.5}}``, a flat ``{"k": 1.5}``
(timestamped on receipt), or a list mixing both. Values are numbers (booleans become 0/1);
a message with anything else is rejected whole, with a reason, so a device never half-reports.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from tinhso.iot.errors import BadPayload

KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")
MAX_BYTES = 256 * 1024
MAX_POINTS = 10_000
MIN_TS_MS = 946_684_800_000  # 2000-01-01: older clocks are unset device clocks
FUTURE_SLACK_MS = 24 * 3600 * 1000

Point = tuple[int, str, float]  # (ts in ms since the epoch, key, value)


def _bad(code: str, vi: str, en: str, **details: Any) -> BadPayload:
    return BadPayload(code, vi, en, details)


def _values(obj: dict[str, Any], ts: int, out: list[Point]) -> None:
    for key, raw in obj.items():
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise _bad("IOT_BAD_KEY", f"Tên khoá không hợp lệ: {str(key)[:50]!r}.",
                       f"Invalid key name: {str(key)[:50]!r}.", key=str(key)[:50])
        if isinstance(raw, bool):
            value = 1.0 if raw else 0.0
        elif isinstance(raw, int | float):
            value = float(raw)
            if not math.isfinite(value):
                raise _bad("IOT_BAD_VALUE", f"Giá trị của «{key}» không hữu hạn.",
                           f"The value of {key!r} is not finite.", key=key)
        else:
            raise _bad("IOT_BAD_VALUE", f"Giá trị của «{key}» phải là số.",
                       f"The value of {key!r} must be a number.", key=key)
        out.append((ts, key, value))
        if len(out) > MAX_POINTS:
            raise _bad("IOT_TOO_MANY_POINTS", f"Quá {MAX_POINTS} giá trị trong một gói tin.",
                       f"More than {MAX_POINTS} values in one message.")


def _entry(item: Any, now_ms: int, out: list[Point]) -> bool:
    """Add the entry's points; True when it had no ``ts`` (stamped on receipt)."""
    if not isinstance(item, dict) or not item:
        raise _bad("IOT_BAD_SHAPE", "Mỗi phần tử phải là một đối tượng JSON có giá trị.",
                   "Each entry must be a non-empty JSON object.")
    if "ts" in item or "values" in item:
        ts, values = item.get("ts"), item.get("values")
        if set(item) != {"ts", "values"} or not isinstance(values, dict) or not values:
            raise _bad("IOT_BAD_SHAPE", "Dạng có thời điểm phải là {\"ts\": ms, \"values\": {…}}.",
                       'The timestamped form is {"ts": ms, "values": {…}}.')
        if isinstance(ts, bool) or not isinstance(ts, int):
            raise _bad("IOT_BAD_TS", "«ts» phải là số nguyên mili giây.",
                       "'ts' must be an integer number of milliseconds.")
        if ts < MIN_TS_MS or ts > now_ms + FUTURE_SLACK_MS:
            raise _bad("IOT_BAD_TS", "Thời điểm «ts» nằm ngoài khoảng cho phép (đồng hồ sai?).",
                       "'ts' is out of range (wrong device clock?).", ts=ts)
        _values(values, ts, out)
        return False
    _values(item, now_ms, out)
    return True


def parse(raw: bytes | bytearray, *, now_ms: int) -> list[Point]:
    """The points of one message, or ``BadPayload`` naming why none is stored."""
    return parse_message(raw, now_ms=now_ms)[0]


def parse_message(raw: bytes | bytearray, *, now_ms: int) -> tuple[list[Point], bool]:
    """``parse`` that also says whether some entry had no ``ts`` (so a retry of the message
    would not be recognised by its timestamps)."""
    if len(raw) > MAX_BYTES:
        raise _bad("IOT_TOO_LARGE", f"Gói tin quá lớn (tối đa {MAX_BYTES} byte).",
                   f"The message is too large (at most {MAX_BYTES} bytes).")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad("IOT_BAD_JSON", "Nội dung không phải JSON hợp lệ.",
                   "The message is not valid JSON.", error=str(exc)[:120]) from exc
    out: list[Point] = []
    untimed = False
    for item in data if isinstance(data, list) else [data]:
        untimed = _entry(item, now_ms, out) or untimed
    if not out:
        raise _bad("IOT_EMPTY", "Gói tin không có giá trị nào.", "The message holds no values.")
    return out, untimed
