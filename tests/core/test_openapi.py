"""The API contract is committed: a change to it must be deliberate (`make schema`)."""

from __future__ import annotations

import json
from pathlib import Path

from django.test import Client

from tinhso.core.api import api

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.json"


def test_openapi_schema_matches_committed_copy() -> None:
    current = json.loads(json.dumps(api.get_openapi_schema(), sort_keys=True))
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert current == committed, (
        "The OpenAPI schema changed. If intended, run `make schema` and commit "
        "docs/api/openapi.json."
    )


def test_docs_are_served(db) -> None:
    client = Client()
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/docs").status_code == 200
