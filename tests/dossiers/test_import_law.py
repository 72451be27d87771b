"""Imported dossiers are judged like live ones (issue 11): the applicant's supplement time moves
the appointment, so one supplement returned within the shifted appointment is on time in the
766 index (raw tables and facts alike); a land procedure's payment pause moves it too."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.dossiers.test_import import at, record, write
from tinhso.dossiers.importer import import_dossiers
from tinhso.dossiers.models import Dossier
from tinhso.ioc.selectors import kpi_from_facts, kpi_from_raw

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=7))


def on_time(doc) -> tuple[int, int]:
    ind = next(i for g in doc["groups"] for i in g["indicators"] if i["code"] == "ON_TIME_RATE")
    return ind["numerator"], ind["denominator"]


def one_supplement(agency, procedure, code: str, finished: str) -> dict:
    # Received Mon 4 Mar 08:00, appointment Thu 7 Mar 08:00; supplement requested Mon 10:00,
    # answered Tue 10:00 (8 office hours) ⇒ shifted appointment Fri 8 Mar 08:00.
    return record(agency, procedure, code=code, events=[
        {"at": at(4, 8), "status": 2}, {"at": at(4, 9), "status": 4},
        {"at": at(4, 10), "status": 5}, {"at": at(5, 10), "status": 4},
        {"at": finished, "status": 9}], payments=[], channel="direct")


def test_one_supplement_within_the_shifted_appointment_is_on_time(tmp_path, agency):
    procedure = factories.make_procedure(agencies=[agency])
    rows = [one_supplement(agency, procedure, "HS-A", at(7, 14)),   # after 7 Mar 08:00
            one_supplement(agency, procedure, "HS-B", at(8, 9))]    # after 8 Mar 08:00: late
    result = import_dossiers(write(tmp_path, rows), progress=False)
    assert result.ok, result.errors
    a = Dossier.objects.get(code="HS-A")
    assert a.original_due_at == a.due_at == dt.datetime(2024, 3, 8, 8, tzinfo=TZ)
    scope = f"agency:{agency.code}"
    for doc in (kpi_from_raw(scope, "2024-03-01", "2024-03-31"),
                kpi_from_facts(scope, "2024-03-01", "2024-03-31")):
        # HS-A on time (it would be late against the unshifted 7 Mar), HS-B late.
        assert on_time(doc) == (1, 2)


def test_pauses_that_move_nothing(tmp_path, agency):
    procedure = factories.make_procedure(agencies=[agency])
    late_pause = record(agency, procedure, code="HS-C", channel="direct", payments=[], events=[
        {"at": at(4, 8), "status": 2},
        {"at": at(7, 9), "status": 5},   # requested after the appointment had passed
        {"at": at(8, 9), "status": 4}, {"at": at(8, 10), "status": 9}])
    ended = record(agency, procedure, code="HS-D", channel="direct", payments=[], events=[
        {"at": at(4, 8), "status": 2}, {"at": at(4, 10), "status": 5},
        {"at": at(6, 10), "status": 8}])  # stopped while waiting
    assert import_dossiers(write(tmp_path, [late_pause, ended]), progress=False).ok
    for code in ("HS-C", "HS-D"):
        assert Dossier.objects.get(code=code).original_due_at == \
            dt.datetime(2024, 3, 7, 8, tzinfo=TZ)


def test_payment_pause_moves_the_appointment_only_where_the_procedure_says(tmp_path, agency):
    land = factories.make_procedure(agencies=[agency], fee=50000, payment_pauses_clock=True)
    other = factories.make_procedure(agencies=[agency], fee=50000)

    def paid(procedure, code):
        return record(agency, procedure, code=code, channel="direct", events=[
            {"at": at(4, 8), "status": 2}, {"at": at(5, 8), "status": 6},
            {"at": at(6, 8), "status": 4}, {"at": at(7, 10), "status": 9}],
            payments=[{"at": at(6, 8), "amount": 50000, "online": True}])

    assert import_dossiers(write(tmp_path, [paid(land, "HS-L"), paid(other, "HS-O")]),
                           progress=False).ok
    assert Dossier.objects.get(code="HS-L").original_due_at == \
        dt.datetime(2024, 3, 8, 8, tzinfo=TZ)
    assert Dossier.objects.get(code="HS-O").original_due_at == \
        dt.datetime(2024, 3, 7, 8, tzinfo=TZ)
