"""Period arithmetic: whole months from MonthlyFact plus leftover days cover [from, to]."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from tinhso.ioc.selectors import _month_add, split_range

dates = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2031, 12, 31))


@given(dates, dates)
def test_split_range_covers_each_day_once(a: dt.date, b: dt.date) -> None:
    start, end = min(a, b), max(a, b)
    months, day_ranges = split_range(start, end)
    covered: list[dt.date] = []
    if months is not None:
        month = months[0]
        assert month.day == 1 and months[1].day == 1
        while month <= months[1]:
            nxt = _month_add(month, 1)
            covered += [month + dt.timedelta(days=i) for i in range((nxt - month).days)]
            month = nxt
    for lo, hi in day_ranges:
        assert lo <= hi
        covered += [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
    expected = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    assert sorted(covered) == expected
    assert len(day_ranges) <= 2


def test_empty_range() -> None:
    assert split_range(dt.date(2026, 2, 2), dt.date(2026, 2, 1)) == (None, [])
