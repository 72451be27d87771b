"""The PostgreSQL COPY path of the import: same end state as the row path, all-or-nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from tests import factories
from tests.dossiers import test_generator
from tests.dossiers.test_import import TAX_CODE, at, record, write
from tinhso.core import hooks
from tinhso.dossiers.importer import import_dossiers
from tinhso.dossiers.models import DailySequence, Dossier, DossierEvent
from tinhso.ioc.models import DailyFact, DossierFactState, MonthlyFact, OpenMonthFact
from tinhso.payments.models import Payment


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    # The COPY path exists only on PostgreSQL; CI runs the suite on PostgreSQL too, where
    # these tests run (DATABASE_URL=postgres://… makes the vendor postgresql, never a skip).
    if connection.vendor != "postgresql":
        pytest.skip("the COPY import path is PostgreSQL's")


@pytest.fixture
def procedures(db, agency):
    paid = factories.make_procedure(agencies=[agency], fee=50000, code="1.001193")
    free = factories.make_procedure(agencies=[agency], code="1.000002")
    return paid, free


def varied_rows(agency, paid, free) -> list[Any]:
    """Coded and uncoded lines, codes in our format, pauses, refusals, withdrawals, bad lines."""
    rows: list[Any] = []
    for n in range(12):
        day = 4 + n % 3
        rows.append(record(agency, paid, code=None if n % 2 else f"HS-CU-{n:06d}",
                           received_at=at(day, 8), due_at=at(day + 3, 8),
                           events=[{"at": at(day - 1, 20), "status": 1},
                                   {"at": at(day, 8), "status": 2},
                                   {"at": at(day, 9), "status": 4},
                                   {"at": at(day, 10), "status": 5},
                                   {"at": at(day + 1, 10), "status": 4},
                                   {"at": at(day + 1, 11), "status": 5},
                                   {"at": at(day + 2, 10), "status": 4},
                                   {"at": at(day + 2, 11), "status": 9},
                                   {"at": at(day + 8, 9), "status": 10}]))
    rows.append(record(agency, free, code=f"{agency.code}-240305-0007", channel="direct",
                       received_at=at(5, 8), due_at=at(6, 8), payments=[],
                       events=[{"at": at(5, 8), "status": 2}, {"at": at(5, 9), "status": 4},
                               {"at": at(5, 10), "status": 5}]))
    rows.append(record(agency, free, code=None, channel="postal", payments=[], rating=None,
                       applicant={"kind": "organisation", "id_number": TAX_CODE,
                                  "name": "Công ty TNHH Hòa Bình"},
                       events=[{"at": at(4, 8), "status": 3}]))
    rows.append(record(agency, free, code=None, payments=[], rating=None,
                       events=[{"at": at(4, 8), "status": 2}, {"at": at(4, 9), "status": 7}]))
    rows.append("nonsense")
    rows.append(record(agency, paid, code="HS-CU-000000"))  # duplicate of the first line
    return rows


def end_state() -> dict[str, Any]:
    """Everything an import leaves, without the ids (they differ between two runs)."""
    codes = dict(Dossier.objects.values_list("id", "code"))
    skip = {"id", "created_at", "updated_at"}
    fields = [f.attname for f in Dossier._meta.concrete_fields if f.attname not in skip]
    return {
        "dossiers": sorted(tuple(str(v) for v in row)
                           for row in Dossier.objects.values_list(*fields)),
        "events": sorted((codes[e.dossier_id], e.at, e.action, e.from_status, e.to_status,
                          e.due_at, sorted(e.data.items()), e.note)
                         for e in DossierEvent.objects.all()),
        "payments": sorted((codes[p.dossier_id], p.amount, p.status, p.online, p.method,
                            p.requested_at, p.paid_at, p.description)
                           for p in Payment.objects.all()),
        "states": sorted(
            (codes[s["dossier_id"]], *(v for k, v in sorted(s.items())
                                       if k not in ("dossier_id", "last_event_id")))
            for s in DossierFactState.objects.values()),
        "daily": sorted(tuple(sorted((k, v) for k, v in r.items() if k != "id"))
                        for r in DailyFact.objects.values()),
        "monthly": sorted(tuple(sorted((k, v) for k, v in r.items() if k != "id"))
                          for r in MonthlyFact.objects.values()),
        "open": sorted(tuple(sorted((k, v) for k, v in r.items() if k != "id"))
                       for r in OpenMonthFact.objects.values()),
        "sequences": sorted(DailySequence.objects.values_list("agency_id", "day", "last_value")),
    }


def test_copy_path_leaves_the_row_paths_end_state(tmp_path: Path, agency, procedures):
    path = write(tmp_path, varied_rows(agency, *procedures))
    # A live dossier took a code of the same day before the import: generated codes follow it.
    DailySequence.objects.create(agency=agency, day=dt.date(2024, 3, 4), last_value=3)

    with transaction.atomic():
        by_rows = import_dossiers(path, skip_bad=True, batch_size=4, progress=False,
                                  method="rows")
        expected = end_state()
        transaction.set_rollback(True)
    assert not Dossier.objects.exists()

    by_copy = import_dossiers(path, skip_bad=True, batch_size=4, progress=False, method="copy")

    assert (by_copy.lines, by_copy.imported, by_copy.skipped, by_copy.events,
            by_copy.payments) == (by_rows.lines, by_rows.imported, by_rows.skipped,
                                  by_rows.events, by_rows.payments) == (17, 15, 2, 114, 12)
    assert [str(e) for e in by_copy.errors] == [str(e) for e in by_rows.errors]
    assert expected["daily"] and expected["monthly"] and expected["open"] and expected["states"]
    assert end_state() == expected
    # Generated codes: consecutive after the live one, in line order.
    assert Dossier.objects.filter(code__startswith=f"{agency.code}-240304-").count() == 4
    assert Dossier.objects.filter(code=f"{agency.code}-240304-0004").exists()
    # Later events of these dossiers are counted once: the state knows their newest event.
    for state in DossierFactState.objects.all():
        newest = DossierEvent.objects.filter(dossier_id=state.dossier_id).order_by("-id")[0]
        assert state.last_event_id == newest.id


def test_bad_line_without_skip_bad_leaves_nothing(tmp_path: Path, agency, procedures):
    rows = varied_rows(agency, *procedures)
    path = write(tmp_path, rows)

    result = import_dossiers(path, batch_size=2, progress=False, method="copy")

    assert not result.ok and result.imported == 0
    assert [(e.line, e.en.split(" (")[0]) for e in result.errors] == [
        (16, "invalid JSON"), (17, "duplicate dossier code HS-CU-000000")]
    assert not Dossier.objects.exists() and not DossierEvent.objects.exists()
    assert not Payment.objects.exists() and not DossierFactState.objects.exists()
    assert not DailyFact.objects.exists() and not DailySequence.objects.exists()


def test_failure_half_way_leaves_nothing(tmp_path: Path, agency, procedures, monkeypatch):
    """A subscriber without a bulk loader still sees the events by batch, after the move; when
    it fails, the whole load — dossiers, events, facts, counters — rolls back."""
    seen: list[int] = []

    def failing(events):
        seen.append(len(events))
        if len(seen) == 2:
            raise RuntimeError("database went away")

    loader_of_ioc = list(hooks._bulk_subscribers)
    monkeypatch.setattr(hooks, "_bulk_subscribers", [*loader_of_ioc, failing])
    rows = [record(agency, procedures[0], code=None) for _ in range(3)]

    with pytest.raises(RuntimeError):
        import_dossiers(write(tmp_path, rows), batch_size=2, progress=False, method="copy")

    assert seen == [16, 8]
    assert not Dossier.objects.exists() and not DossierEvent.objects.exists()
    assert not DossierFactState.objects.exists() and not DailyFact.objects.exists()
    assert not DailySequence.objects.exists()


def test_code_taken_in_the_database_is_reported(tmp_path: Path, agency, procedures):
    first = write(tmp_path, [record(agency, procedures[0], code="HS-CU-1")])
    assert import_dossiers(first, progress=False, method="copy").imported == 1
    second = tmp_path / "second.jsonl"
    second.write_text(first.read_text(encoding="utf-8"), encoding="utf-8")

    result = import_dossiers(second, progress=False, method="copy")

    assert [str(e) for e in result.errors] == [
        "line 1: dossier code HS-CU-1 already exists in the database / "
        "dòng 1: mã hồ sơ HS-CU-1 đã có trong cơ sở dữ liệu"]
    assert Dossier.objects.count() == 1 and DossierFactState.objects.count() == 1


demo = test_generator.demo  # the generator tests' demo province (a fixture)


def test_generator_facts_equal_a_rebuild(demo):
    """The demo generator on PostgreSQL: COPY and the set-based IOC loader give the facts a
    rebuild from the raw tables gives."""
    from tinhso.dossiers.generator import generate_dossiers
    from tinhso.ioc.facts import verify

    made = generate_dossiers(400, seed=7, date_from=dt.date(2023, 3, 1),
                             date_to=dt.date(2023, 6, 30), progress=False, batch_size=150)

    assert made == 400 and DossierFactState.objects.count() == 400
    assert DailyFact.objects.exists() and verify() == []
