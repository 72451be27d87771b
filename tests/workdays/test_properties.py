"""Hypothesis properties of the deadline arithmetic, and a minute-by-minute reference model."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.workdays.conftest import TZ
from tinhso.units.models import Agency
from tinhso.workdays.calendar import (
    add_office_seconds,
    add_working_days,
    is_working_day,
    next_working_moment,
    office_seconds_between,
    office_seconds_per_day,
)

pytestmark = pytest.mark.django_db

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

DAY = 8 * 3600

starts = st.datetimes(
    min_value=dt.datetime(2024, 12, 1), max_value=dt.datetime(2027, 12, 31),
    timezones=st.just(TZ),
)
# Mostly short amounts (hours, a few days), sometimes long ones (up to ~1 year of office time).
amounts = st.one_of(st.integers(1, 3 * DAY), st.integers(1, 250 * DAY))


def _time_of_day(value: dt.datetime) -> dt.time:
    return value.timetz().replace(tzinfo=None)


def _inside_or_at_end(moment: dt.datetime) -> bool:
    """Inside an office period (half-open) or exactly at its end, on a working day."""
    local = moment.astimezone(TZ)
    t = _time_of_day(local)
    if not is_working_day(local.date()):
        return False
    return any(a <= t <= b for a, b in ((dt.time(7, 30), dt.time(11, 30)),
                                         (dt.time(13, 30), dt.time(17, 30))))


@SETTINGS
@given(start=starts, a=amounts, b=amounts)
def test_monotonic_in_amount(start, a, b):
    lo, hi = sorted((a, b))
    assert add_office_seconds(start, lo) <= add_office_seconds(start, hi)
    assert add_office_seconds(start, lo) > start or lo == 0


@SETTINGS
@given(start=starts, n=amounts)
def test_inverse_of_office_seconds_between(start, n):
    due = add_office_seconds(start, n)
    assert office_seconds_between(start, due) == n
    # One microsecond earlier, the amount has not yet elapsed.
    assert office_seconds_between(start, due - dt.timedelta(microseconds=1)) == n - 1


@SETTINGS
@given(start=starts, n=amounts)
def test_result_is_inside_or_at_end_of_an_office_period(start, n):
    due = add_office_seconds(start, n)
    assert due.tzinfo == TZ
    assert _inside_or_at_end(due)


@SETTINGS
@given(raw=starts, a=amounts, b=amounts)
def test_additive_from_inside_office_time(raw, a, b):
    start = next_working_moment(raw)
    assert add_office_seconds(add_office_seconds(start, a), b) == add_office_seconds(start, a + b)


@SETTINGS
@given(start=starts)
def test_next_working_moment_is_idempotent_and_not_before(start):
    moment = next_working_moment(start)
    assert moment >= start
    assert next_working_moment(moment) == moment
    assert is_working_day(moment.date())
    # Nothing of office time lies between the start and that moment.
    assert office_seconds_between(start, moment) == 0


@SETTINGS
@given(start=starts, days=st.integers(0, 40))
def test_whole_working_days_keep_time_of_day_inside_office_time(start, days):
    start = next_working_moment(start)
    due = add_working_days(start, days)
    assert office_seconds_between(start, due) == days * DAY
    if days and _time_of_day(start) not in (dt.time(7, 30), dt.time(13, 30)):
        # Same clock time, `days` working days later.
        assert _time_of_day(due) == _time_of_day(start)


@SETTINGS
@given(day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_working_days_agree_with_the_holidays_package(day):
    vn = holidays.country_holidays("VN", years=(day.year - 1, day.year, day.year + 1),
                                   language="vi")
    expected = (day.weekday() < 5 and day not in vn) or day in vn.weekend_workdays
    assert is_working_day(day) == expected


def _reference_add(start: dt.datetime, minutes: int, agency: Agency | None) -> dt.datetime:
    """Slow oracle: walk minute by minute (only for whole-minute starts and amounts).

    It skips only whole non-working days; within a working day every minute is visited.
    """
    periods = agency.office_periods() if agency else (
        (dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 30), dt.time(17, 30)))
    ranges = [(a.hour * 60 + a.minute, b.hour * 60 + b.minute) for a, b in periods]
    day, minute = start.date(), start.hour * 60 + start.minute
    while True:
        if is_working_day(day):
            while minute < 24 * 60:
                if any(a <= minute < b for a, b in ranges):
                    minutes -= 1
                minute += 1
                if minutes == 0:
                    return dt.datetime.combine(day, dt.time(0), tzinfo=TZ) + dt.timedelta(
                        minutes=minute)
        day, minute = day + dt.timedelta(days=1), 0


office_hours = st.tuples(
    st.integers(6 * 60, 8 * 60), st.integers(30, 300),  # morning start, length
    st.integers(0, 180), st.integers(30, 300),  # lunch, afternoon length
).map(lambda v: (v[0], v[0] + v[1], v[0] + v[1] + v[2], v[0] + v[1] + v[2] + v[3]))


def _agency(hours: tuple[int, int, int, int] | None) -> Agency | None:
    if hours is None:
        return None
    t = [dt.time(m // 60, m % 60) for m in hours]
    # Unsaved: the arithmetic needs only the four office-hour fields.
    return Agency(morning_start=t[0], morning_end=t[1], afternoon_start=t[2], afternoon_end=t[3])


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=starts.map(lambda d: d.replace(second=0, microsecond=0)),
    minutes=st.integers(1, 3 * 8 * 60),
    hours=st.none() | office_hours,
)
def test_agrees_with_minute_by_minute_reference(start, minutes, hours):
    agency = _agency(hours)
    assert add_office_seconds(start, minutes * 60, agency=agency) == _reference_add(
        start, minutes, agency
    )
    # Also the per-day figure of the agency.
    if agency is not None:
        periods = agency.office_periods()
        expected = sum((b.hour * 60 + b.minute - a.hour * 60 - a.minute) * 60 for a, b in periods)
        assert office_seconds_per_day(agency) == expected
