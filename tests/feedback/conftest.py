"""Fixtures for feedback/petitions: an agency with officials, another agency, a citizen and a
clock for the services."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests import factories

VN = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, value: dt.datetime) -> None:
        self.now = value


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock(dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN))  # a Monday morning
    monkeypatch.setattr("tinhso.feedback.services._now", clock)
    return clock


@pytest.fixture
def handler(agency):
    return factories.make_official(agency, "specialist", username="xuly")


@pytest.fixture
def leader(agency):
    return factories.make_official(agency, "leader", username="lanhdao")


@pytest.fixture
def outsider(other_agency):
    return factories.make_official(other_agency, "leader", username="coquankhac")


@pytest.fixture
def admin(other_agency):
    return factories.make_official(other_agency, "province_admin", username="quantri")


def at(y: int, m: int, d: int, hh: int = 8, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN)
