"""LGSP fixtures: a real provider process-thread, a PKI, and a small registry."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import free_port
from tests.signatures.pkihelpers import init_pki
from tinhso.lgsp import services
from tinhso.lgsp.models import Service, Subsystem

CLIENT_ID = "VN/GOV/000.00.00.H10/MOTCUA"
PROVIDER_ID = "VN/GOV/000.00.01.H10/DANCU"
SERVICE_ID = PROVIDER_ID + "/citizens"


@pytest.fixture(scope="session")
def provider_url() -> Iterator[str]:
    """The provider in a process of its own (waitress), so that memory measured in the test
    process is the gateway's, not the provider's buffers."""
    port = free_port()
    root = str(Path(__file__).resolve().parents[2])
    code = ("from waitress import serve; from tests.lgsp.provider import app; "
            f"serve(app, host='127.0.0.1', port={port}, threads=6, ident='provider')")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root,
                            env={**os.environ, "PYTHONPATH": root},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # bounded: at most ~30 s
            if proc.poll() is not None:
                pytest.fail("the provider process exited")
            try:
                httpx.get(f"{url}/echo/ready", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the provider did not start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
