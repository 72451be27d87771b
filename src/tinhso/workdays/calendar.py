"""Working-day arithmetic: weekends, Vietnamese public holidays, overrides and office hours.

The deadline rule (issue 2): the due moment is reached when N × (daily office time) of office
time has elapsed from the start; a start outside office time counts from the next office period.
Everything here jumps by whole working days and office periods (bisect over a per-year list of
working days), never minute by minute, because deadlines are computed on hot paths (online
submission, bulk import of a million dossiers).

All internal arithmetic is in integer microseconds of the local day (Asia/Ho_Chi_Minh has no
DST since 1975, so wall-clock arithmetic on a date is exact), which keeps
``office_seconds_between(s, add_office_seconds(s, n)) == n`` exact even for starts that carry
microseconds.
"""

from __future__ import annotations

import datetime as dt
import threading
import time as _time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

if TYPE_CHECKING:
    from tinhso.units.models import Agency

__all__ = [
    "DEFAULT_PERIODS",
    "DayInfo",
    "add_office_seconds",
    "add_working_days",
    "day_info",
    "default_day_info",
    "invalidate_cache",
    "is_working_day",
    "local_tz",
    "next_working_day",
    "next_working_moment",
    "office_periods",
    "office_seconds_between",
    "office_seconds_per_day",
    "working_days_to_seconds",
    "year_exceptions",
]

DEFAULT_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(7, 30), dt.time(11, 30)),
    (dt.time(13, 30), dt.time(17, 30)),
)

WEEKDAY_NAMES_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
WEEKEND = frozenset({5, 6})  # Saturday, Sunday
_US = 1_000_000  # microseconds per second


@lru_cache(maxsize=1)
def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --------------------------------------------------------------------------------------------
# Per-year calendar data and its cache
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayInfo:
    day: dt.date
    working: bool
    # Why: holiday name (Vietnamese), "Thứ Bảy"/"Chủ Nhật", the override's reason, or the
    # plain weekday name for an ordinary working day.
    reason: str
    # "weekday", "weekend", "holiday" (from the `holidays` package, incl. its make-up
    # Saturdays) or "override" (CalendarOverride row).
    source: str


@dataclass(frozen=True, slots=True)
class _Year:
    year: int
    first_ordinal: int
    # 1 = working, 0 = off; index = ordinal - first_ordinal.
    flags: bytes
    # Sorted ordinals of the working days of the year, for bisect jumps.
    working: tuple[int, ...]
    # Days that differ from the plain weekday/weekend rule, with their reason and source.
    exceptions: dict[dt.date, DayInfo]


@lru_cache(maxsize=512)
def _package_year(year: int) -> tuple[dict[dt.date, str], dict[dt.date, str]]:
    """Days off and make-up working days of ``year`` from the `holidays` package.

    Built once per process and never invalidated: only the package upgrade changes it. The
    package also knows official day swaps: a holiday "Ngày nghỉ (thay cho ngày 22/08/2026)" and
    the Saturday worked in exchange in ``weekend_workdays`` (which may fall in the year before,
    e.g. 2019-01-05 for 2018-12-31), hence the three-year window.
    """
    vn = holidays.country_holidays("VN", years=(year - 1, year, year + 1), language="vi")
    off = {day: name for day, name in vn.items() if day.year == year}
    make_up: dict[dt.date, str] = {}
    for day in getattr(vn, "weekend_workdays", ()):  # absent in old releases of `holidays`
        if day.year != year:
            continue
        # The swapped day off names this day ("Ngày nghỉ (thay cho ngày 22/08/2026)").
        label = day.strftime("%d/%m/%Y")
        swapped = sorted(d for d, name in vn.items() if label in name)
        make_up[day] = (
            f"Làm bù cho ngày nghỉ {swapped[0]:%d/%m/%Y}" if swapped
            else f"Ngày làm bù ({WEEKDAY_NAMES_VI[day.weekday()]})"
        )
    return off, make_up


def _build_year(year: int, overrides: dict[dt.date, tuple[str, str]]) -> _Year:
    off, make_up = _package_year(year)
    first = dt.date(year, 1, 1)
    n_days = (dt.date(year + 1, 1, 1) - first).days if year < 9999 else 365
    flags = bytearray(n_days)
    working: list[int] = []
    exceptions: dict[dt.date, DayInfo] = {}
    for i in range(n_days):
        day = first + dt.timedelta(days=i)
        weekend = day.weekday() in WEEKEND
        if day in overrides:
            kind, reason = overrides[day]
            is_working = kind == "working"
            exceptions[day] = DayInfo(day, is_working, reason, "override")
        elif day in make_up:
            is_working = True
            exceptions[day] = DayInfo(day, True, make_up[day], "holiday")
        elif day in off:
            is_working = False
            exceptions[day] = DayInfo(day, False, off[day], "holiday")
        else:
            is_working = not weekend
        if is_working:
            flags[i] = 1
            working.append(first.toordinal() + i)
    return _Year(year, first.toordinal(), bytes(flags), tuple(working), exceptions)


