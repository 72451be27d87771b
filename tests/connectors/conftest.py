"""The national sandbox as a process of its own (``tinhso connectors-sandbox``), registered in
the LGSP; tinhso's connectors reach it through the real gateway code (the Django application
as an httpx WSGI transport, so it runs in the test's database transaction) and the gateway
forwards over real HTTP to the sandbox."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import transaction

from tests.conftest import start_cursors_at_end
from tests.processes import free_port, serving
from tinhso.connectors import client, consumer
from tinhso.connectors.registry import register_sandbox
from tinhso.outbox import registry

TINHSO = str(Path(sys.executable).with_name("tinhso"))
_codes = itertools.count(1)


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    port = free_port()
    with serving([TINHSO, "connectors-sandbox", "--port", str(port)], dict(os.environ),
                 f"http://127.0.0.1:{port}") as url:
        yield url


def in_thread_app() -> Any:
    """The Django application for httpx.WSGITransport, run in the test's thread and database
    transaction: Django's "close old connections" hooks are held off around it (as Django's
    test client does), else the inner request would close the test's connection."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    handler = WSGIHandler()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = handler(environ, start_response)
            body = b"".join(result)
            result.close()
            return [body]
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return app


@pytest.fixture
def national(db: Any, settings: Any, sandbox_url: str, monkeypatch: Any) -> str:
    """Sandbox registered, settings pointing at it, the portal consumer registered."""
    from tests.signatures.pkihelpers import init_pki

    init_pki()
    for key, value in register_sandbox(sandbox_url).items():
        setattr(settings, key, value)
    settings.TINHSO_LGSP_GATEWAY_URL = "http://testserver/lgsp"
    settings.TINHSO_LGSP_RATE = "off"
    monkeypatch.setattr(client, "transport", httpx.WSGITransport(app=in_thread_app()))
    monkeypatch.setattr(registry, "_consumers", dict(registry._consumers))
    registry.register_consumer(consumer.NAME, consumer.handle, types=consumer.TYPES)
    start_cursors_at_end([consumer.NAME])
    httpx.post(f"{sandbox_url}/_control", json={"fail": 0})
    return sandbox_url


def make_dossier(agency: Any, procedure: Any, citizen: Any) -> Any:
    from tinhso.dossiers.models import Channel, Dossier

    n = next(_codes)
    return Dossier.objects.create(
        code=f"000.00.10.H10-261206-{os.getpid() % 1000:03d}{n:03d}", procedure=procedure,
        agency=agency, unit=agency.unit, channel=Channel.ONLINE, applicant=citizen,
        applicant_kind="citizen", applicant_id_number=citizen.id_number,
        applicant_name="Nguyễn Văn An")


def step(dossier: Any, action: str, to_status: int) -> Any:
    from tinhso.dossiers.events import record_event

    with transaction.atomic():
        event = record_event(dossier, actor=None, action=action, from_status=dossier.status,
                             to_status=to_status)
        type(dossier).objects.filter(pk=dossier.pk).update(status=to_status)
        dossier.status = to_status
    return event
