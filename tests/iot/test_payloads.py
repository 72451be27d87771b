"""ThingsBoard's three payload forms are accepted; anything else is rejected with a reason."""

from __future__ import annotations

import json

import pytest

from tinhso.iot.errors import BadPayload
from tinhso.iot.payloads import parse

NOW = 1_765_000_000_000


def test_timestamped_flat_and_list_forms():
    assert parse(b'{"ts": 1765000000001, "values": {"rain": 2, "leaf": true}}', now_ms=NOW) == [
        (1765000000001, "rain", 2.0), (1765000000001, "leaf", 1.0)]
    assert parse(b'{"air_temperature": 27.5}', now_ms=NOW) == [(NOW, "air_temperature", 27.5)]
    mixed = json.dumps([{"ts": NOW - 5, "values": {"a": 1}}, {"b": 2.5}]).encode()
    assert parse(mixed, now_ms=NOW) == [(NOW - 5, "a", 1.0), (NOW, "b", 2.5)]


@pytest.mark.parametrize(("raw", "code"), [
    (b"{not json", "IOT_BAD_JSON"),
    (b"\xff\xfe", "IOT_BAD_JSON"),
    (b"[]", "IOT_EMPTY"),
    (b"{}", "IOT_BAD_SHAPE"),
    (b"42", "IOT_BAD_SHAPE"),
    (b'{"ts": 1765000000000}', "IOT_BAD_SHAPE"),
    (b'{"ts": 1765000000000, "values": {"a": 1}, "x": 1}', "IOT_BAD_SHAPE"),
    (b'{"ts": "soon", "values": {"a": 1}}', "IOT_BAD_TS"),
    (b'{"ts": 12, "values": {"a": 1}}', "IOT_BAD_TS"),
    (b'{"ts": 1865000000000, "values": {"a": 1}}', "IOT_BAD_TS"),
    (b'{"a": "wet"}', "IOT_BAD_VALUE"),
    (b'{"a": null}', "IOT_BAD_VALUE"),
    (b'{"a": 1e999}', "IOT_BAD_VALUE"),
    (b'{"a b": 1}', "IOT_BAD_KEY"),
    (b'[{"a": 1}, {"b": "x"}]', "IOT_BAD_VALUE"),
])
def test_rejected_with_a_stable_code(raw, code):
    with pytest.raises(BadPayload) as err:
        parse(raw, now_ms=NOW)
    assert err.value.code == code
    assert err.value.message_vi and err.value.message_en


def test_size_and_count_limits():
    with pytest.raises(BadPayload, match="too large"):
        parse(b" " * (256 * 1024 + 1), now_ms=NOW)
    many = json.dumps({f"k{i}": i for i in range(10_001)}).encode()
    with pytest.raises(BadPayload) as err:
        parse(many, now_ms=NOW)
    assert err.value.code == "IOT_TOO_MANY_POINTS"