class _Cache:
    """In-process cache of the per-year calendars (package holidays + overrides).

    Invalidation, and why this design: the calendar is read on every deadline computation but
    written a few times a year. A version counter bumped only in-process would leave other
    processes (web workers, job workers, the bulk importer) stale, and a shared-cache lookup
    per computation would cost a round trip on the hot path. So each process checks a cheap
    stamp, ``(count(*), max(updated_at))`` of CalendarOverride, at most once every
    ``WORKDAYS_CACHE_TTL`` seconds (default 30): any insert, delete or edit through the ORM
    changes it. A write in this process (services, admin, shell, tests; see the signal
    receivers in apps.py) invalidates at once, so the writer sees its change immediately.

    A write inside a transaction that is later rolled back must not stay cached either: the
    signal remembers the stack of open atomic blocks, and each time one of them closes
    (committed or rolled back) the next call re-checks the stamp once. That costs a few
    identity comparisons per call, and only until the outermost block has closed.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.years: dict[int, _Year] = {}
        self.overrides: dict[int, dict[dt.date, tuple[str, str]]] | None = None
        self.stamp: tuple[int, object] | None = None
        self.next_check = float("-inf")
        # Atomic blocks open at the last local write, while they may still roll back.
        self.pending_blocks: list[Any] | None = None

    def ensure_fresh(self) -> None:
        if self.pending_blocks is not None:
            self._check_pending_blocks()
        now = _time.monotonic()
        if now < self.next_check:
            return
        stamp = _override_stamp()
        with self.lock:
            self.next_check = now + float(getattr(settings, "WORKDAYS_CACHE_TTL", 30))
            if stamp != self.stamp:
                self.years = {}
                self.overrides = None
                self.stamp = stamp

    def _check_pending_blocks(self) -> None:
        from django.db import connection

        current = connection.atomic_blocks
        pending = self.pending_blocks or []
        still_open = 0
        for a, b in zip(pending, current, strict=False):
            if a is not b:
                break
            still_open += 1
        if still_open < len(pending):
            # The block of the write closed. Committed into an enclosing block, the write can
            # still roll back with it, so keep watching what is still open.
            self.pending_blocks = pending[:still_open] or None
            self.next_check = float("-inf")

    def year(self, year: int) -> _Year:
        data = self.years.get(year)
        if data is None:
            with self.lock:
                if self.overrides is None:
                    self.overrides = _load_overrides()
                data = _build_year(year, self.overrides.get(year, {}))
                self.years[year] = data
        return data

    def invalidate(self) -> None:
        from django.db import connection

        with self.lock:
            self.years = {}
            self.overrides = None
            self.stamp = None
            self.next_check = float("-inf")
            blocks = list(connection.atomic_blocks)
            self.pending_blocks = blocks or None


_cache = _Cache()


def _override_stamp() -> tuple[int, object]:
    from django.db.models import Count, Max

    from tinhso.workdays.models import CalendarOverride

    agg = CalendarOverride.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (agg["n"], agg["last"])


def _load_overrides() -> dict[int, dict[dt.date, tuple[str, str]]]:
    from tinhso.workdays.models import CalendarOverride

    by_year: dict[int, dict[dt.date, tuple[str, str]]] = {}
    for day, kind, reason in CalendarOverride.objects.values_list("date", "kind", "reason"):
        by_year.setdefault(day.year, {})[day] = (kind, reason)
    return by_year


def invalidate_cache() -> None:
    """Drop the cached calendars; the next call re-reads overrides from the database.

    Called after override writes (services, model signals). Tests that create CalendarOverride
    rows do not need it (the signal does it), but it is harmless to call.
    """
    _cache.invalidate()


def _year(year: int) -> _Year:
    return _cache.year(year)


def _is_working_ordinal(ordinal: int) -> bool:
    data = _year(dt.date.fromordinal(ordinal).year)
    return data.flags[ordinal - data.first_ordinal] == 1


def _nth_working_after(ordinal: int, k: int) -> int:
    """Ordinal of the k-th working day strictly after ``ordinal`` (k >= 1)."""
    year = dt.date.fromordinal(ordinal).year
    while True:
        data = _year(year)
        idx = bisect_right(data.working, ordinal)
        available = len(data.working) - idx
        if k <= available:
            return data.working[idx + k - 1]
        k -= available
        year += 1


def _working_days_in(first: int, last: int) -> int:
    """Number of working days with ordinal in [first, last)."""
    if last <= first:
        return 0
    count = 0
    year = dt.date.fromordinal(first).year
    last_year = dt.date.fromordinal(last - 1).year
    while year <= last_year:
        data = _year(year)
        lo = bisect_left(data.working, first)
        hi = bisect_left(data.working, last)
        count += hi - lo
        year += 1
    return count


# --------------------------------------------------------------------------------------------
# Office periods
# --------------------------------------------------------------------------------------------

_Periods = tuple[tuple[int, int], ...]  # (start, end) in microseconds since local midnight


def _us(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond


def office_periods(agency: Agency | None = None) -> tuple[tuple[dt.time, dt.time], ...]:
    if agency is None:
        return DEFAULT_PERIODS
    return tuple(agency.office_periods())


def _periods(agency: Agency | None) -> _Periods:
    if agency is None:
        return _DEFAULT_PERIODS_US
    return _periods_from(tuple(agency.office_periods()))


@lru_cache(maxsize=256)
def _periods_from(periods: tuple[tuple[dt.time, dt.time], ...]) -> _Periods:
    result = tuple((_us(a), _us(b)) for a, b in periods if _us(a) < _us(b))
    if not result:
        raise ValueError("An agency needs at least one non-empty office period.")
    for (_, end), (start, _) in zip(result, result[1:], strict=False):
        if start < end:
            raise ValueError("Office periods must be ordered and must not overlap.")
    return result


_DEFAULT_PERIODS_US = _periods_from(DEFAULT_PERIODS)


def office_seconds_per_day(agency: Agency | None = None) -> int:
    """Office time of one working day, in seconds (default 8 h = 28,800 s)."""
    return sum(end - start for start, end in _periods(agency)) // _US


# --------------------------------------------------------------------------------------------
# Conversions
# --------------------------------------------------------------------------------------------


def _split(moment: dt.datetime) -> tuple[int, int]:
    """(date ordinal, microseconds since local midnight) of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Naive datetime: times must be timezone-aware.")
    local = moment.astimezone(local_tz())
    return local.toordinal(), (
        ((local.hour * 60 + local.minute) * 60 + local.second) * _US + local.microsecond
    )


