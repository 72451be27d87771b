"""Fixtures for notifications: an agency with its officers, a citizen with contacts, the SMS
sandbox in process (real HTTP is in test_sms_process.py), and contract-shaped events."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests import factories
from tests.dossiers.conftest import media_root, pdf  # noqa: F401  (fixture re-export)
from tinhso.dossiers import services as dossier_services
from tinhso.notifications import channels
from tinhso.notifications.handlers import event_from_dossier_event
from tinhso.notifications.sms_sandbox import SmsSandbox

SMS_TOKEN = "test-sms-token"


@dataclass
class Event:
    """Any object with the outbox contract's attributes (the handlers need nothing more)."""

    type: str
    payload: dict[str, Any]
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    aggregate_type: str = "dossier"
    aggregate_id: str = ""
    agency_id: int | None = None
    actor_id: int | None = None


def as_outbox_event(dossier_event) -> Event:
    """The same DossierEvent as the outbox would carry it: a fresh UUID, the contract payload."""
    direct = event_from_dossier_event(dossier_event)
    return Event(type=direct.type, payload=direct.payload, aggregate_id=direct.aggregate_id,
                 agency_id=direct.agency_id, actor_id=direct.actor_id)


@pytest.fixture
def officers(agency):
    return {
        "receiver": factories.make_official(agency, "receiver", username="tiepnhan"),
        "specialist": factories.make_official(agency, "specialist", username="chuyenvien"),
        "leader": factories.make_official(agency, "leader", username="lanhdao"),
    }


@pytest.fixture
def applicant(db):
    user = factories.make_citizen()
    user.email = "an@example.vn"
    user.phone = "0912 345 678"
    user.save(update_fields=["email", "phone"])
    return user


@pytest.fixture
def sandbox() -> SmsSandbox:
    return SmsSandbox(token=SMS_TOKEN)


@pytest.fixture
def sms(settings, sandbox, monkeypatch) -> SmsSandbox:
    """SMS on, sent to the sandbox in this process (its WSGI app over httpx)."""
    settings.TINHSO_SMS_URL = "http://sms-sandbox"
    settings.TINHSO_SMS_TOKEN = SMS_TOKEN
    client = httpx.Client(transport=httpx.WSGITransport(app=sandbox),
                          base_url="http://sms-sandbox")
    monkeypatch.setattr(channels, "sms_gateway", lambda: channels.HttpSmsGateway(
        url="http://sms-sandbox", token=SMS_TOKEN, sender="TINHSO", timeout=5, client=client))
    return sandbox


def submit(applicant, procedure, agency, **extra):
    return dossier_services.dossier_submit_online(
        acting_user=applicant, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Phạm Thị Hoa"}, files=[("to-khai", pdf())], **extra)
