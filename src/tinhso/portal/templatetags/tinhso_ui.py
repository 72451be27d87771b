"""Template helpers of the shared look: money, working days, query strings, status badges."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def dong(amount: Any) -> str:
    """An amount of money as written in Vietnamese: ``1250000`` → ``1.250.000 đ`` (0 → 0 đ)."""
    try:
        value = int(amount or 0)
    except (TypeError, ValueError):
        return str(amount)
    return f"{value:,}".replace(",", ".") + " đ"


@register.filter
def vnd(amount: Any) -> str:
    """``150000`` → ``150.000 đ`` (Vietnamese thousands separator); 0 → free of charge."""
    try:
        value = int(amount or 0)
    except (TypeError, ValueError):
        return str(amount)
    if value == 0:
        return _("Không mất phí")
    return f"{value:,}".replace(",", ".") + " đ"


@register.filter
def workdays(value: Any) -> str:
    """``Decimal('3.0')`` → ``3 ngày làm việc``; ``0.5`` → ``trong ngày``-style half day."""
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return str(value)
    if number <= 0:
        return _("Trong ngày")
    text = f"{number.normalize():f}".replace(".", ",")
    # Vietnamese has one form; English says "1 working day", "1,5 working days".
    return ngettext("%(n)s ngày làm việc", "%(n)s ngày làm việc",
                    1 if number == 1 else 2) % {"n": text}


@register.filter
def deadline(procedure: Any) -> str:
    """The procedure's time limit in words: working days, same day with its cut-off (Decree
    23/2015 art. 7), or office hours (docs/workdays.md, "Deadline kinds")."""
    kind = getattr(procedure, "deadline_kind", "working_days")
    if kind == "same_day":
        from tinhso.workdays.deadlines import DeadlineRule

        cutoff = DeadlineRule.of(procedure).effective_cutoff()
        return _("Trong ngày (nhận sau %(t)s: ngày làm việc tiếp theo)") % {
            "t": cutoff.strftime("%H:%M")}
    if kind == "hours" and procedure.processing_hours is not None:
        hours = Decimal(procedure.processing_hours)
        text = f"{hours.normalize():f}".replace(".", ",")
        return ngettext("%(n)s giờ làm việc", "%(n)s giờ làm việc",
                        1 if hours == 1 else 2) % {"n": text}
    return workdays(procedure.processing_days)


@register.simple_tag(takes_context=True)
def query(context: template.Context, **changes: Any) -> str:
    """The current GET query with some keys replaced (None/"" removes them); cursors dropped."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else {}
    for key in ("after", "before", "page"):
        params.pop(key, None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return urlencode(sorted((k, v) for k, v in params.items()))


STATUS_CLASS = {1: "", 2: "", 3: "badge-late", 4: "", 5: "badge-partial", 6: "badge-partial",
                7: "", 8: "badge-late", 9: "badge-ok", 10: "badge-ok"}


@register.filter
def status_class(status: Any) -> str:
    try:
        return STATUS_CLASS.get(int(status), "")
    except (TypeError, ValueError):
        return ""


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def level_now(procedure: Any) -> str:
    """The implementing level in the structure in force: a district procedure is done at the
    commune after 1 July 2025 (the district level was abolished)."""
    from tinhso.portal.catalogue import after_reform

    if getattr(procedure, "level", "") == "district" and after_reform():
        return str(_("Cấp xã"))
    return str(procedure.get_level_display())


@register.filter
def so(value: Any) -> str:
    """``1999`` → ``1.999``: Vietnamese digit grouping for counts shown on pages (never for
    codes, years or ids)."""
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return str(value)
