"""Polish: plurals in English ("1 working day"), Vietnamese digit grouping for counts."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from django.utils import translation

from tinhso.portal.templatetags.tinhso_ui import deadline, so, workdays


def test_working_days_plural() -> None:
    assert workdays(Decimal("1")) == "1 ngày làm việc"
    with translation.override("en"):
        assert workdays(Decimal("1")) == "1 working day"
        assert workdays(Decimal("3")) == "3 working days"
        assert workdays(Decimal("1.5")) == "1,5 working days"
        hours = SimpleNamespace(deadline_kind="hours", processing_hours=Decimal("1"))
        assert deadline(hours) == "1 office hour"


def test_vietnamese_digit_grouping() -> None:
    assert so(1999) == "1.999" and so(569000) == "569.000" and so(12) == "12"
    assert so("x") == "x"
