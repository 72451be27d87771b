"""A COPY import killed half-way (SIGKILL: no clean-up code runs) leaves nothing, and the same
file imported again gives every dossier once: the load is one transaction, so it resumes by
starting over (docs/import-dossiers.md, "Killed or failed imports")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from django.db import connection

from tests import factories
from tests.dossiers.test_import import record
from tests.outbox.test_processes import TINHSO
from tests.processes import database_url
from tinhso.dossiers.models import DailySequence, Dossier, DossierEvent
from tinhso.ioc.models import DailyFact, DossierFactState
from tinhso.payments.models import Payment

pytestmark = pytest.mark.slow
LINES = 20_000
WAIT = 120


def _events_sequence() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(pg_sequence_last_value("
                       "pg_get_serial_sequence('dossiers_dossierevent', 'id')), 0)")
        return int(cursor.fetchone()[0])


def _other_sessions_in_transaction() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")
        return int(cursor.fetchone()[0])


def _until(check, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(child) for child in listing.read().split()]
    except FileNotFoundError:
        return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("workers", ["0", "2"])
def test_killed_import_leaves_nothing_and_a_rerun_imports_all(transactional_db, tmp_path,
                                                               workers):
    """With parser processes (``--workers 2``) they exit too when the importer is killed."""
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's (CI's PostgreSQL pass runs this test)")
    agency = factories.make_agency(unit=factories.make_province())
    procedure = factories.make_procedure(agencies=[agency], fee=50000, code="1.001193")
    path = tmp_path / "hoso.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(LINES):
            out.write(json.dumps(record(agency, procedure, code=None if n % 2 else f"HS-{n}"),
                                 ensure_ascii=False) + "\n")
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_VAR_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "tinhso.settings"}
    command = [TINHSO, "import-dossiers", str(path), "--no-progress", "--batch-size", "200",
               "--workers", workers]
    start = _events_sequence()
    log = (tmp_path / "import.log").open("wb")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # Several batches are in the tables (their event ids were drawn), the file not done.
        _until(lambda: _events_sequence() >= start + 4000 or proc.poll() is not None,
               "the import to write its first batches")
        assert proc.poll() is None, "the import ended before it could be killed: use more lines"
        parsers = _children(proc.pid)  # and multiprocessing's resource tracker
        assert len(parsers) >= int(workers), parsers
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(WAIT)
        _until(lambda: not any(_alive(pid) for pid in parsers), "the parser processes to exit")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(WAIT)
    # PostgreSQL sees the connection drop and rolls the transaction back.
    _until(lambda: _other_sessions_in_transaction() == 0, "the killed session to end")
    for model in (Dossier, DossierEvent, Payment, DossierFactState, DailyFact, DailySequence):
        assert not model.objects.exists(), model.__name__

    rerun = subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)

    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    assert Dossier.objects.count() == LINES
    assert DossierFactState.objects.count() == LINES
    assert Payment.objects.count() == LINES
    assert DossierEvent.objects.count() == LINES * len(record(agency, procedure)["events"])
