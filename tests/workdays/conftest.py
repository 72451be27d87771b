"""Fixtures of the workdays tests: a clean calendar cache around every test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from tinhso.workdays.calendar import invalidate_cache

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    # A rolled-back override of an earlier test must never leak into the next one.
    invalidate_cache()
    yield
    invalidate_cache()
