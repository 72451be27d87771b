"""Deadline kinds (issue 11, "The law"): same day with a 15:00 cut-off, office hours, and the
deadline API applying a procedure's rule. 2026-03-02 is a Monday; 2026-03-06 a Friday."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from tests.factories import make_agency, make_procedure
from tests.workdays.conftest import at
from tinhso.workdays.deadlines import DeadlineRule, due_moment

SAME_DAY = DeadlineRule(kind="same_day", working_days=Decimal(1))


@pytest.mark.parametrize(("start", "due"), [
    # The examples: Monday 08:00 → Monday's close (not Tuesday 08:00) …
    (at(2026, 3, 2, 8), at(2026, 3, 2, 17, 30)),
    # … and Monday 16:00 → all of Tuesday (not Tuesday 16:00).
    (at(2026, 3, 2, 16), at(2026, 3, 3, 17, 30)),
    # "sau 15 giờ" is strictly after: 15:00 itself is still the same day, 15:00:01 is not.
    (at(2026, 3, 2, 15), at(2026, 3, 2, 17, 30)),
    (at(2026, 3, 2, 15, 0, 1), at(2026, 3, 3, 17, 30)),
    # Lunch break: counts from 13:30, before the cut-off.
    (at(2026, 3, 2, 12), at(2026, 3, 2, 17, 30)),
    # After office hours: the next working morning, which is before the cut-off.
    (at(2026, 3, 2, 18), at(2026, 3, 3, 17, 30)),
    # Friday after 15:00 → Monday; Saturday (online) → Monday.
    (at(2026, 3, 6, 16), at(2026, 3, 9, 17, 30)),
    (at(2026, 3, 7, 10), at(2026, 3, 9, 17, 30)),
])
def test_same_day_with_cutoff(db, start, due):
    assert due_moment(start, SAME_DAY) == due


def test_same_day_skips_holidays(db):
    # Thursday 2026-04-30 and Friday 2026-05-01 are public holidays; Wednesday 16:00 → Monday.
    assert due_moment(at(2026, 4, 29, 16), SAME_DAY) == at(2026, 5, 4, 17, 30)


def test_same_day_own_cutoff_and_setting(db, settings):
    rule = DeadlineRule(kind="same_day", cutoff=dt.time(11))
    assert due_moment(at(2026, 3, 2, 11, 30), rule) == at(2026, 3, 3, 17, 30)
    settings.TINHSO_SAME_DAY_CUTOFF = "16:30"
    assert due_moment(at(2026, 3, 2, 16), SAME_DAY) == at(2026, 3, 2, 17, 30)


def test_same_day_uses_agency_close(db, province):
    agency = make_agency(unit=province, code="000.66.00.H10", morning_start=dt.time(7),
                         morning_end=dt.time(11), afternoon_start=dt.time(13),
                         afternoon_end=dt.time(17))
    assert due_moment(at(2026, 3, 2, 9), SAME_DAY, agency=agency) == at(2026, 3, 2, 17)


def test_hours_and_working_days(db):
    hours = DeadlineRule(kind="hours", hours=Decimal("12"))
    # 08:00 Monday + 12 office hours: 3.5 + 4 on Monday, 4 + 0.5 on Tuesday → 14:00 Tuesday.
    assert due_moment(at(2026, 3, 2, 8), hours) == at(2026, 3, 3, 14)
    days = DeadlineRule(working_days=Decimal(3))
    assert due_moment(at(2026, 2, 13, 10), days) == at(2026, 2, 25, 10)
    with pytest.raises(ValueError):
        due_moment(at(2026, 3, 2, 8), DeadlineRule(kind="weeks"))


# ------------------------------------------------------------------------- the API

BASE = "/api/v1/workdays/deadline"


def test_api_applies_the_procedure_rule(db):
    make_procedure(code="2.000815", name="Chứng thực bản sao từ bản chính",
                   processing_days="1", deadline_kind="same_day")
    client = Client()
    res = client.get(BASE, {"start": "2026-03-02T08:00:00+07:00", "procedure": "2.000815"})
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["due"] == "2026-03-02T17:30:00+07:00"
    assert body["kind"] == "same_day"
    assert "15:00" in body["rule_vi"]
    res = client.get(BASE, {"start": "2026-03-02T16:00:00+07:00", "procedure": "2.000815"})
    assert res.json()["due"] == "2026-03-03T17:30:00+07:00"
    # Stored as 1 working day it would have been Tuesday 08:00 / 16:00.
    res = client.get(BASE, {"start": "2026-03-02T08:00:00+07:00", "working_days": "1"})
    assert res.json()["due"] == "2026-03-03T08:00:00+07:00"


def test_api_procedure_errors(db):
    make_procedure(code="1.000001", processing_days="3")
    client = Client()
    res = client.get(BASE, {"start": "2026-03-02T08:00:00+07:00", "procedure": "9.999999"})
    assert res.status_code == 404
    assert res.json()["code"] == "PROCEDURE_NOT_FOUND"
    res = client.get(BASE, {"start": "2026-03-02T08:00:00+07:00", "procedure": "1.000001",
                            "working_days": "2"})
    assert res.status_code == 422
    assert res.json()["code"] == "DEADLINE_PARAMETERS_CONFLICT"
    res = client.get(BASE, {"start": "2026-03-02T08:00:00+07:00", "procedure": "1.000001"})
    assert res.json()["due"] == "2026-03-05T08:00:00+07:00"
    assert res.json()["kind"] == "working_days"


def test_catalogue_data_marks_same_day_and_pausing_procedures():
    import json
    from pathlib import Path

    import tinhso.catalog

    path = Path(tinhso.catalog.__file__).parent / "data" / "procedures.json"
    entries = {e["code"]: e for e in json.loads(path.read_text("utf-8"))["procedures"]}
    # Decree 23/2015 art. 7: copies from originals, signatures, translators' signatures.
    for code in ("2.000815", "2.000884", "2.001008"):
        assert entries[code]["deadline_kind"] == "same_day"
    # Contracts: 2 working days (same article), not same day.
    assert entries["2.001035"].get("deadline_kind", "working_days") == "working_days"
    assert entries["1.012753"]["payment_pauses_clock"] is True
