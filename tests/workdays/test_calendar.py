"""Examples of the deadline rule: holidays, weekends, office hours, overrides, agencies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import holidays
import pytest

from tests.factories import make_agency
from tests.workdays.conftest import TZ, at
from tinhso.workdays.calendar import (
    add_office_seconds,
    add_working_days,
    day_info,
    is_working_day,
    next_working_moment,
    office_seconds_between,
    office_seconds_per_day,
    year_exceptions,
)
from tinhso.workdays.models import CalendarOverride, OverrideKind

pytestmark = pytest.mark.django_db

HOUR = 3600


def test_tet_2026_is_in_the_holidays_package():
    vn = holidays.country_holidays("VN", years=2026, language="vi")
    tet = [d for d in vn if dt.date(2026, 2, 16) <= d <= dt.date(2026, 2, 20)]
    assert len(tet) == 5
    assert vn[dt.date(2026, 2, 17)] == "Tết Nguyên Đán"


def test_required_example_tet_2026():
    # Friday 10:00 + 3 working days over Tết 16–20 Feb 2026 → Wednesday 25 Feb 10:00.
    due = add_working_days(at(2026, 2, 13, 10), 3)
    assert due == at(2026, 2, 25, 10)
    assert due.utcoffset() == dt.timedelta(hours=7)
    assert str(due.tzinfo) == "Asia/Ho_Chi_Minh"


def test_other_time_zone_input_returns_local_time():
    start = dt.datetime(2026, 2, 13, 3, 0, tzinfo=dt.UTC)  # = 10:00 +07:00
    due = add_working_days(start, 3)
    assert due == at(2026, 2, 25, 10) and due.tzinfo == TZ


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        add_working_days(dt.datetime(2026, 2, 13, 10), 1)
    with pytest.raises(ValueError):
        office_seconds_between(dt.datetime(2026, 2, 13, 10), at(2026, 2, 14))
    with pytest.raises(ValueError):
        next_working_moment(dt.datetime(2026, 2, 13, 10))


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        add_office_seconds(at(2026, 3, 2, 8), -1)
    with pytest.raises(ValueError):
        add_working_days(at(2026, 3, 2, 8), Decimal("-0.5"))


def test_weekends_and_holidays():
    assert is_working_day(dt.date(2026, 3, 2))  # Monday
    assert not is_working_day(dt.date(2026, 3, 7))  # Saturday
    assert not is_working_day(dt.date(2026, 3, 8))  # Sunday
    assert not is_working_day(dt.date(2026, 9, 2))  # National Day
    assert not is_working_day(dt.date(2026, 4, 27))  # Hùng Kings, observed (26th is a Sunday)
    assert day_info(dt.date(2026, 3, 7)).reason == "Thứ Bảy"
    assert day_info(dt.date(2026, 3, 8)).reason == "Chủ Nhật"
    assert day_info(dt.date(2026, 9, 2)).reason == "Quốc khánh"


def test_package_make_up_saturday_2026_is_worked():
    # Official swap in 2026: Monday 31 Aug off, Saturday 22 Aug worked instead.
    assert is_working_day(dt.date(2026, 8, 22))
    assert not is_working_day(dt.date(2026, 8, 31))
    assert day_info(dt.date(2026, 8, 22)).reason == "Làm bù cho ngày nghỉ 31/08/2026"
    # Friday 21 Aug 16:30 + 2 h: 1 h on Friday, 1 h on the make-up Saturday morning.
    assert add_office_seconds(at(2026, 8, 21, 16, 30), 2 * HOUR) == at(2026, 8, 22, 8, 30)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (at(2026, 3, 2, 6, 0), at(2026, 3, 2, 8, 30)),  # before 07:30
        (at(2026, 3, 2, 12, 15), at(2026, 3, 2, 14, 30)),  # lunch break
        (at(2026, 3, 2, 11, 30), at(2026, 3, 2, 14, 30)),  # exactly at the end of the morning
        (at(2026, 3, 2, 18, 0), at(2026, 3, 3, 8, 30)),  # after 17:30
        (at(2026, 3, 2, 17, 30), at(2026, 3, 3, 8, 30)),  # exactly at 17:30
        (at(2026, 3, 7, 9, 0), at(2026, 3, 9, 8, 30)),  # Saturday
        (at(2026, 3, 8, 23, 59), at(2026, 3, 9, 8, 30)),  # Sunday night
        (at(2026, 3, 2, 11, 0), at(2026, 3, 2, 14, 0)),  # morning spills over lunch
    ],
)
def test_one_hour_from_various_starts(start, expected):
    assert add_office_seconds(start, HOUR) == expected


def test_amount_ending_at_end_of_period_returns_that_end():
    assert add_office_seconds(at(2026, 3, 2, 7, 30), 4 * HOUR) == at(2026, 3, 2, 11, 30)
    assert add_office_seconds(at(2026, 3, 2, 7, 30), 8 * HOUR) == at(2026, 3, 2, 17, 30)
    assert add_working_days(at(2026, 3, 2, 7, 30), 1) == at(2026, 3, 2, 17, 30)
    # Friday 07:30 + 1 day ends Friday 17:30, not Monday 07:30.
    assert add_working_days(at(2026, 3, 6, 7, 30), 1) == at(2026, 3, 6, 17, 30)
    # From a start outside office time: Saturday + 5 days ends the next Friday 17:30.
    assert add_working_days(at(2026, 3, 7, 10), 5) == at(2026, 3, 13, 17, 30)


def test_zero_returns_the_start():
    assert add_office_seconds(at(2026, 3, 7, 10), 0) == at(2026, 3, 7, 10)


def test_fractional_days():
    # 0.5 day = 4 h: Monday 10:00 → 11:30 (1.5 h) + 2.5 h after lunch → 16:00.
    assert add_working_days(at(2026, 3, 2, 10), Decimal("0.5")) == at(2026, 3, 2, 16)
    assert add_working_days(at(2026, 3, 2, 10), 0.5) == at(2026, 3, 2, 16)
    assert add_working_days(at(2026, 3, 2, 10), Decimal("1.5")) == at(2026, 3, 3, 16)


def test_long_deadline_crosses_years():
    # 15 working days from mid-December 2026 cross New Year's Day 2027.
    due = add_working_days(at(2026, 12, 21, 7, 30), 15)
    assert due == at(2027, 1, 11, 17, 30)
    assert office_seconds_between(at(2026, 12, 21, 7, 30), due) == 15 * 8 * HOUR


def test_next_working_moment():
    assert next_working_moment(at(2026, 3, 2, 9)) == at(2026, 3, 2, 9)
    assert next_working_moment(at(2026, 3, 2, 7)) == at(2026, 3, 2, 7, 30)
    assert next_working_moment(at(2026, 3, 2, 11, 30)) == at(2026, 3, 2, 13, 30)
    assert next_working_moment(at(2026, 2, 13, 17, 30)) == at(2026, 2, 23, 7, 30)


def test_office_seconds_between():
    assert office_seconds_between(at(2026, 3, 2, 7), at(2026, 3, 2, 18)) == 8 * HOUR
    assert office_seconds_between(at(2026, 3, 2, 11), at(2026, 3, 2, 14)) == HOUR
    assert office_seconds_between(at(2026, 3, 6, 17), at(2026, 3, 9, 8)) == HOUR  # weekend
    assert office_seconds_between(at(2026, 3, 9, 8), at(2026, 3, 6, 17)) == 0
    assert office_seconds_between(at(2026, 2, 13, 10), at(2026, 2, 25, 10)) == 24 * HOUR


def test_make_up_saturday_override():
    CalendarOverride.objects.create(date=dt.date(2026, 3, 7), kind=OverrideKind.WORKING,
                                    reason="Làm bù cho ngày 30/3")
    assert is_working_day(dt.date(2026, 3, 7))
    assert day_info(dt.date(2026, 3, 7)).reason == "Làm bù cho ngày 30/3"
    # Friday 17:00 + 1 h: half an hour on Friday, half on the make-up Saturday.
    assert add_office_seconds(at(2026, 3, 6, 17), HOUR) == at(2026, 3, 7, 8)


def test_provincial_day_off_override():
    CalendarOverride.objects.create(date=dt.date(2026, 3, 3), kind=OverrideKind.DAY_OFF,
                                    reason="Nghỉ lễ của tỉnh")
    assert not is_working_day(dt.date(2026, 3, 3))
    assert add_working_days(at(2026, 3, 2, 10), 1) == at(2026, 3, 4, 10)
    assert [i.day for i in year_exceptions(2026) if i.source == "override"] == [
        dt.date(2026, 3, 3)
    ]


def test_override_on_a_holiday_makes_it_a_working_day():
    CalendarOverride.objects.create(date=dt.date(2026, 2, 20), kind=OverrideKind.WORKING,
                                    reason="Thử nghiệm")
    assert is_working_day(dt.date(2026, 2, 20))
    assert add_working_days(at(2026, 2, 13, 10), 3) == at(2026, 2, 24, 10)


def test_override_changes_are_seen_at_once_and_after_delete():
    day = dt.date(2026, 3, 4)
    assert is_working_day(day)
    row = CalendarOverride.objects.create(date=day, kind=OverrideKind.DAY_OFF, reason="Bão")
    assert not is_working_day(day)
    row.kind = OverrideKind.WORKING
    row.save()
    assert is_working_day(day)
    row.delete()
    assert is_working_day(day)


def test_agency_with_other_office_hours(province):
    agency = make_agency(unit=province, morning_start=dt.time(7, 0), morning_end=dt.time(11, 0),
                         afternoon_start=dt.time(13, 0), afternoon_end=dt.time(16, 0))
    assert office_seconds_per_day(agency) == 7 * HOUR
    assert office_seconds_per_day() == 8 * HOUR
    assert add_working_days(at(2026, 3, 2, 10), 1, agency=agency) == at(2026, 3, 3, 10)
    assert add_office_seconds(at(2026, 3, 2, 10), 2 * HOUR, agency=agency) == at(2026, 3, 2, 14)
    assert add_office_seconds(at(2026, 3, 2, 16), HOUR, agency=agency) == at(2026, 3, 3, 8)
    # 0.5 × 7 h = 3.5 h: 1 h before 11:00, 2.5 h from 13:00.
    assert add_working_days(at(2026, 3, 2, 10), Decimal("0.5"), agency=agency) == (
        at(2026, 3, 2, 15, 30)
    )
    assert office_seconds_between(at(2026, 3, 2, 6), at(2026, 3, 2, 20), agency=agency) == (
        7 * HOUR
    )
