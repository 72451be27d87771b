"""The generator's office-time line: office time as integer coordinates, so deadlines cost
integer arithmetic instead of calendar calls (checked against ``workdays.calendar`` by tests).
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Sequence

from tinhso.workdays import calendar

DAY = 86_400
HOUR = 3_600


class OfficeClock:
    """Office time as integer coordinates over a range of days, for one set of office periods.

    ``coord(w)`` is the office time (seconds) elapsed from the start of the range to the wall
    moment ``w`` (seconds since local 0001-01-01, ``ordinal * 86400 + seconds of the day``);
    outside office time the clock stands still. ``wall(c)`` is the inverse with the calendar's
    convention: an amount that ends exactly at the end of a period returns that end (17:30),
    never the next start. So ``calendar.add_office_seconds(s, n) == wall(coord(s) + n)`` for
    n > 0 and ``office_seconds_between(a, b) == coord(b) - coord(a)`` for b ≥ a.
    """

    def __init__(self, periods: Sequence[tuple[dt.time, dt.time]], first: dt.date,
                 last: dt.date) -> None:
        self.periods = [(_sec(a), _sec(b)) for a, b in periods]
        self.per_day = sum(b - a for a, b in self.periods)
        self.first = first.toordinal()
        self.before = array("l")  # working days strictly before each day of the range
        self.flags = bytearray()
        self.working = array("l")
        day = first
        while day <= last:
            self.before.append(len(self.working))
            if calendar.is_working_day(day):
                self.flags.append(1)
                self.working.append(day.toordinal())
            else:
                self.flags.append(0)
            day += dt.timedelta(days=1)

    def coord(self, w: int) -> int:
        ordinal, sec = divmod(w, DAY)
        i = ordinal - self.first
        if not 0 <= i < len(self.flags):
            raise ValueError("moment outside the generator's calendar range")
        base = self.before[i] * self.per_day
        if not self.flags[i]:
            return base
        for start, end in self.periods:
            if sec <= start:
                break
            base += (sec if sec < end else end) - start
        return base

    def wall(self, c: int) -> int:
        k, r = divmod(c - 1, self.per_day)
        r += 1
        ordinal = self.working[k]
        for start, end in self.periods:
            if r <= end - start:
                return ordinal * DAY + start + r
            r -= end - start
        raise AssertionError("unreachable")  # pragma: no cover

    def add(self, w: int, seconds: int) -> int:
        return w if seconds <= 0 else self.wall(self.coord(w) + seconds)

    def in_office(self, w: int) -> bool:
        ordinal, sec = divmod(w, DAY)
        i = ordinal - self.first
        return 0 <= i < len(self.flags) and bool(self.flags[i]) and any(
            a <= sec < b for a, b in self.periods)


def _sec(t: dt.time) -> int:
    return t.hour * HOUR + t.minute * 60 + t.second


def to_wall(moment: dt.datetime) -> int:
    local = moment.astimezone(calendar.local_tz())
    return local.toordinal() * DAY + local.hour * HOUR + local.minute * 60 + local.second
