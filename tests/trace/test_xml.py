"""The EPCIS 2.0 XML binding: capture of an XML EPCISDocument, XML query answers, and the JSON ⇄
XML round trip keeping the CBV 2.0 event hash (over GS1's reference vectors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree as SafeET
from django.test import Client

from tests.trace.test_epcis_api import _flow
from tests.trace.test_eventhash import CASES
from tinhso.trace import errors
from tinhso.trace.eventhash import event_hash
from tinhso.trace.models import Event
from tinhso.trace.xml_binding import (
    EPCIS_NS,
    QUERY_NS,
    document_from_xml,
    document_xml,
    query_document_xml,
)

VECTORS = Path(__file__).parent / "gs1_vectors"


@pytest.mark.parametrize("name, i, event, context, expected, pre", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_json_to_xml_and_back_keeps_the_event_hash(name: str, i: int, event: dict,
                                                   context: Any, expected: str,
                                                   pre: str | None) -> None:
    xml = document_xml([event], creation_date="2026-12-06T00:00:00Z", context=context)
    back = document_from_xml(xml)
    (again,) = back["epcisBody"]["eventList"]
    assert event_hash(again, back["@context"]) == event_hash(event, context) == expected


def test_xml_is_the_binding_s_shape(trace_world) -> None:
    events = _flow(trace_world)
    xml = document_xml(events, creation_date="2026-12-06T00:00:00Z")
    root = SafeET.fromstring(xml)
    assert root.tag == f"{{{EPCIS_NS}}}EPCISDocument" and root.get("schemaVersion") == "2.0"
    harvest = root.find("EPCISBody/EventList/ObjectEvent")
    assert harvest is not None
    # Children in the XSD's order; bare CBV terms as URNs.
    names = [child.tag for child in harvest]
    assert names[:2] == ["eventTime", "eventTimeZoneOffset"]
    assert names.index("action") < names.index("bizStep") < names.index("readPoint") \
        < names.index("quantityList")
    assert harvest.findtext("bizStep") == "urn:epcglobal:cbv:bizstep:commissioning"
    assert harvest.find("quantityList/quantityElement/quantity").text == "1200"


def test_capture_an_xml_document(client: Client, trace_world,
                                 django_capture_on_commit_callbacks) -> None:
    events = _flow(trace_world)
    xml = document_xml(events, creation_date="2026-12-06T00:00:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/epcis/capture", data=xml, content_type="application/xml",
                               **trace_world.auth(trace_world.farm_token))
    assert response.status_code == 202, response.content
    status = client.get(response["Location"], **trace_world.auth(trace_world.farm_token)).json()
    assert status["success"] is True and status["capturedCount"] == 3, status
    stored = {e.event_hash for e in Event.objects.all()}
    from tinhso.trace.flows import EPCIS_CONTEXT

    assert stored == {event_hash(e, [EPCIS_CONTEXT]) for e in events}


@pytest.mark.parametrize("body", [
    b"<not-closed>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
    b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2">&b;</epcis:EPCISDocument>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    b"<EPCISDocument><EPCISBody/></EPCISDocument>",
    f'<e:EPCISDocument xmlns:e="{EPCIS_NS}"><EPCISBody><EventList><Foo/></EventList>'
    "</EPCISBody></e:EPCISDocument>".encode(),
])
def test_bad_or_dangerous_xml_is_400(client: Client, trace_world, body: bytes) -> None:
    with pytest.raises(errors.EpcisError):
        document_from_xml(body)
    response = client.post("/epcis/capture", data=body, content_type="application/xml",
                           **trace_world.auth(trace_world.farm_token))
    assert response.status_code == 400
    assert response.json()["type"] == "epcisException:ValidationException"


def test_epcis_1_2_wrappers_are_read(db) -> None:
    xml = f"""<epcis:EPCISDocument xmlns:epcis="{EPCIS_NS}" xmlns:ex="https://ns.example.com/e">
      <EPCISBody><EventList><ObjectEvent>
        <eventTime>2026-03-02T08:30:00+07:00</eventTime>
        <eventTimeZoneOffset>+07:00</eventTimeZoneOffset>
        <baseExtension><eventID>urn:uuid:0e4e5b3c-1a2b-4c5d-8e9f-0a1b2c3d4e5f</eventID>
        </baseExtension>
        <epcList><epc>urn:epc:id:sgtin:8930001.010001.1</epc></epcList>
        <action>OBSERVE</action>
        <extension><quantityList><quantityElement><epcClass>urn:epc:class:lgtin:8930001.010001.L1</epcClass>
          <quantity>12.5</quantity><uom>KGM</uom></quantityElement></quantityList></extension>
        <ex:grade>A</ex:grade>
      </ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>""".encode()
    doc = document_from_xml(xml)
    (event,) = doc["epcisBody"]["eventList"]
    assert event["eventID"] == "urn:uuid:0e4e5b3c-1a2b-4c5d-8e9f-0a1b2c3d4e5f"
    assert event["quantityList"] == [{"epcClass": "urn:epc:class:lgtin:8930001.010001.L1",
                                      "quantity": 12.5, "uom": "KGM"}]
    assert event["ex:grade"] == "A"
    assert doc["@context"][1] == {"ex": "https://ns.example.com/e"}


def test_queries_answer_xml_on_accept(client: Client, trace_world) -> None:
    from tests.trace.test_epcis_api import _capture

    _capture(client, trace_world, _flow(trace_world))
    auth = trace_world.auth(trace_world.farm_token)
    response = client.get("/epcis/events", {"perPage": 2}, HTTP_ACCEPT="application/xml", **auth)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert "nextPageToken=" in response["Link"]
    root = SafeET.fromstring(response.content)
    assert root.tag == f"{{{QUERY_NS}}}EPCISQueryDocument"
    results = root.find(f"EPCISBody/{{{QUERY_NS}}}QueryResults")
    assert results is not None and results.findtext("queryName") == "SimpleEventQuery"
    assert len(list(results.find("resultsBody/EventList"))) == 2
    # JSON stays the default, and the named query's results answer XML too.
    assert client.get("/epcis/events", **auth)["Content-Type"] == "application/json"
    client.post("/epcis/queries", data=json.dumps({"name": "all", "query": {}}),
                content_type="application/json", **auth)
    named = client.get("/epcis/queries/all/events", HTTP_ACCEPT="application/xml", **auth)
    root = SafeET.fromstring(named.content)
    assert root.find(f"EPCISBody/{{{QUERY_NS}}}QueryResults/queryName").text == "all"
    assert len(list(root.iter("ObjectEvent"))) == 2


def test_query_document_xml_with_a_subscription_id() -> None:
    xml = query_document_xml([], query_name="q", creation_date="2026-12-06T00:00:00Z",
                             subscription_id="abc")
    root = SafeET.fromstring(xml)
    assert root.find(f"EPCISBody/{{{QUERY_NS}}}QueryResults/subscriptionID").text == "abc"
