"""A dossier's row lock covers that dossier only (PostgreSQL).

The 30-minute load test found deadlocks at COMMIT: `lock_dossier` used a plain
``SELECT … FOR UPDATE`` joined with the procedure and the agency, which locked those shared rows
too. Every new dossier's foreign-key checks (``FOR KEY SHARE`` of its procedure and agency) then
waited for any reception in progress, and a submission holding its day's sequence row while a
reception waited for that row deadlocked. Here a reception holds its lock while a citizen submits
to the same procedure and agency: the submission must commit without waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from tests.dossiers.conftest import pdf
from tinhso.dossiers import services
from tinhso.dossiers.models import Dossier
from tinhso.dossiers.services._common import lock_dossier

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    # SQLite serialises writers with IMMEDIATE transactions; the row-lock scope is PostgreSQL's.
    # CI runs the suite on PostgreSQL too, where this runs.
    if connection.vendor != "postgresql":
        pytest.skip("row-lock scope is a PostgreSQL matter")


def submit(citizen, procedure, agency) -> Dossier:
    return services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "A"}, files=[("to-khai", pdf())])


def while_locked(dossier: Dossier, other: Callable[[], object]) -> dict[str, object]:
    """Hold ``lock_dossier(dossier)`` in one thread while ``other`` runs in another (with its own
    connection); ``other``'s result or exception comes back as ``result`` or ``error``."""
    locked = threading.Event()
    release = threading.Event()
    outcome: dict[str, object] = {}

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                lock_dossier(dossier)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    def run_other() -> None:
        try:
            locked.wait(30)
            outcome["result"] = other()
        except Exception as exc:  # asserted on by the tests
            outcome["error"] = exc
        finally:
            release.set()
            connection.close()

    threads = [threading.Thread(target=hold_lock), threading.Thread(target=run_other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcome


def test_a_held_dossier_lock_does_not_block_new_dossiers_of_its_procedure(
        citizen, procedure, agency, media_root):
    held = submit(citizen, procedure, agency)

    def submit_meanwhile() -> Dossier:
        with connection.cursor() as cursor:
            # Without the fix this commit waits for the holder: fail fast instead of hanging.
            cursor.execute("SET lock_timeout = '3s'")
        return submit(citizen, procedure, agency)

    outcome = while_locked(held, submit_meanwhile)
    assert "error" not in outcome, outcome
    assert isinstance(outcome["result"], Dossier)
    assert Dossier.objects.filter(procedure=procedure).count() == 2


def test_the_lock_still_excludes_a_second_locker_of_the_same_dossier(
        citizen, procedure, agency, media_root):
    dossier = submit(citizen, procedure, agency)

    def lock_again() -> bool:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '500ms'")
            lock_dossier(dossier)
        return True

    outcome = while_locked(dossier, lock_again)
    assert "result" not in outcome
    assert "lock timeout" in str(outcome["error"])
