"""A small traceability world: a cashew farm, a co-operative processor, a retailer; tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests import factories
from tests.webhooks.helpers import offline_resolve
from tinhso.accounts.models import ApiToken
from tinhso.accounts.tokens import generate_token, hash_token
from tinhso.core import outbound
from tinhso.trace import flows
from tinhso.trace.identifiers import check_digit
from tinhso.trace.services import party_register

FARM_PREFIX = "8930001"
PROC_PREFIX = "8930002"


def gln(prefix: str, ref: str) -> str:
    body = (prefix + ref).ljust(12, "0")[:12]
    return body + check_digit(body)


def gtin(prefix: str, ref: str) -> str:
    body = ("0" + prefix + ref).ljust(13, "0")[:13]
    return body + check_digit(body)


def sscc(prefix: str, serial: int) -> str:
    body = "0" + prefix + str(serial).zfill(16 - len(prefix))
    return body + check_digit(body)


@dataclass
class TraceWorld:
    farm_user: Any
    proc_user: Any
    farm_token: str
    proc_token: str
    farm_gln: str
    proc_gln: str
    raw_gtin: str
    kernel_gtin: str
    commune: Any
    farm: Any
    proc: Any

    def auth(self, token: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _token(user: Any) -> str:
    raw = generate_token()
    ApiToken.objects.create(user=user, name="epcis", prefix=raw[:12], key_hash=hash_token(raw))
    return raw


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The subscription receivers of these tests listen on 127.0.0.1 (random ports): permit it
    explicitly, as an installation with internal receivers would."""
    settings.TINHSO_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    settings.TINHSO_OUTBOUND_PORTS = ["*"]
    monkeypatch.setattr(outbound, "resolve", offline_resolve)


@pytest.fixture
def trace_world(db: Any) -> TraceWorld:
    province = factories.make_province()
    from tinhso.units.models import AdminUnit, Level, Structure

    commune = AdminUnit.objects.create(structure=Structure.LEGACY_3, code="25432",
                                       name="Xã Lộc Hưng", unit_type="Xã",
                                       level=Level.COMMUNE, parent=province)
    farm_user = factories.make_citizen(username="nongdan")
    proc_user = factories.make_citizen(id_number="070090009999", username="htx")
    farm_gln, proc_gln = gln(FARM_PREFIX, "00001"), gln(PROC_PREFIX, "00001")
    farm = party_register(acting_user=None, user=farm_user, name="Nông hộ Lộc Hưng",
                          kind="farm", glns=[(farm_gln, "Vườn điều", "farm")],
                          prefixes=[FARM_PREFIX], commune=commune)
    proc = party_register(acting_user=None, user=proc_user, name="HTX Điều Bình Phước",
                          kind="processor", glns=[(proc_gln, "Xưởng chế biến", "processor")],
                          prefixes=[PROC_PREFIX], commune=commune)
    return TraceWorld(farm_user=farm_user, proc_user=proc_user, farm_token=_token(farm_user),
                      proc_token=_token(proc_user), farm_gln=farm_gln, proc_gln=proc_gln,
                      raw_gtin=gtin(FARM_PREFIX, "10001"), kernel_gtin=gtin(PROC_PREFIX, "20001"),
                      commune=commune, farm=farm, proc=proc)


WHEN = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def harvest(world: TraceWorld, lot: str = "L2026-001", kg: float = 1200,
            when: dt.datetime = WHEN) -> dict[str, Any]:
    return flows.harvest(gln=world.farm_gln, gtin=world.raw_gtin, lot=lot, kg=kg, when=when)


def post_event(client: Client, world: TraceWorld, event: dict[str, Any],
               token: str | None = None) -> Any:
    import json

    return client.post("/epcis/events", data=json.dumps(event),
                       content_type="application/json", **world.auth(token or world.farm_token))
