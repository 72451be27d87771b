"""The EPCIS 2.0 REST binding: capture (sync and async), query, errors, who may capture."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.test import Client

from tests.trace.conftest import WHEN, harvest, post_event, sscc
from tinhso.trace import flows
from tinhso.trace.eventhash import event_hash
from tinhso.trace.models import CaptureJob, Event, EventEpc

pytestmark = pytest.mark.django_db


def test_post_event_201_with_hash_id_then_409(client: Client, trace_world) -> None:
    event = harvest(trace_world)
    response = post_event(client, trace_world, event)
    assert response.status_code == 201, response.content
    assert response["GS1-EPCIS-Version"] == "2.0.0"
    assert response["GS1-CBV-Version"] == "2.0.0"
    body = response.json()
    assert body["eventID"] == event_hash(event)
    assert body["eventID"].startswith("ni:///sha-256;") and body["eventID"].endswith(
        "?ver=CBV2.0")
    assert response["Location"] == "/epcis/events/" + quote(body["eventID"], safe="")
    again = post_event(client, trace_world, event)
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["type"] == "epcisException:ResourceAlreadyExistsException"
    assert Event.objects.count() == 1
    fetched = client.get(response["Location"], **trace_world.auth(trace_world.farm_token))
    assert fetched.status_code == 200 and fetched.json()["eventID"] == body["eventID"]


def test_invalid_event_is_400_validation_exception(client: Client, trace_world) -> None:
    event = harvest(trace_world)
    event["bizStep"] = "harvesting-by-hand"
    event["quantityList"][0]["quantity"] = -1
    del event["eventTimeZoneOffset"]
    response = post_event(client, trace_world, event)
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "epcisException:ValidationException"
    pointers = {e["pointer"] for e in problem["errors"]}
    assert {"/bizStep", "/quantityList/0/quantity", "/eventTimeZoneOffset"} <= pointers
    assert problem["message_vi"] and problem["message_en"]
    assert not Event.objects.exists()


def test_bad_check_digit_and_unknown_field(client: Client, trace_world) -> None:
    event = harvest(trace_world)
    event["quantityList"][0]["epcClass"] = "https://id.gs1.org/01/08930001100010/10/X"
    event["colour"] = "red"
    problem = post_event(client, trace_world, event).json()
    pointers = {e["pointer"] for e in problem["errors"]}
    assert {"/quantityList/0/epcClass", "/colour"} <= pointers


def test_capture_only_at_own_locations_and_for_own_products(client: Client,
                                                            trace_world) -> None:
    # The processor may not commission the farm's GTIN, nor capture at the farm's GLN.
    event = harvest(trace_world)
    response = post_event(client, trace_world, event, token=trace_world.proc_token)
    assert response.status_code == 403
    problem = response.json()
    assert problem["type"] == "epcisException:SecurityException"
    assert len(problem["errors"]) >= 2
    own_place = flows.harvest(gln=trace_world.proc_gln, gtin=trace_world.raw_gtin, lot="X",
                              kg=1, when=WHEN)
    assert post_event(client, trace_world, own_place,
                      token=trace_world.proc_token).status_code == 403
    assert not Event.objects.exists()


def test_writes_need_a_token(client: Client, trace_world) -> None:
    response = client.post("/epcis/events", data=json.dumps(harvest(trace_world)),
                           content_type="application/json")
    assert response.status_code == 401
    assert response.json()["type"] == "epcisException:SecurityException"
    bad = client.post("/epcis/events", data="{}", content_type="application/json",
                      HTTP_AUTHORIZATION="Bearer tsk_nope")
    assert bad.status_code == 401
    text = client.post("/epcis/events", data="x", content_type="text/plain",
                       **trace_world.auth(trace_world.farm_token))
    assert text.status_code == 415


def test_options_capture_advertises_limits(client: Client, db) -> None:
    response = client.options("/epcis/capture")
    assert response.status_code == 204
    assert int(response["GS1-EPCIS-Capture-Limit"]) > 0
    assert int(response["GS1-EPCIS-Capture-File-Size-Limit"]) > 0
    assert "rollback" in response["GS1-Capture-Error-Behaviour"]
    assert response["GS1-EPCIS-Version"] == "2.0.0"


def _flow(world) -> list[dict]:
    bag = sscc("8930001", 1)
    return [harvest(world),
            flows.bagging(gln=world.farm_gln, sscc=bag, gtin=world.raw_gtin, lot="L2026-001",
                          kg=1200, when=WHEN.replace(day=5)),
            flows.shipping(gln=world.farm_gln, sscc=bag, to_gln=world.proc_gln,
                           when=WHEN.replace(day=6))]


def test_capture_document_async_202_then_job_status(client: Client, trace_world,
                                                    django_capture_on_commit_callbacks) -> None:
    doc = flows.document(_flow(trace_world))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/epcis/capture", data=json.dumps(doc),
                               content_type="application/ld+json",
                               **trace_world.auth(trace_world.farm_token))
    assert response.status_code == 202, response.content
    location = response["Location"]
    assert location.startswith("/epcis/capture/")
    status = client.get(location, **trace_world.auth(trace_world.farm_token)).json()
    assert status["running"] is False and status["success"] is True
    assert status["capturedCount"] == 3 and status["errors"] == []
    assert Event.objects.count() == 3
    # Another party cannot read the job.
    assert client.get(location, **trace_world.auth(trace_world.proc_token)).status_code == 404
    jobs = client.get("/epcis/capture", **trace_world.auth(trace_world.farm_token)).json()
    assert [j["captureID"] for j in jobs] == [location.rsplit("/", 1)[1]]


@pytest.mark.parametrize(("behaviour", "stored", "success"),
                         [("rollback", 0, False), ("proceed", 2, False)])
def test_capture_error_behaviour(client: Client, trace_world, behaviour: str, stored: int,
                                 success: bool, django_capture_on_commit_callbacks) -> None:
    events = _flow(trace_world)
    events[1]["action"] = "MOVE"  # invalid
    doc = flows.document(events)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/epcis/capture", data=json.dumps(doc),
                               content_type="application/json",
                               HTTP_GS1_CAPTURE_ERROR_BEHAVIOUR=behaviour,
                               **trace_world.auth(trace_world.farm_token))
    assert response.status_code == 202
    job = CaptureJob.objects.get()
    status = client.get(response["Location"], **trace_world.auth(trace_world.farm_token)).json()
    assert status["captureErrorBehaviour"] == behaviour
    assert status["success"] is success
    assert status["errors"][0]["index"] == 1
    assert status["errors"][0]["type"] == "epcisException:ValidationException"
    assert Event.objects.count() == stored == job.captured


def test_capture_limit_is_413(client: Client, trace_world, monkeypatch) -> None:
    from tinhso.trace import services

    monkeypatch.setattr(services, "CAPTURE_LIMIT", 2)
    doc = flows.document(_flow(trace_world))
    response = client.post("/epcis/capture", data=json.dumps(doc),
                           content_type="application/json",
                           **trace_world.auth(trace_world.farm_token))
    assert response.status_code == 413
    assert response.json()["type"] == "epcisException:CaptureLimitExceededException"


def _capture(client: Client, world, events: list[dict], token: str | None = None) -> None:
    for event in events:
        assert post_event(client, world, event, token).status_code == 201


def test_query_parameters_and_paging(client: Client, trace_world) -> None:
    _capture(client, trace_world, _flow(trace_world))
    lot = f"https://id.gs1.org/01/{trace_world.raw_gtin}/10/L2026-001"

    auth = trace_world.auth(trace_world.farm_token)  # the capturing party reads (0020)

    def ids(**params) -> list[str]:
        response = client.get("/epcis/events", params, **auth)
        assert response.status_code == 200, response.content
        doc = response.json()
        assert doc["type"] == "EPCISQueryDocument"
        return [e["bizStep"] for e in doc["epcisBody"]["queryResults"]["resultsBody"]
                ["eventList"]]

    assert ids() == ["commissioning", "packing", "shipping"]
    assert ids(eventType="AggregationEvent") == ["packing"]
    assert ids(EQ_bizStep="shipping") == ["shipping"]
    assert ids(EQ_bizStep="https://ref.gs1.org/cbv/BizStep-shipping") == ["shipping"]
    assert ids(EQ_disposition="in_transit,container_closed") == ["packing", "shipping"]
    assert ids(GE_eventTime="2026-03-05T00:00:00+07:00") == ["packing", "shipping"]
    assert ids(LT_eventTime="2026-03-05T00:00:00+07:00") == ["commissioning"]
    # quantityList and childQuantityList (the bag it was packed into)
    assert ids(MATCH_epcClass=lot) == ["commissioning", "packing"]
    assert ids(MATCH_epcClass=f"https://id.gs1.org/01/{trace_world.raw_gtin}") == \
        ["commissioning", "packing"]
    assert ids(MATCH_epcClass=f"https://id.gs1.org/01/{trace_world.raw_gtin}/10/OTHER") == []
    bag = f"https://id.gs1.org/00/{sscc('8930001', 1)}"
    assert ids(MATCH_epc=bag) == ["shipping"]
    assert ids(MATCH_anyEPC=bag) == ["packing", "shipping"]
    farm = f"https://id.gs1.org/414/{trace_world.farm_gln}"
    assert len(ids(EQ_bizLocation=farm)) == 3 and len(ids(EQ_readPoint=farm)) == 3
    first = client.get("/epcis/events", {"perPage": 2}, **auth)
    assert first.status_code == 200
    link = first["Link"]
    assert link.endswith('rel="next"') and "nextPageToken=" in link
    url = link[1:link.index(">")]
    second = client.get(url, **auth).json()
    assert [e["bizStep"] for e in second["epcisBody"]["queryResults"]["resultsBody"]
            ["eventList"]] == ["shipping"]
    assert "Link" not in client.get(url, **auth)


@pytest.mark.parametrize("params", [{"perPage": "0"}, {"nextPageToken": "zz"},
                                    {"GE_eventTime": "yesterday"}, {"eventType": "Foo"},
                                    {"EQ_colour": "red"}])
def test_bad_query_parameters(client: Client, db, params: dict) -> None:
    response = client.get("/epcis/events", params)
    assert response.status_code == 400
    assert response.json()["type"] == "epcisException:QueryParameterException"


def test_unknown_event_404(client: Client, db) -> None:
    response = client.get("/epcis/events/" + quote("urn:uuid:nope", safe=""))
    assert response.status_code == 404
    assert response.json()["type"] == "epcisException:NoSuchResourceException"


def test_epc_index_is_canonical(client: Client, trace_world) -> None:
    event = harvest(trace_world)
    event["quantityList"][0]["epcClass"] = "urn:epc:class:lgtin:8930001.010001.L2026-001"
    assert post_event(client, trace_world, event).status_code == 201
    assert list(EventEpc.objects.values_list("epc", flat=True)) == [
        f"https://id.gs1.org/01/{trace_world.raw_gtin}/10/L2026-001"]


def test_too_large_document_is_413(client: Client, trace_world, settings, monkeypatch) -> None:
    from tinhso.trace import services

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5000  # the advertised limit never exceeds it
    assert client.options("/epcis/capture")["GS1-EPCIS-Capture-File-Size-Limit"] == "5000"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000_000
    monkeypatch.setattr(services, "CAPTURE_FILE_SIZE_LIMIT", 2000)
    doc = flows.document(_flow(trace_world) * 3)
    response = client.post("/epcis/capture", data=json.dumps(doc),
                           content_type="application/json",
                           **trace_world.auth(trace_world.farm_token))
    assert response.status_code == 413
    assert response.json()["type"] == "epcisException:CaptureLimitExceededException"
