"""Attachments are never lost to a race: a losing or failing request deletes no stored file.

Issue 9 found two ways to lose a committed dossier's file on the old code, where a request
removed the files it had "created" when it failed: ten parallel submissions with one
Idempotency-Key (the losers removed the blob the winner's rows point at), and a failing
request racing a valid one with the same file. Both are reproduced here with real threads,
real connections and real transactions, then every file is downloaded by the citizen (portal)
and by the officer (back office), as the issue's reporters did.
"""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from tests import factories
from tests.dossiers.test_api import URL, bearer
from tinhso.dossiers import uploads
from tinhso.dossiers.models import Attachment, Dossier
from tinhso.dossiers.services import intake

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 10
TRIALS = 3  # the old code lost the file in 9 of 10 orderings per trial: 3 trials never miss
WAIT = 60  # seconds; only a deadlock would reach it


def unique_pdf(tag: str) -> bytes:
    return b"%PDF-1.4\n%" + tag.encode() + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def downloads(dossier: Dossier, citizen, officer) -> list[tuple[int, bytes]]:
    """Every attachment of the dossier as the citizen and as the officer get it."""
    results = []
    for user, prefix in ((citizen, "/ho-so-cua-toi"), (officer, "/mot-cua/ho-so")):
        client = Client()
        client.force_login(user)
        for attachment in Attachment.objects.filter(dossier=dossier):
            response = client.get(f"{prefix}/{dossier.code}/tep/{attachment.pk}/?tai_ve=1")
            body = b"".join(response.streaming_content) if response.status_code == 200 else b""
            results.append((response.status_code, body))
    return results


def _pause_after_first_store(monkeypatch, barrier: threading.Barrier) -> None:
    """Every thread writes its files before any goes on: the widest window of the race.

    Only a thread's first ``store`` waits (the one before the transaction): a wait inside a
    transaction would hold SQLite's write lock while the others wait for it.
    """
    original = uploads.store
    seen = threading.local()

    def store(*args, **kwargs):
        name = original(*args, **kwargs)
        if not getattr(seen, "done", False):
            seen.done = True
            barrier.wait(WAIT)
        return name

    monkeypatch.setattr(uploads, "store", store)


def test_ten_parallel_submissions_with_one_key_keep_the_files(citizen, procedure, agency,
                                                              media_root, monkeypatch):
    officer = factories.make_official(agency, "receiver", username="tiepnhan")
    auth = bearer(citizen)
    for trial in range(TRIALS):
        content = unique_pdf(f"trial-{trial}")
        barrier = threading.Barrier(THREADS)
        _pause_after_first_store(monkeypatch, barrier)
        statuses: list[object] = [None] * THREADS
        codes: list[str | None] = [None] * THREADS

        def post(i: int, trial: int = trial, content: bytes = content) -> None:
            try:
                data = {"payload": json.dumps({"procedure": procedure.code,
                                               "agency": agency.code,
                                               "form_data": {"ho_ten": "Lê Văn Cường"}}),
                        "to-khai": SimpleUploadedFile("to-khai.pdf", content)}
                response = Client().post(URL, data, HTTP_IDEMPOTENCY_KEY=f"key-{trial}", **auth)
                statuses[i] = response.status_code
                codes[i] = response.json().get("code")
            except Exception as exc:  # asserted on below
                statuses[i] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=post, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT)
        assert statuses == [201] * THREADS, statuses
        assert len(set(codes)) == 1
        dossier = Dossier.objects.get(code=codes[0])
        got = downloads(dossier, citizen, officer)
        assert got == [(200, content)] * 2, f"trial {trial}: {[s for s, _ in got]}"
    assert Dossier.objects.count() == TRIALS


def test_a_failing_request_racing_a_valid_one_deletes_nothing(citizen, procedure, agency,
                                                              media_root, monkeypatch):
    """The failing request writes the shared file first and fails after the valid one
    committed: on the old code it then removed the file the valid dossier points at."""
    officer = factories.make_official(agency, "receiver", username="tiepnhan")
    content = unique_pdf("failing-race")
    stored, valid_done = threading.Event(), threading.Event()
    original_store, original_event = uploads.store, intake.record_event

    def store(*args, **kwargs):
        name = original_store(*args, **kwargs)
        if threading.current_thread().name == "failing" and not stored.is_set():
            stored.set()
            assert valid_done.wait(WAIT)
        return name

    def record_event(*args, **kwargs):
        if threading.current_thread().name == "failing":
            raise RuntimeError("a server error after the files were written")
        return original_event(*args, **kwargs)

    monkeypatch.setattr(uploads, "store", store)
    monkeypatch.setattr(intake, "record_event", record_event)
    results: dict[str, object] = {}

    def submit(name: str) -> None:
        try:
            if name == "valid":
                assert stored.wait(WAIT)
            results[name] = intake.dossier_submit_online(
                acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
                form_data={"ho_ten": "A"},
                files=[("to-khai", SimpleUploadedFile("a.pdf", content))])
        except Exception as exc:  # asserted on below
            results[name] = exc
        finally:
            if name == "valid":
                valid_done.set()
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,), name=n) for n in ("failing", "valid")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert isinstance(results["failing"], RuntimeError), results
    valid = results["valid"]
    assert isinstance(valid, Dossier), results
    assert Dossier.objects.count() == 1
    assert downloads(valid, citizen, officer) == [(200, content)] * 2
    assert Attachment.objects.get().sha256 == hashlib.sha256(content).hexdigest()