def _join(ordinal: int, us: int) -> dt.datetime:
    day = dt.date.fromordinal(ordinal)
    seconds, micro = divmod(us, _US)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, micro,
                       tzinfo=local_tz())


def _office_before(periods: _Periods, us: int) -> int:
    """Office microseconds of a working day that lie before time-of-day ``us``."""
    total = 0
    for start, end in periods:
        if us <= start:
            break
        total += min(us, end) - start
    return total


# --------------------------------------------------------------------------------------------
# Public API (other apps call these; keep names and signatures)
# --------------------------------------------------------------------------------------------


def is_working_day(day: dt.date) -> bool:
    """Weekends and public holidays are off; CalendarOverride rows override both."""
    if isinstance(day, dt.datetime):
        day = day.astimezone(local_tz()).date() if day.tzinfo else day.date()
    _cache.ensure_fresh()
    return _is_working_ordinal(day.toordinal())


def day_info(day: dt.date) -> DayInfo:
    """Whether ``day`` is worked, and why (for the API and the UI)."""
    _cache.ensure_fresh()
    data = _year(day.year)
    info = data.exceptions.get(day)
    if info is not None:
        return info
    weekday = day.weekday()
    return DayInfo(day, weekday not in WEEKEND, WEEKDAY_NAMES_VI[weekday],
                   "weekend" if weekday in WEEKEND else "weekday")


def default_day_info(day: dt.date) -> DayInfo:
    """Like ``day_info`` but ignoring CalendarOverride rows: weekends and the package only."""
    off, make_up = _package_year(day.year)
    if day in make_up:
        return DayInfo(day, True, make_up[day], "holiday")
    if day in off:
        return DayInfo(day, False, off[day], "holiday")
    weekday = day.weekday()
    return DayInfo(day, weekday not in WEEKEND, WEEKDAY_NAMES_VI[weekday],
                   "weekend" if weekday in WEEKEND else "weekday")


