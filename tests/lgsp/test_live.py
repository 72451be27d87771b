"""Real HTTP end to end: a live tinhso server, the gateway, a real provider; 30 MB each way
streamed without being held whole; concurrent appends stay gap-free and verifiable."""

from __future__ import annotations

import hashlib
import threading
import time
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest
from django.db import connection

from tests.lgsp.conftest import CLIENT_ID, SERVICE_ID, build_world
from tinhso.lgsp import messagelog
from tinhso.lgsp.models import LogEntry
from tinhso.lgsp.verify import verify_log

pytestmark = pytest.mark.slow
SIZE = 30 * 1024 * 1024
CHUNK = 64 * 1024


@pytest.fixture
def live_world(transactional_db, provider_url):  # type: ignore[no-untyped-def]
    return build_world(provider_url)


def _upload() -> Iterator[bytes]:
    block = b"\x5a" * CHUNK
    for _ in range(SIZE // CHUNK):
        yield block


def test_thirty_megabytes_each_way_stream_with_bounded_memory(live_server, live_world) -> None:
    headers = {"X-Road-Client": CLIENT_ID, "Authorization": f"Bearer {live_world.token}"}
    base = f"{live_server.url}/lgsp/r1/{SERVICE_ID}"
    expected = hashlib.sha256()
    for block in _upload():
        expected.update(block)
    # Warm up first: the server imports its URLconf, the API and the gateway on the first
    # requests (several MB of modules), which is not what this test measures.
    for path in ("/echo/warm", "/big?n=10"):
        assert httpx.get(base + path, headers=headers, timeout=30).status_code == 200
    tracemalloc.start()
    try:
        with httpx.Client(timeout=60) as http:
            response = http.post(f"{base}/echo/upload", content=_upload(),
                                 headers={**headers, "Content-Type": "application/octet-stream",
                                          "Content-Length": str(SIZE)})
            assert response.status_code == 200, response.text
            assert response.json()["length"] == SIZE
            assert response.json()["sha256"] == expected.hexdigest()
            digest, total = hashlib.sha256(), 0
            with http.stream("GET", f"{base}/big", params={"n": SIZE}, headers=headers) as down:
                assert down.status_code == 200
                assert down.headers["x-road-service"] == SERVICE_ID
                for chunk in down.iter_raw(CHUNK):
                    digest.update(chunk)
                    total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == SIZE
    # The whole chain (client, gateway, provider) ran in this process: had any of them held a
    # body whole, the peak would exceed 30 MB.
    assert peak < SIZE / 10, f"peak {peak} bytes"
    # The server logs a download once its last chunk has gone: it may finish just after us.
    for _ in range(200):  # bounded: at most ~10 s
        if LogEntry.objects.count() == 4:
            break
        time.sleep(0.05)
    entries = list(LogEntry.objects.order_by("index"))[2:]
    assert [e.request_bytes for e in entries] == [SIZE, 0]
    assert entries[1].response_bytes == SIZE and entries[1].response_sha256 == digest.hexdigest()


def test_concurrent_appends_are_gap_free_and_verify(transactional_db) -> None:
    from tests.lgsp.test_log import record
    from tests.signatures.pkihelpers import init_pki

    init_pki()
    threads, per_thread = 4, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(per_thread):
                messagelog.log_append(record=record(t * 100 + i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert not errors, errors
    n = threads * per_thread
    assert list(LogEntry.objects.order_by("index").values_list("index", flat=True)) == \
        list(range(n))
    messagelog.sth_publish()
    report = verify_log()
    assert report.ok and report.leaves == n, report.problems


def test_tinhsos_own_api_through_the_gateway(live_server, live_world) -> None:
    from tests import factories
    from tests.lgsp.conftest import PROVIDER_ID
    from tinhso.accounts.models import ApiToken
    from tinhso.accounts.tokens import generate_token, hash_token
    from tinhso.lgsp import own, services

    admin = factories.make_official(factories.make_agency(), "province_admin")
    raw = generate_token()
    ApiToken.objects.create(user=admin, name="lgsp", prefix=raw[:12], key_hash=hash_token(raw))
    for service in own.register_own(subsystem=PROVIDER_ID, base_url=live_server.url, token=raw):
        services.access_grant(acting_user=None, client=live_world.client, service=service)
    headers = {"X-Road-Client": CLIENT_ID, "Authorization": f"Bearer {live_world.token}"}
    r = httpx.get(f"{live_server.url}/lgsp/r1/{PROVIDER_ID}/dossiers/", headers=headers,
                  timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["x-road-service"] == f"{PROVIDER_ID}/dossiers"
    # Without the stored provider credential tinhso's API refuses: the client's gateway token
    # is never passed on.
    services.service_update(acting_user=None, service=services.service_get(
        f"{PROVIDER_ID}/dossiers"), provider_authorization="")
    r = httpx.get(f"{live_server.url}/lgsp/r1/{PROVIDER_ID}/dossiers/", headers=headers,
                  timeout=30)
    assert r.status_code == 401 and "x-road-error" not in r.headers
