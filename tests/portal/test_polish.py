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


def test_commands_print_no_cryptography_deprecation_warning() -> None:
    """pyHanko imports cryptography's DSA module: its deprecation warning must not be printed
    by every command (tinhso/__init__.py silences that one warning only)."""
    import subprocess
    import sys
    from pathlib import Path

    tinhso = str(Path(sys.executable).with_name("tinhso"))
    code = ("import tinhso; "
            "import pyhanko.sign.signers, tinhso.signatures")
    out = subprocess.run([sys.executable, "-W", "default", "-c", code],  # noqa: S603
                         capture_output=True, text=True, check=False)
    assert "DSA is deprecated" not in out.stderr
    help_out = subprocess.run([tinhso, "help"], capture_output=True, text=True,  # noqa: S603
                              check=False)
    assert "Deprecat" not in help_out.stderr
