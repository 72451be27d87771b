"""The demo generator honours the procedure's deadline kind as the deadline API does: same day
with the 15:00 cut-off (Decree 23/2015 art. 7), office hours, working days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests import factories
from tinhso.dossiers.generator import generate_dossiers
from tinhso.dossiers.models import Dossier
from tinhso.units.models import AgencyKind
from tinhso.workdays import calendar
from tinhso.workdays.deadlines import DeadlineRule, due_moment

pytestmark = pytest.mark.django_db
VN = calendar.local_tz()


def test_generated_due_dates_follow_the_deadline_kind() -> None:
    province = factories.make_province()
    desk = factories.make_agency(unit=province, code="000.00.10.H10", name="Trung tâm PVHCC",
                                 kind=AgencyKind.PUBLIC_SERVICE_CENTRE)
    same_day = factories.make_procedure(agencies=[desk], code="2.000815", processing_days="1",
                                        deadline_kind="same_day", popularity=10)
    hours = factories.make_procedure(agencies=[desk], code="2.000884", processing_days="1",
                                     deadline_kind="hours", processing_hours=Decimal("4"),
                                     popularity=5)
    days = factories.make_procedure(agencies=[desk], code="1.001193", processing_days="3",
                                    popularity=5)
    generate_dossiers(400, seed=11, date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 4, 30),
                      progress=False)
    by_pk = {p.pk: p for p in (same_day, hours, days)}
    checked = {p.pk: 0 for p in by_pk.values()}
    late_in_the_day = 0
    for d in Dossier.objects.filter(received_at__isnull=False, supplement_count=0,
                                    apology_count=0).select_related("agency"):
        procedure = by_pk[d.procedure_id]
        expected = due_moment(d.received_at, DeadlineRule.of(procedure), agency=d.agency)
        assert d.original_due_at == expected, (procedure.deadline_kind, d.received_at)
        checked[procedure.pk] += 1
        if procedure is same_day and d.received_at.astimezone(VN).time() > dt.time(15):
            late_in_the_day += 1
            assert d.original_due_at.astimezone(VN).date() > d.received_at.astimezone(VN).date()
    assert all(n >= 20 for n in checked.values()), checked
    assert late_in_the_day >= 5
    # A same-day dossier received in the morning is due at that day's close, not a day later.
    morning = next(d for d in Dossier.objects.filter(procedure=same_day, supplement_count=0,
                                                     apology_count=0, received_at__isnull=False)
                   if d.received_at.astimezone(VN).time() < dt.time(11))
    assert morning.original_due_at.astimezone(VN) == dt.datetime.combine(
        morning.received_at.astimezone(VN).date(), dt.time(17, 30), tzinfo=VN)
