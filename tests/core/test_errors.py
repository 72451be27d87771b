"""The error format is the same everywhere: code, Vietnamese and English message, details."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_malformed_json_body_is_a_precise_400(citizen) -> None:
    client = Client()
    client.force_login(citizen)
    response = client.post("/api/v1/dossiers/track", "{not json", content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "MALFORMED_JSON"
    assert body["message_vi"] and body["message_en"]


def test_schema_validation_error_lists_fields() -> None:
    response = Client().post("/api/v1/dossiers/track", "{}", content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert {tuple(e["loc"])[-1] for e in body["details"]["errors"]} == {"code", "id_number"}


def test_health() -> None:
    assert Client().get("/healthz").json() == {"status": "ok"}
