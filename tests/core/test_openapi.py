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


def test_every_operation_declares_the_error_statuses() -> None:
    from tinhso.core.api import ERROR_STATUSES

    schema = api.get_openapi_schema()
    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for status in ERROR_STATUSES:
                declared = responses.get(status) or responses.get(str(status)) or {}
                ref = json.dumps(declared.get("content", {}))
                if "#/components/schemas/ErrorOut" not in ref:
                    missing.append(f"{method.upper()} {path} {status}")
    assert not missing, missing


def test_dossier_events_have_integer_statuses() -> None:
    """Two schemas named EventOut (dossiers: integers, feedback: strings) once overwrote each
    other in the schema; each now has its own name."""
    components = api.get_openapi_schema()["components"]["schemas"]
    props = components["EventOut"]["properties"]
    assert props["to_status"]["type"] == "integer"
    assert {s["type"] for s in props["from_status"]["anyOf"]} == {"integer", "null"}
    assert components["FeedbackEventOut"]["properties"]["to_status"]["type"] == "string"


def test_parameters_the_server_requires_are_required() -> None:
    paths = api.get_openapi_schema()["paths"]
    params = {p["name"]: p for p in paths["/api/v1/workdays/deadline"]["get"]["parameters"]}
    assert params["start"]["required"]
    # working_days, or a procedure whose own deadline rule applies (one of the two).
    assert not params["working_days"].get("required") and "procedure" in params
    assert paths["/api/v1/workdays/holidays"]["get"]["parameters"][0]["required"]


def test_no_two_schemas_share_a_name() -> None:
    """ninja names an OpenAPI component after its class: two ``TokenOut`` in two apps become
    one component, and one operation's schema silently describes the other's answer."""
    from collections import defaultdict

    from ninja import Schema

    seen: dict[str, set[str]] = defaultdict(set)
    pending = list(Schema.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("tinhso."):
            seen[cls.__name__].add(cls.__module__)
    clashes = {name: mods for name, mods in seen.items() if len(mods) > 1}
    assert not clashes, clashes
