"""The demo generator's COPY path (PostgreSQL): the same dossiers, events, steps, payments,
codes and IOC facts as the row path for a fixed seed; all-or-nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction

from tests.dossiers import test_generator
from tests.dossiers.test_import_copy import end_state
from tinhso.core import hooks
from tinhso.dossiers.generator import generate_dossiers
from tinhso.dossiers.models import DailySequence, Dossier, DossierEvent, DossierStep
from tinhso.ioc.facts import verify
from tinhso.ioc.models import DailyFact, DossierFactState
from tinhso.payments.models import Payment

demo = test_generator.demo  # the generator tests' demo province (a fixture)


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("the generator's COPY path is PostgreSQL's")


def _generate(method: str, **kw: Any) -> int:
    # A cut-off inside the range: open dossiers, paused ones and unpaid fees are in it too.
    return generate_dossiers(300, seed=11, date_from=dt.date(2023, 1, 2),
                             date_to=dt.date(2023, 4, 28), progress=False, batch_size=70,
                             now=dt.datetime(2023, 4, 20, 10, tzinfo=dt.UTC), method=method,
                             **kw)


def _state() -> dict[str, Any]:
    """end_state of the import tests, plus the steps, with the payment ids in the events'
    data replaced by their dossier's code (ids differ between two runs)."""
    state = end_state()
    codes = dict(Dossier.objects.values_list("id", "code"))
    payment_of = {p: codes[d] for p, d in Payment.objects.values_list("id", "dossier_id")}
    state["events"] = sorted(
        (codes[e.dossier_id], e.at, e.actor_id, e.action, e.from_status, e.to_status, e.due_at,
         sorted((k, payment_of[v] if k == "payment" else v) for k, v in e.data.items()), e.note)
        for e in DossierEvent.objects.all())
    state["steps"] = sorted(
        (codes[s.dossier_id], s.index, s.code, s.name, s.role, s.assignee_id, s.started_at,
         s.due_at, s.finished_at) for s in DossierStep.objects.all())
    # Every event order by id within a dossier follows its time, as on the row path.
    for dossier_id in codes:
        ats = list(DossierEvent.objects.filter(dossier_id=dossier_id).order_by("id")
                   .values_list("at", flat=True))
        assert ats == sorted(ats)
    return state


def test_copy_path_writes_what_the_row_path_writes(demo):
    # A live dossier took a code of one of the days before the load: both paths follow it.
    ward = demo["wards"][0]
    DailySequence.objects.create(agency=ward, day=dt.date(2023, 1, 3), last_value=5)
    with transaction.atomic():
        by_rows = _generate("rows")
        expected = _state()
        transaction.set_rollback(True)
    assert not Dossier.objects.exists()

    by_copy = _generate("copy")

    assert by_copy == by_rows > 200
    got = _state()
    assert expected["steps"] and expected["payments"] and expected["daily"]
    assert any(s[-1] is None for s in expected["steps"])  # open dossiers are in the sample
    for key in expected:
        assert got[key] == expected[key], key
    assert verify() == []
    assert not Dossier.objects.filter(agency=ward, code__endswith="-230103-0001").exists()


def test_failure_half_way_leaves_nothing(demo, monkeypatch):
    seen: list[int] = []

    def failing(events):
        seen.append(len(events))
        if len(seen) == 2:
            raise RuntimeError("database went away")

    monkeypatch.setattr(hooks, "_bulk_subscribers", [*hooks._bulk_subscribers, failing])
    with pytest.raises(RuntimeError):
        _generate("copy")

    assert len(seen) == 2
    assert not Dossier.objects.exists() and not DossierEvent.objects.exists()
    assert not DossierStep.objects.exists() and not Payment.objects.exists()
    assert not DossierFactState.objects.exists() and not DailyFact.objects.exists()
    assert not DailySequence.objects.exists()


def test_copy_path_needs_postgresql_and_a_known_method(demo):
    with pytest.raises(ValueError, match="unknown method"):
        _generate("fast")
