"""Concurrent conflicting actions on one dossier: exactly one wins, the others get a conflict.

Threads use their own database connections and real transactions (SQLite's IMMEDIATE
transactions or PostgreSQL's row locks), so this exercises the real locking.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.dossiers.conftest import pdf
from tinhso.core.errors import Conflict
from tinhso.dossiers import services
from tinhso.dossiers.models import Dossier, DossierEvent, Status

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(funcs):
    barrier = threading.Barrier(len(funcs))
    results: list[object] = [None] * len(funcs)

    def worker(i, func):
        try:
            barrier.wait()
            results[i] = func()
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(funcs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_receive_and_refuse_race(citizen, procedure, agency, officers, media_root):
    dossier = services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "A"}, files=[("to-khai", pdf())])
    receiver = officers["receiver"]
    results = run_concurrently([
        lambda: services.dossier_receive(acting_user=receiver, dossier=dossier),
        lambda: services.dossier_refuse(acting_user=receiver, dossier=dossier, reason="x"),
        lambda: services.dossier_receive(acting_user=receiver, dossier=dossier),
    ])
    winners = [r for r in results if isinstance(r, Dossier)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 2, results
    assert all(r.code == "ILLEGAL_TRANSITION" for r in losers)
    final = Dossier.objects.get(pk=dossier.pk)
    assert final.status in (Status.RECEIVED, Status.REFUSED)
    assert DossierEvent.objects.filter(dossier=dossier).count() == 2


def test_concurrent_submissions_get_distinct_sequential_codes(citizen, procedure, agency,
                                                             media_root):
    def submit():
        return services.dossier_submit_online(
            acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
            form_data={"ho_ten": "A"}, files=[("to-khai", pdf())])

    results = run_concurrently([submit] * 6)
    assert all(isinstance(r, Dossier) for r in results), results
    sequence = sorted(int(r.code.rsplit("-", 1)[1]) for r in results)
    assert sequence == list(range(1, 7))


def test_same_idempotency_key_twice_at_once_makes_one_dossier(citizen, procedure, agency,
                                                              media_root):
    def submit():
        return services.dossier_submit_online(
            acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
            form_data={"ho_ten": "A"}, files=[("to-khai", pdf())], idempotency_key="same")

    results = run_concurrently([submit] * 3)
    assert all(isinstance(r, Dossier) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Dossier.objects.count() == 1
