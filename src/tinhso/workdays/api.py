"""Working-day calendar API (``/api/v1/workdays``): public reads, admin-only overrides.

Query parameters are taken as strings and parsed here, so each bad input gets its own error
code (INVALID_DATETIME, INVALID_WORKING_DAYS, INVALID_DATE, INVALID_YEAR) instead of the
generic VALIDATION_ERROR.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import AuthenticationError

from tinhso.core.api_schema import PARAMS_KEY, ErrorOut
from tinhso.core.errors import DomainError, NotFound, ValidationFailed
from tinhso.workdays import calendar, deadlines, selectors, services
from tinhso.workdays.models import CalendarOverride, OverrideKind
from tinhso.workdays.permissions import require_calendar_editor

router = Router(tags=["workdays"])

MAX_WORKING_DAYS = 3650
MIN_YEAR, MAX_YEAR = 1990, 2200

# In a query string an unencoded "+07:00" arrives as " 07:00"; put the sign back.
_SPACE_OFFSET = re.compile(r"^(.*T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$")


class DeadlineOut(Schema):
    due: str
    # The rule applied: working_days, same_day or hours, and its Vietnamese wording.
    kind: str
    rule_vi: str
    procedure: str | None = None


class DayOut(Schema):
    date: dt.date
    working: bool
    reason: str
    source: str


class CalendarDayOut(DayOut):
    weekday: str


class OverrideIn(Schema):
    date: dt.date
    kind: str = Field(..., json_schema_extra={"enum": list(OverrideKind.values)})
    reason: str = Field(..., max_length=services.MAX_REASON)


class OverrideOut(Schema):
    id: int
    date: dt.date
    kind: str
    kind_label: str
    reason: str



# What the schema says of the parameters parsed here: required, and in the shape accepted
# (each view still answers its own error code for anything else).
_Y = "(199[0-9]|2[01][0-9][0-9]|2200)"
_DATE = {"type": "string", "format": "date", "pattern": f"^{_Y}-[0-9]{{2}}-[0-9]{{2}}$"}
_YEAR = {"type": "string", "pattern": f"^{_Y}$"}
_PARAMS_DEADLINE = {PARAMS_KEY: {
    "start": {"required": True, "schema": {
        "type": "string", "format": "date-time", "maxLength": 40,
        "pattern": f"^{_Y}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?"
                   "([+-][0-9]{2}:[0-9]{2}|Z)$"}},
    # Required unless ``procedure`` is given (then the procedure's own rule applies).
    "working_days": {"schema": {
        "type": "string",
        "pattern": "^(0|[1-9][0-9]{0,2}|[1-2][0-9]{3}|3[0-5][0-9]{2}|36[0-4][0-9])"
                   "(\\.[0-9]{1,6})?$"}},
    "procedure": {"schema": {"type": "string", "maxLength": 60}},
}}
_PARAMS_DATE = {PARAMS_KEY: {"date": {"required": True, "schema": _DATE}}}
_PARAMS_YEAR = {PARAMS_KEY: {"year": {"required": True, "schema": _YEAR}}}
_PARAMS_YEAR_OPTIONAL = {PARAMS_KEY: {"year": {"schema": _YEAR}}}


def _invalid_datetime(value: str | None, why_vi: str, why_en: str) -> ValidationFailed:
    return ValidationFailed(
        "INVALID_DATETIME",
        f"Thời điểm bắt đầu không hợp lệ: {why_vi} Dùng ISO 8601 có múi giờ, "
        "ví dụ 2026-02-13T10:00:00+07:00.",
        f"Invalid start: {why_en} Use ISO 8601 with an offset, e.g. 2026-02-13T10:00:00+07:00.",
        {"field": "start", "value": value},
    )


def parse_aware_datetime(value: str | None) -> dt.datetime:
    if not value or not value.strip():
        raise _invalid_datetime(value, "thiếu giá trị.", "the value is missing.")
    text = value.strip()
    match = _SPACE_OFFSET.match(text)
    if match:
        text = f"{match.group(1)}+{match.group(2)}"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _invalid_datetime(value, "không đọc được.", "it cannot be parsed.") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _invalid_datetime(value, "thiếu múi giờ (offset).", "the UTC offset is missing.")
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise _invalid_datetime(value, f"năm phải trong khoảng {MIN_YEAR}–{MAX_YEAR}.",
                                f"the year must lie in {MIN_YEAR}–{MAX_YEAR}.")
    return moment


def parse_working_days(value: str | None) -> Decimal:
    error = ValidationFailed(
        "INVALID_WORKING_DAYS",
        f"Số ngày làm việc phải là số không âm, tối đa {MAX_WORKING_DAYS} (ví dụ 3 hoặc 0.5).",
        f"working_days must be a non-negative number up to {MAX_WORKING_DAYS} "
        "(e.g. 3 or 0.5).",
        {"field": "working_days", "value": value, "max": MAX_WORKING_DAYS},
    )
    if value is None or len(value) > 32:
        raise error
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise error from None
    if not number.is_finite() or number < 0 or number > MAX_WORKING_DAYS:
        raise error
    return number


def parse_date(value: str | None) -> dt.date:
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        day = None
    if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValidationFailed(
            "INVALID_DATE", "Ngày không hợp lệ; dùng dạng YYYY-MM-DD, ví dụ 2026-02-17.",
            "Invalid date; use YYYY-MM-DD, e.g. 2026-02-17.", {"field": "date", "value": value},
        )
    return day


def parse_year(value: str | None) -> int:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit() and MIN_YEAR <= int(text) <= MAX_YEAR):
        raise ValidationFailed(
            "INVALID_YEAR", f"Năm phải là số trong khoảng {MIN_YEAR}–{MAX_YEAR}.",
            f"The year must be a number in {MIN_YEAR}–{MAX_YEAR}.",
            {"field": "year", "value": value},
        )
    return int(text)


def _day_out(info: calendar.DayInfo) -> dict[str, object]:
    return {"date": info.day, "working": info.working, "reason": info.reason,
            "source": info.source, "weekday": calendar.WEEKDAY_NAMES_VI[info.day.weekday()]}


def _override_out(override: CalendarOverride) -> dict[str, object]:
    return {"id": override.pk, "date": override.date, "kind": override.kind,
            "kind_label": override.get_kind_display(), "reason": override.reason}


@router.get("/deadline", response={200: DeadlineOut, 404: ErrorOut, 422: ErrorOut}, auth=None,
            summary="Hạn giải quyết / due moment after N working days or under a procedure's rule",
            openapi_extra=_PARAMS_DEADLINE)
def deadline(request: HttpRequest, start: str | None = None, working_days: str | None = None,
             agency: str | None = None, procedure: str | None = None) -> dict[str, object]:
    """Due moment = start + working_days × (daily office time) of office time.

    A start outside office time counts from the next office period. ``agency`` (identifier
    code) selects that agency's office hours; default 07:30–11:30, 13:30–17:30.
    ``procedure`` (catalogue code) applies that procedure's deadline rule instead — working
    days, same day with a 15:00 cut-off (Decree 23/2015 art. 7) or office hours — and then
    ``working_days`` must be left out.
    """
    moment = parse_aware_datetime(start)
    office = None
    if agency:
        office = selectors.agency_for_office_hours(agency)
        if office is None:
            raise DomainError("AGENCY_NOT_FOUND", "Không tìm thấy cơ quan.",
                              "Agency not found.", {"agency": agency}, status=404)
    if procedure is not None:
        if working_days is not None:
            raise ValidationFailed(
                "DEADLINE_PARAMETERS_CONFLICT",
                "Chỉ dùng một trong hai: mã thủ tục (procedure) hoặc số ngày làm việc.",
                "Give either procedure or working_days, not both.",
                {"procedure": procedure, "working_days": working_days})
        found = selectors.procedure_for_deadline(procedure)
        if found is None:
            raise DomainError("PROCEDURE_NOT_FOUND", "Không tìm thấy thủ tục hành chính.",
                              "Procedure not found.", {"procedure": procedure}, status=404)
        rule = deadlines.DeadlineRule.of(found)
    else:
        rule = deadlines.DeadlineRule(working_days=parse_working_days(working_days))
    due = deadlines.due_moment(moment, rule, agency=office)
    return {"due": due.isoformat(), "kind": rule.kind, "rule_vi": rule.describe_vi(),
            "procedure": procedure}


@router.get("/is-working-day", response={200: DayOut, 422: ErrorOut}, auth=None,
            summary="Ngày làm việc? / is this a working day", openapi_extra=_PARAMS_DATE)
def is_working_day(request: HttpRequest, date: str | None = None) -> dict[str, object]:
    return _day_out(calendar.day_info(parse_date(date)))


@router.get("/holidays", response={200: list[CalendarDayOut], 422: ErrorOut}, auth=None,
            summary="Ngày nghỉ và ngày làm bù trong năm / days off and make-up days",
            openapi_extra=_PARAMS_YEAR)
def holidays_of_year(request: HttpRequest, year: str | None = None) -> list[dict[str, object]]:
    """Weekdays that are off and weekend days that are worked (holidays and overrides)."""
    return [_day_out(info) for info in calendar.year_exceptions(parse_year(year))]


@router.get("/overrides", response={200: list[OverrideOut], 422: ErrorOut}, auth=None,
            summary="Điều chỉnh lịch làm việc / calendar overrides",
            openapi_extra=_PARAMS_YEAR_OPTIONAL)
def list_overrides(request: HttpRequest, year: str | None = None) -> list[dict[str, object]]:
    chosen = parse_year(year) if year is not None else None
    return [_override_out(o) for o in selectors.override_list(year=chosen)]


def _user(request: HttpRequest) -> object:
    # The router's default auth has already authenticated the caller (bearer or session).
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        raise AuthenticationError()
    return user


@router.post("/overrides", response={201: OverrideOut, 401: ErrorOut, 403: ErrorOut,
                                     409: ErrorOut, 422: ErrorOut},
             summary="Thêm điều chỉnh lịch (quản trị tỉnh) / add an override (province admin)")
def create_override(request: HttpRequest, payload: OverrideIn) -> Status:
    override = services.override_create(acting_user=_user(request), date=payload.date,
                                        kind=payload.kind, reason=payload.reason)
    return Status(201, _override_out(override))


@router.delete("/overrides/{date}", response={204: None, 401: ErrorOut, 403: ErrorOut,
                                              404: ErrorOut, 422: ErrorOut},
               summary="Xóa điều chỉnh lịch (quản trị tỉnh) / delete an override",
               openapi_extra={PARAMS_KEY: {"date": {"required": True, "schema": _DATE}}})
def delete_override(request: HttpRequest, date: str) -> Status:
    user = _user(request)
    # Permission before existence: a non-admin learns nothing about which dates exist.
    require_calendar_editor(user)
    override = selectors.override_by_date(parse_date(date))
    if override is None:
        raise NotFound("Không tìm thấy điều chỉnh cho ngày này.",
                       "No override for this date.", {"date": date})
    services.override_delete(acting_user=user, override=override)
    return Status(204, None)
