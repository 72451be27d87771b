"""Writes on the calendar: create and delete overrides (province admins only).

Each service runs in one transaction with its AuditLog row. The in-process calendar cache is
dropped by the model signals at once and again on commit; other processes notice the change
through the stamp check in ``calendar.py`` within ``WORKDAYS_CACHE_TTL`` seconds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from tinhso.accounts.services import audit_log_write
from tinhso.core.errors import Conflict, ValidationFailed
from tinhso.core.text import nfc
from tinhso.workdays.calendar import default_day_info, invalidate_cache
from tinhso.workdays.models import CalendarOverride, OverrideKind
from tinhso.workdays.permissions import require_calendar_editor

MAX_REASON = 255
# Overrides outside this window are almost surely typos (e.g. 2062 for 2026).
MIN_YEAR, MAX_YEAR = 1990, 2200


def _audit_data(override: CalendarOverride) -> dict[str, Any]:
    return {"date": override.date.isoformat(), "kind": override.kind, "reason": override.reason}


def validate_override(*, date: Any, kind: Any, reason: Any,
                      exclude_pk: int | None = None) -> tuple[dt.date, str, str]:
    """Check an override's fields; return them cleaned. Shared by the services and the admin."""
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise ValidationFailed("INVALID_DATE", "Ngày không hợp lệ.", "The date is invalid.",
                               {"field": "date"})
    if not MIN_YEAR <= date.year <= MAX_YEAR:
        raise ValidationFailed(
            "INVALID_DATE", f"Ngày phải nằm trong các năm {MIN_YEAR}–{MAX_YEAR}.",
            f"The date must lie in the years {MIN_YEAR}–{MAX_YEAR}.", {"field": "date"},
        )
    if kind not in OverrideKind.values:
        raise ValidationFailed(
            "INVALID_OVERRIDE_KIND", "Loại điều chỉnh phải là 'working' hoặc 'day_off'.",
            "The override kind must be 'working' or 'day_off'.",
            {"field": "kind", "allowed": list(OverrideKind.values)},
        )
    cleaned = " ".join(nfc(reason if isinstance(reason, str) else "").split())
    if not cleaned or len(cleaned) > MAX_REASON:
        raise ValidationFailed(
            "INVALID_REASON", f"Lý do không được để trống và tối đa {MAX_REASON} ký tự.",
            f"The reason must not be empty and has at most {MAX_REASON} characters.",
            {"field": "reason"},
        )
    default = default_day_info(date)
    if default.working == (kind == OverrideKind.WORKING):
        # E.g. "day off" on a Sunday or "working" on an ordinary Tuesday: almost always the
        # wrong kind was picked, so say so instead of storing a row that changes nothing.
        state_vi = "ngày làm việc" if default.working else "ngày nghỉ"
        state_en = "a working day" if default.working else "a day off"
        raise ValidationFailed(
            "OVERRIDE_NO_EFFECT",
            f"Ngày {date:%d/%m/%Y} đã là {state_vi} ({default.reason}); điều chỉnh không có "
            "tác dụng.",
            f"{date.isoformat()} is already {state_en} ({default.reason}); the override would "
            "change nothing.",
            {"date": date.isoformat(), "kind": kind, "default_reason": default.reason},
        )
    taken = CalendarOverride.objects.filter(date=date)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _exists(date)
    return date, str(kind), cleaned


def _exists(date: dt.date) -> Conflict:
    return Conflict(
        "OVERRIDE_EXISTS", f"Ngày {date:%d/%m/%Y} đã có điều chỉnh.",
        f"{date.isoformat()} already has an override.", {"date": date.isoformat()},
    )


def override_create(*, acting_user: Any, date: dt.date, kind: str,
                    reason: str) -> CalendarOverride:
    """Mark ``date`` as worked (make-up day) or off (swapped or provincial day off)."""
    require_calendar_editor(acting_user)
    date, kind, reason = validate_override(date=date, kind=kind, reason=reason)
    try:
        with transaction.atomic():
            override = CalendarOverride.objects.create(date=date, kind=kind, reason=reason)
            audit_log_write(actor=acting_user, action="override_create",
                            object_type="calendar_override", object_id=override.pk,
                            data=_audit_data(override))
            transaction.on_commit(invalidate_cache)
    except IntegrityError as exc:  # a concurrent create of the same date won the race
        raise _exists(date) from exc
    return override


def override_update(*, acting_user: Any, override: CalendarOverride, kind: str,
                    reason: str) -> CalendarOverride:
    """Change the kind or reason of an override (used by the admin)."""
    require_calendar_editor(acting_user)
    _, kind, reason = validate_override(date=override.date, kind=kind, reason=reason,
                                        exclude_pk=override.pk)
    with transaction.atomic():
        before = _audit_data(override)
        override.kind, override.reason = kind, reason
        override.save(update_fields=["kind", "reason", "updated_at"])
        audit_log_write(actor=acting_user, action="override_update",
                        object_type="calendar_override", object_id=override.pk,
                        data={"before": before, "after": _audit_data(override)})
        transaction.on_commit(invalidate_cache)
    return override


def override_delete(*, acting_user: Any, override: CalendarOverride) -> None:
    """Remove an override: the day follows the weekend and holiday rules again."""
    require_calendar_editor(acting_user)
    with transaction.atomic():
        pk, data = override.pk, _audit_data(override)
        override.delete()
        audit_log_write(actor=acting_user, action="override_delete",
                        object_type="calendar_override", object_id=pk, data=data)
        transaction.on_commit(invalidate_cache)
