"""LGSP fixtures: a real provider process-thread, a PKI, and a small registry."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.lgsp import provider
from tests.processes import free_port
from tests.signatures.pkihelpers import init_pki
from tinhso.lgsp import services
from tinhso.lgsp.models import Service, Subsystem

CLIENT_ID = "VN/GOV/000.00.00.H10/MOTCUA"
PROVIDER_ID = "VN/GOV/000.00.01.H10/DANCU"
SERVICE_ID = PROVIDER_ID + "/citizens"


@pytest.fixture(scope="session")
def provider_url() -> Iterator[str]:
    from waitress import create_server

    port = free_port()
    server = create_server(provider.app, host="127.0.0.1", port=port, threads=6,
                           ident="provider")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    provider.HOLD.set()
    server.close()


@dataclass
class World:
    client: Subsystem
    provider: Subsystem
    service: Service
    token: str
    other: Subsystem
    other_token: str


OPENAPI = ('{"openapi": "3.0.0", "info": {"title": "Dân cư", "version": "1"}, "paths": '
           '{"/echo/{id}": {"get": {}, "post": {}}, "/big": {"get": {}}}}')


def build_world(provider_url: str) -> World:
    init_pki()
    m1 = services.member_add(acting_user=None, instance="VN", member_class="GOV",
                             member_code="000.00.00.H10", name="UBND tỉnh Bình Phước")
    m2 = services.member_add(acting_user=None, instance="VN", member_class="GOV",
                             member_code="000.00.01.H10", name="Công an tỉnh")
    client = services.subsystem_add(acting_user=None, member=m1, code="MOTCUA")
    other = services.subsystem_add(acting_user=None, member=m1, code="KHAC")
    prov = services.subsystem_add(acting_user=None, member=m2, code="DANCU")
    service = services.service_add(acting_user=None, subsystem=prov, code="citizens",
                                   url=provider_url, openapi=OPENAPI, timeout_seconds=5)
    services.access_grant(acting_user=None, client=client, service=service)
    return World(client=client, provider=prov, service=service,
                 token=services.token_issue(acting_user=None, subsystem=client).raw,
                 other=other,
                 other_token=services.token_issue(acting_user=None, subsystem=other).raw)


@pytest.fixture
def world(db: Any, provider_url: str) -> World:
    return build_world(provider_url)


def xroad(world: World, **extra: str) -> dict[str, str]:
    return {"HTTP_X_ROAD_CLIENT": CLIENT_ID, "HTTP_AUTHORIZATION": f"Bearer {world.token}",
            **extra}
