"""Reads of the calendar. Calendar data and office hours are public: no user scoping."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from tinhso.catalog.models import Procedure
from tinhso.units.models import Agency
from tinhso.workdays.models import CalendarOverride


def override_list(*, year: int | None = None) -> QuerySet[CalendarOverride]:
    qs = CalendarOverride.objects.all()
    if year is not None:
        qs = qs.filter(date__year=year)
    return qs.order_by("date")


def override_by_date(day: dt.date) -> CalendarOverride | None:
    return CalendarOverride.objects.filter(date=day).first()


def agency_for_office_hours(code: str) -> Agency | None:
    """An active agency by its identifier code (only its public office hours are used)."""
    return Agency.objects.filter(code=code, is_active=True).first()


def procedure_for_deadline(code: str) -> Procedure | None:
    """An active catalogue procedure by code (the catalogue is public: only its rule is read)."""
    if not code or len(code) > 40:
        return None
    return Procedure.objects.filter(code=code.strip(), is_active=True).first()
