"""The IOC inbox and the certification register are for officials: a signed-in citizen gets 403
(like every other IOC page), not an empty page that hides the rule."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests import factories
from tinhso.accounts.tokens import generate_token, hash_token


def _bearer(user: Any) -> dict[str, str]:
    from tinhso.accounts.models import ApiToken

    raw = generate_token()
    ApiToken.objects.create(user=user, name="t", prefix=raw[:12], key_hash=hash_token(raw))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    agency = factories.make_agency()
    return {"citizen": factories.make_citizen(),
            "official": factories.make_official(agency, "receiver")}


@pytest.mark.parametrize("path", ["/ioc/", "/ioc/thong-bao/"])
def test_ioc_pages_refuse_citizens(people: dict[str, Any], path: str) -> None:
    client = Client()
    client.force_login(people["citizen"])
    assert client.get(path).status_code == 403
    client.force_login(people["official"])
    assert client.get(path).status_code == 200


def test_marking_a_notification_read_refuses_citizens(people: dict[str, Any]) -> None:
    client = Client()
    client.force_login(people["citizen"])
    assert client.post("/ioc/thong-bao/1/da-doc/").status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/signatures/certification-register",
                                  "/api/v1/signatures/certification-register.csv"])
def test_certification_register_refuses_citizens(people: dict[str, Any], path: str) -> None:
    client = Client()
    refused = client.get(path, **_bearer(people["citizen"]))
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    assert client.get(path, **_bearer(people["official"])).status_code == 200
