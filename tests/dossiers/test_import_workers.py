"""The COPY import with parser processes (``workers``): the end state, the errors and the
all-or-nothing of the import in one process (import_workers.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tests import factories
from tests.dossiers.test_import import write
from tests.dossiers.test_import_copy import end_state, varied_rows
from tinhso.dossiers.import_workers import draw_ids, parallel_batches, runs
from tinhso.dossiers.importer import import_dossiers
from tinhso.dossiers.models import DailySequence, Dossier, DossierEvent
from tinhso.ioc.models import DailyFact, DossierFactState, MonthlyFact, OpenMonthFact
from tinhso.payments.models import Payment

pytestmark = pytest.mark.slow


@pytest.fixture
def setting(transactional_db):
    # Parser processes have their own connection: they see committed rows only.
    if connection.vendor != "postgresql":
        pytest.skip("the COPY import path is PostgreSQL's (CI's PostgreSQL pass runs this)")
    agency = factories.make_agency(unit=factories.make_province())
    paid = factories.make_procedure(agencies=[agency], fee=50000, code="1.001193")
    free = factories.make_procedure(agencies=[agency], code="1.000002")
    return agency, paid, free


def _wipe() -> None:
    for model in (DossierFactState, DailyFact, MonthlyFact, OpenMonthFact, Payment, DossierEvent,
                  Dossier, DailySequence):
        model.objects.all().delete()


def test_parser_processes_leave_the_one_process_end_state(tmp_path: Path, setting):
    agency, paid, free = setting
    # Duplicates and bad lines fall in batches parsed by different processes.
    rows = varied_rows(agency, paid, free) * 2
    path = write(tmp_path, rows)
    alone = import_dossiers(path, skip_bad=True, batch_size=3, progress=False, workers=0)
    expected = end_state()
    _wipe()

    shared = import_dossiers(path, skip_bad=True, batch_size=3, progress=False, workers=2)

    assert (shared.lines, shared.imported, shared.skipped, shared.events, shared.payments) == (
        alone.lines, alone.imported, alone.skipped, alone.events, alone.payments)
    assert [str(e) for e in shared.errors] == [str(e) for e in alone.errors]
    # The second copy: its coded lines are duplicates, its uncoded ones new dossiers.
    assert shared.imported == 23 and shared.skipped == 11
    assert end_state() == expected
    for state in DossierFactState.objects.all():  # each state knows its dossier's newest event
        newest = DossierEvent.objects.filter(dossier_id=state.dossier_id).order_by("-id")[0]
        assert state.last_event_id == newest.id


def test_bad_line_with_parser_processes_leaves_nothing(tmp_path: Path, setting):
    path = write(tmp_path, varied_rows(*setting))

    result = import_dossiers(path, batch_size=2, progress=False, workers=2)

    assert not result.ok and result.imported == 0
    assert [(e.line, e.en.split(" (")[0]) for e in result.errors] == [
        (16, "invalid JSON"), (17, "duplicate dossier code HS-CU-000000")]
    for model in (Dossier, DossierEvent, Payment, DossierFactState, DailyFact, DailySequence):
        assert not model.objects.exists(), model.__name__


def test_a_parser_process_that_cannot_start_fails_the_import(setting):
    database = {**connection.settings_dict, "NAME": "tinhso_no_such_database"}
    batches = parallel_batches(iter([[(1, b"{}")]]), workers=1, database=database,
                               now=timezone.now())

    with pytest.raises(RuntimeError, match="parser process could not start"):
        list(batches)


def test_runs_of_consecutive_values():
    assert runs([1, 2, 3, 7, 8, 10]) == [range(1, 4), range(7, 9), range(10, 11)]
    assert runs([5]) == [range(5, 6)] and runs([]) == []


def test_parallel_draws_take_turns(setting):
    """Two sessions drawing ids at once got interleaved values (a million one-value ranges);
    the draws now take turns, so each block is one range and none is shared."""
    sequence = "dossiers_dossierevent_id_seq"
    drawn: list[list[range]] = []
    start = threading.Barrier(2)

    def draw() -> None:
        try:
            start.wait()
            for _ in range(3):
                with connection.cursor() as cursor:
                    drawn.append(draw_ids(cursor, sequence, 50_000))
        finally:
            connection.close()

    threads = [threading.Thread(target=draw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [len(block) for block in drawn] == [1] * 6
    values = [v for block in drawn for r in block for v in r]
    assert len(values) == len(set(values)) == 300_000