def year_exceptions(year: int) -> list[DayInfo]:
    """Non-working weekdays and worked weekend days of ``year``, in date order.

    Overrides that repeat the plain rule (e.g. "working" on an ordinary Tuesday) are included
    too, so the list shows every override in force.
    """
    _cache.ensure_fresh()
    return [info for _, info in sorted(_year(year).exceptions.items())
            if info.source == "override" or info.working == (info.day.weekday() in WEEKEND)]


def next_working_moment(at: dt.datetime, *, agency: Agency | None = None) -> dt.datetime:
    """``at`` itself when inside an office period of a working day, else the next period start.

    The end of a period is outside it (periods are half-open), so 11:30 → 13:30.
    """
    ordinal, us = _split(at)
    _cache.ensure_fresh()
    periods = _periods(agency)
    if _is_working_ordinal(ordinal):
        for start, end in periods:
            if us < end:
                return _join(ordinal, max(us, start))
    return _join(_nth_working_after(ordinal, 1), periods[0][0])


def next_working_day(day: dt.date) -> dt.date:
    """The first working day strictly after ``day``."""
    _cache.ensure_fresh()
    return dt.date.fromordinal(_nth_working_after(day.toordinal(), 1))


def add_office_seconds(
    start: dt.datetime, seconds: int, *, agency: Agency | None = None
) -> dt.datetime:
    """The moment when ``seconds`` of office time have elapsed from ``start``.

    A start outside office time counts from the next office period. When the amount ends
    exactly at the end of a period, that end is returned (e.g. 17:30), not the next start.
    ``seconds == 0`` returns ``start`` (in local time) unchanged.
    """
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    ordinal, us = _split(start)
    _cache.ensure_fresh()
    if seconds == 0:
        return _join(ordinal, us)
    periods = _periods(agency)
    remaining = int(seconds) * _US
    if _is_working_ordinal(ordinal):
        for p_start, p_end in periods:
            if us >= p_end:
                continue
            begin = max(us, p_start)
            if remaining <= p_end - begin:
                return _join(ordinal, begin + remaining)
            remaining -= p_end - begin
    per_day = sum(end - begin for begin, end in periods)
    # Whole days first; "- 1" keeps an amount that ends exactly at the end of a day on that
    # day (returning 17:30) instead of spilling to the next morning.
    whole_days = (remaining - 1) // per_day
    remaining -= whole_days * per_day
    ordinal = _nth_working_after(ordinal, whole_days + 1)
    for p_start, p_end in periods:
        if remaining <= p_end - p_start:
            return _join(ordinal, p_start + remaining)
        remaining -= p_end - p_start
    raise AssertionError("unreachable: remaining fits in one working day")  # pragma: no cover


def _to_decimal(working_days: Decimal | int | float) -> Decimal:
    if isinstance(working_days, bool):
        raise TypeError("working_days must be a number")
    try:
        value = working_days if isinstance(working_days, Decimal) else Decimal(str(working_days))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"Invalid number of working days: {working_days!r}") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"Invalid number of working days: {working_days!r}")
    return value


def working_days_to_seconds(
    working_days: Decimal | int | float, *, agency: Agency | None = None
) -> int:
    """round(working_days × office seconds per day), halves rounded up."""
    value = _to_decimal(working_days) * office_seconds_per_day(agency)
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def add_working_days(
    start: dt.datetime, working_days: Decimal | int | float, *, agency: Agency | None = None
) -> dt.datetime:
    """The due moment: ``working_days`` × (daily office time) of office time after ``start``.

    Example: received Friday 2026-02-13 10:00 +07:00, 3 working days → Wednesday 2026-02-25
    10:00 +07:00 (Tết 16–20 Feb 2026).
    """
    return add_office_seconds(start, working_days_to_seconds(working_days, agency=agency),
                              agency=agency)


def office_seconds_between(
    start: dt.datetime, end: dt.datetime, *, agency: Agency | None = None
) -> int:
    """Office time (whole seconds, rounded down) elapsed in [start, end); 0 if end <= start."""
    o1, t1 = _split(start)
    o2, t2 = _split(end)
    if (o2, t2) <= (o1, t1):
        return 0
    _cache.ensure_fresh()
    periods = _periods(agency)
    if o1 == o2:
        if not _is_working_ordinal(o1):
            return 0
        return (_office_before(periods, t2) - _office_before(periods, t1)) // _US
    per_day = sum(e - s for s, e in periods)
    total = 0
    if _is_working_ordinal(o1):
        total += per_day - _office_before(periods, t1)
    total += _working_days_in(o1 + 1, o2) * per_day
    if _is_working_ordinal(o2):
        total += _office_before(periods, t2)
    return total // _US
