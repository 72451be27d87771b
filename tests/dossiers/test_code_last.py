"""An online submission takes its day's code LAST, just before the commit (decision 0028).

The day's counter row of an agency is locked from the increment to the commit, and every
submission to that agency that day queues on it. The dossier, attachments, key, event and
outbox row are written first with a pending code; one final statement takes the number and
writes the code into the dossier and its outbox payload. Codes stay gap-free and unique.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.dossiers.conftest import pdf
from tinhso.core.errors import Conflict
from tinhso.dossiers import services
from tinhso.dossiers.codes import PENDING_PREFIX
from tinhso.dossiers.models import DailySequence, Dossier
from tinhso.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db(transaction=True)


def submit(citizen, procedure, agency, key: str | None = None, name: str = "A") -> Dossier:
    return services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": name}, files=[("to-khai", pdf())], idempotency_key=key)


def test_the_code_reaches_the_dossier_and_its_outbox_payload(citizen, procedure, agency,
                                                             media_root):
    dossier = submit(citizen, procedure, agency)
    stored = Dossier.objects.get(pk=dossier.pk)
    assert stored.code == dossier.code
    assert dossier.code.endswith("-0001") and dossier.code.startswith(agency.code + "-")
    [event] = OutboxEvent.objects.filter(aggregate_type="dossier", aggregate_id=str(dossier.pk))
    assert event.payload["code"] == dossier.code
    assert not Dossier.objects.filter(code__startswith=PENDING_PREFIX).exists()


def test_past_9999_the_code_grows_a_digit(citizen, procedure, agency, media_root):
    DailySequence.objects.create(agency=agency, day=timezone.localdate(), last_value=9999)
    dossier = submit(citizen, procedure, agency)
    assert dossier.code.endswith("-10000")
    assert Dossier.objects.get(pk=dossier.pk).code == dossier.code


def run_concurrently(funcs):
    barrier = threading.Barrier(len(funcs))
    results: list[object] = [None] * len(funcs)

    def worker(i, func):
        try:
            barrier.wait()
            results[i] = func()
        except Exception as exc:  # asserted on below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(funcs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_racing_submissions_with_retries_and_refusals_leave_no_gap(citizen, procedure, agency,
                                                                  media_root):
    """Eight at once: five new, two retries of one key, one reuse of that key for another
    request (409). Every rolled-back attempt gives its number back: codes 1..N, unique, and the
    outbox payloads carry the committed codes."""
    funcs = [lambda i=i: submit(citizen, procedure, agency, name=f"N{i}") for i in range(5)]
    funcs += [lambda: submit(citizen, procedure, agency, key="k", name="K")] * 2
    funcs += [lambda: submit(citizen, procedure, agency, key="k", name="other")]
    results = run_concurrently(funcs)
    dossiers = {r.pk: r for r in results if isinstance(r, Dossier)}
    conflicts = [r for r in results if isinstance(r, Conflict)]
    # The key's first commit wins: either the two "K" (then "other" is a 409) or "other".
    assert len(dossiers) == 6 and len(conflicts) in (1, 2), results
    codes = sorted(Dossier.objects.values_list("code", flat=True))
    assert [int(code.rsplit("-", 1)[1]) for code in codes] == list(range(1, len(codes) + 1))
    assert len(codes) == Dossier.objects.count() == 6
    assert DailySequence.objects.get(agency=agency).last_value == 6
    payload_codes = sorted(e.payload["code"] for e in OutboxEvent.objects.filter(
        aggregate_type="dossier", type="dossier.submitted"))
    assert payload_codes == codes


def test_a_waiting_submission_waits_on_its_last_statement(citizen, procedure, agency,
                                                          media_root):
    """While another transaction holds the day's counter row, a submission writes everything
    else and waits only in the statement that takes the code (PostgreSQL's row lock)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises whole transactions (IMMEDIATE); row locks are PostgreSQL's")
    submit(citizen, procedure, agency)  # the day's row exists
    locked, release = threading.Event(), threading.Event()

    def hold_counter() -> None:
        try:
            with transaction.atomic():
                list(DailySequence.objects.select_for_update().filter(agency=agency))
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    outcome: dict[str, object] = {}

    def submit_meanwhile() -> None:
        try:
            locked.wait(30)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cursor.fetchone()[0]
            outcome["result"] = submit(citizen, procedure, agency)
        except Exception as exc:  # asserted on below
            outcome["error"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=hold_counter), threading.Thread(target=submit_meanwhile)]
    for t in threads:
        t.start()
    waiting_query = None
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and waiting_query is None:
            time.sleep(0.05)
            if "pid" not in outcome:
                continue
            with connection.cursor() as cursor:
                cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s "
                               "AND wait_event_type = 'Lock'", [outcome["pid"]])
                row = cursor.fetchone()
            waiting_query = row[0] if row else None
    finally:
        release.set()
        for t in threads:
            t.join(60)
    assert waiting_query is not None, outcome
    # The old order waited in a bare INSERT INTO the counter, before the dossier's insert.
    assert waiting_query.lstrip().upper().startswith("WITH SEQ AS"), waiting_query
    assert 'UPDATE "dossiers_dossier"' in waiting_query
    assert isinstance(outcome.get("result"), Dossier), outcome
    assert outcome["result"].code.endswith("-0002")
