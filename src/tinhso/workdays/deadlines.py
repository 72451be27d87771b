"""Deadline rules of procedures: working days, same day with a cut-off, office hours.

A procedure's processing time is not always "N working days" (issue 11, docs/workdays.md):

* ``working_days``: N × the agency's daily office time of office time (calendar.add_working_days).
* ``same_day``: done within the day of reception, or within the next working day when received
  after the cut-off (15:00 by default). Decree 23/2015/NĐ-CP art. 7 for certified copies from
  originals, signatures and translators' signatures; the civil-status procedures whose catalogue
  note says "ngay trong ngày". Stored as "1 working day" such a dossier used to be due 24 office
  hours too late or too early: a Monday 08:00 copy is due Monday at the close of office, not
  Tuesday 08:00, and a Monday 16:00 one is due at Tuesday's close, not Tuesday 16:00.
* ``hours``: N office hours (an agency extending a large certified-copy request, same article).

A start outside office time counts from the next office period, as for working days; for the
same-day rule that moment is then compared with the cut-off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings

from tinhso.workdays import calendar

if TYPE_CHECKING:
    from tinhso.units.models import Agency

WORKING_DAYS = "working_days"
SAME_DAY = "same_day"
HOURS = "hours"
KINDS = (WORKING_DAYS, SAME_DAY, HOURS)


def default_cutoff() -> dt.time:
    return dt.time.fromisoformat(getattr(settings, "TINHSO_SAME_DAY_CUTOFF", "15:00"))


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    kind: str = WORKING_DAYS
    working_days: Decimal = Decimal(0)
    hours: Decimal | None = None
    cutoff: dt.time | None = None

    @classmethod
    def of(cls, procedure: Any) -> DeadlineRule:
        """The rule of a catalogue Procedure (its deadline_kind and the fields it uses)."""
        kind = getattr(procedure, "deadline_kind", "") or WORKING_DAYS
        return cls(kind=kind, working_days=Decimal(procedure.processing_days),
                   hours=getattr(procedure, "processing_hours", None),
                   cutoff=getattr(procedure, "cutoff_time", None))

    def effective_cutoff(self) -> dt.time:
        return self.cutoff or default_cutoff()

    def describe_vi(self) -> str:
        if self.kind == SAME_DAY:
            return (f"Trong ngày; tiếp nhận sau {self.effective_cutoff():%H:%M} thì trả trong "
                    "ngày làm việc tiếp theo")
        if self.kind == HOURS:
            return f"{(self.hours or Decimal(0)).normalize():f} giờ làm việc"
        return f"{self.working_days.normalize():f} ngày làm việc"


def _day_close(day: dt.date, agency: Agency | None) -> dt.datetime:
    close = calendar.office_periods(agency)[-1][1]
    return dt.datetime.combine(day, close, tzinfo=calendar.local_tz())


def due_moment(start: dt.datetime, rule: DeadlineRule, *,
               agency: Agency | None = None) -> dt.datetime:
    """The due moment of a dossier received at ``start`` under ``rule``."""
    if rule.kind == SAME_DAY:
        begin = calendar.next_working_moment(start, agency=agency)
        local = begin.astimezone(calendar.local_tz())
        day = local.date()
        # "sau 15 giờ": strictly after the cut-off moves the work to the next working day.
        if local.time() > rule.effective_cutoff():
            day = calendar.next_working_day(day)
        return _day_close(day, agency)
    if rule.kind == HOURS:
        hours = rule.hours if rule.hours is not None else Decimal(0)
        seconds = int((hours * 3600).to_integral_value(rounding=ROUND_HALF_UP))
        return calendar.add_office_seconds(start, seconds, agency=agency)
    if rule.kind != WORKING_DAYS:
        raise ValueError(f"Unknown deadline kind {rule.kind!r}")
    return calendar.add_working_days(start, rule.working_days, agency=agency)
