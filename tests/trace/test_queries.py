"""Named queries and webhook subscriptions of the EPCIS 2.0 REST binding, delivered to a real
HTTP receiver; who reads which events (decision 0020)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.conftest import start_cursors_at_end
from tests.trace.conftest import TraceWorld, harvest, post_event
from tests.webhooks.helpers import rebinding_dns
from tests.webhooks.receiver import Receiver, start_receiver
from tinhso.outbox.dispatch import run_consumer
from tinhso.trace import subscriptions
from tinhso.trace.models import QuerySubscription

pytestmark = pytest.mark.django_db
TOKEN = "13df38d8275b13f05704629e5f1cf3d45d6132d5"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = start_receiver()
    yield rec
    rec.stop()


@pytest.fixture(autouse=True)
def _cursor_at_end(db: Any) -> None:
    start_cursors_at_end([subscriptions.CONSUMER])


def _post(client: Client, url: str, body: Any, token: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")


def _create_query(client: Client, world: TraceWorld, name: str = "harvests",
                  query: dict[str, Any] | None = None) -> Any:
    query = query or {"eventType": ["ObjectEvent"], "EQ_bizStep": ["commissioning"]}
    return _post(client, "/epcis/queries", {"name": name, "query": query}, world.farm_token)


def _events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def test_named_query_lifecycle(client: Client, trace_world: TraceWorld) -> None:
    auth = trace_world.auth(trace_world.farm_token)
    created = _create_query(client, trace_world)
    assert created.status_code == 201, created.content
    assert created["Location"] == "/epcis/queries/harvests"
    assert created["GS1-EPCIS-Version"] == "2.0.0"
    assert _create_query(client, trace_world).json()["type"] == \
        "epcisException:ResourceAlreadyExistsException"
    listed = client.get("/epcis/queries", **auth).json()
    assert listed == [{"name": "harvests", "query": {"eventType": ["ObjectEvent"],
                                                     "EQ_bizStep": ["commissioning"]}}]
    assert client.get("/epcis/queries/harvests", **auth).json()["name"] == "harvests"
    # Another account neither lists nor reads it; 401 without a token.
    other = trace_world.auth(trace_world.proc_token)
    assert client.get("/epcis/queries", **other).json() == []
    missing = client.get("/epcis/queries/harvests", **other)
    assert missing.status_code == 404
    assert missing.json()["type"] == "epcisException:NoSuchNameException"
    assert client.get("/epcis/queries").status_code == 401
    assert client.delete("/epcis/queries/harvests", **other).status_code == 404
    assert client.delete("/epcis/queries/harvests", **auth).status_code == 204
    assert client.get("/epcis/queries/harvests", **auth).status_code == 404


@pytest.mark.parametrize("body, problem", [
    ({"name": "a b", "query": {}}, "epcisException:ValidationException"),
    ({"name": "q", "query": {"EQ_colour": ["red"]}}, "epcisException:QueryParameterException"),
    ({"name": "q", "query": {"eventType": ["Foo"]}}, "epcisException:QueryParameterException"),
    ({"name": "q", "query": {"perPage": "5"}}, "epcisException:QueryParameterException"),
    ({"name": "q", "query": {"eventType": [1]}}, "epcisException:ValidationException"),
])
def test_bad_named_query_is_400(client: Client, trace_world: TraceWorld, body: dict,
                                problem: str) -> None:
    response = _post(client, "/epcis/queries", body, trace_world.farm_token)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == problem
    assert not client.get("/epcis/queries", **trace_world.auth(trace_world.farm_token)).json()


def test_named_query_events_are_paged(client: Client, trace_world: TraceWorld) -> None:
    for i in range(3):
        assert post_event(client, trace_world, harvest(trace_world, lot=f"L{i}")).status_code \
            == 201
    _create_query(client, trace_world)
    auth = trace_world.auth(trace_world.farm_token)
    first = client.get("/epcis/queries/harvests/events", {"perPage": 2}, **auth)
    assert first.status_code == 200
    doc = first.json()
    assert doc["epcisBody"]["queryResults"]["queryName"] == "harvests"
    assert len(_events(doc)) == 2
    url = first["Link"][1:first["Link"].index(">")]
    assert url.startswith("/epcis/queries/harvests/events?")
    assert len(_events(client.get(url, **auth).json())) == 1
    bad = client.get("/epcis/queries/harvests/events", {"stream": "true"}, **auth)
    assert bad.status_code == 400


@pytest.mark.parametrize("body", [
    {"dest": "https://x.example/cb", "stream": True, "schedule": {"hour": "1"}},
    {"dest": "https://x.example/cb"},
    {"dest": "ftp://x.example/cb", "stream": True},
    {"dest": "https://x.example/cb", "schedule": {"hour": "24"}},
    {"dest": "https://x.example/cb", "schedule": {"minute": "5-7"}},
    {"dest": "https://x.example/cb", "stream": True, "initialRecordTime": "today"},
    {"dest": "https://x.example/cb", "stream": True, "colour": "red"},
])
def test_bad_subscription_is_400(client: Client, trace_world: TraceWorld, body: dict) -> None:
    _create_query(client, trace_world)
    response = _post(client, "/epcis/queries/harvests/subscriptions", body,
                     trace_world.farm_token)
    assert response.status_code == 400
    assert response.json()["type"] == "epcisException:SubscriptionControlsException"
    assert not QuerySubscription.objects.exists()


@pytest.mark.parametrize(("dest", "code"), [
    ("http://169.254.169.254/latest/meta-data/", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://[::ffff:10.0.0.1]/cb", "OUTBOUND_FORBIDDEN_ADDRESS"),
    ("http://0x7f000001/cb", "OUTBOUND_ODD_ADDRESS"),
    ("http://x.example:5432@127.0.0.1/cb", "OUTBOUND_USERINFO"),
])
def test_internal_dest_is_refused(client: Client, trace_world: TraceWorld, dest: str,
                                  code: str) -> None:
    _create_query(client, trace_world)
    response = _post(client, "/epcis/queries/harvests/subscriptions",
                     {"dest": dest, "stream": True}, trace_world.farm_token)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "epcisException:SubscriptionControlsException"
    assert body["code"] == code and body["message_vi"] and body["message_en"]
    assert body["errors"][0]["pointer"] == "/dest"
    assert not QuerySubscription.objects.exists()


def test_dest_rebound_to_an_internal_address_is_not_called(
        client: Client, trace_world: TraceWorld, receiver: Receiver, settings: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The name is public when registered and 127.0.0.1 at delivery (DNS rebinding): the
    attempt fails with its reason, backs off like any failure, and nothing is sent."""
    settings.TINHSO_OUTBOUND_ALLOW = []
    rebinding_dns(monkeypatch, "cb.example.vn")
    port = receiver.url.split(":")[2].split("/")[0]
    _create_query(client, trace_world)
    created = _post(client, "/epcis/queries/harvests/subscriptions",
                    {"dest": f"http://cb.example.vn:{port}/hooks", "stream": True},
                    trace_world.farm_token)
    assert created.status_code == 201, created.content
    post_event(client, trace_world, harvest(trace_world))
    assert _deliver() == 0
    sub = QuerySubscription.objects.get()
    assert sub.last_error.startswith("OutboundBlocked: OUTBOUND_FORBIDDEN_ADDRESS"), sub.last_error
    assert sub.failures == 1 and sub.cursor == -1
    assert sub.due_at is not None and sub.due_at > timezone.now()
    assert subscriptions.deliveries_send_due() == 0  # waits: no retry storm
    assert receiver.messages == []


def test_subscription_resources(client: Client, trace_world: TraceWorld) -> None:
    _create_query(client, trace_world)
    auth = trace_world.auth(trace_world.farm_token)
    created = _post(client, "/epcis/queries/harvests/subscriptions",
                    {"dest": "https://client.example/cb", "signatureToken": TOKEN,
                     "reportIfEmpty": True, "schedule": {"hour": "1", "minute": "[5-6],30"}},
                    trace_world.farm_token)
    assert created.status_code == 201, created.content
    body = created.json()
    assert created["Location"] == f"/epcis/queries/harvests/subscriptions/{body['subscriptionID']}"
    assert TOKEN not in created.content.decode()  # the secret is never shown back
    assert body["schedule"] == {"hour": "1", "minute": "[5-6],30"} and body["reportIfEmpty"]
    listed = client.get("/epcis/queries/harvests/subscriptions", **auth).json()
    assert [s["subscriptionID"] for s in listed] == [body["subscriptionID"]]
    assert client.get(created["Location"], **auth).json()["dest"] == "https://client.example/cb"
    other = trace_world.auth(trace_world.proc_token)
    assert client.get(created["Location"], **other).status_code == 404
    assert client.get("/epcis/queries/harvests/subscriptions/nope", **auth).status_code == 404
    # Deleting the query unsubscribes everyone (the binding says so).
    assert client.delete("/epcis/queries/harvests", **auth).status_code == 204
    assert not QuerySubscription.objects.exists()


def _deliver() -> int:
    run_consumer(subscriptions.CONSUMER)
    return subscriptions.deliveries_send_due()


def test_stream_subscription_delivers_signed_documents_at_least_once(
        client: Client, trace_world: TraceWorld, receiver: Receiver) -> None:
    before = post_event(client, trace_world, harvest(trace_world, lot="OLD")).json()
    _create_query(client, trace_world)
    created = _post(client, "/epcis/queries/harvests/subscriptions",
                    {"dest": receiver.url, "signatureToken": TOKEN, "stream": True},
                    trace_world.farm_token).json()
    new = post_event(client, trace_world, harvest(trace_world, lot="NEW")).json()
    assert _deliver() == 1
    (message,) = receiver.messages
    expected = hmac.new(TOKEN.encode(), message.body, hashlib.sha256).hexdigest()
    assert message.headers["gs1-signature"] == "sha256=" + expected
    assert message.headers["content-type"] == "application/json"
    doc = message.json
    assert doc["type"] == "EPCISQueryDocument"
    results = doc["epcisBody"]["queryResults"]
    assert results["subscriptionID"] == created["subscriptionID"]
    assert results["queryName"] == "harvests"
    # Only events recorded after the subscription (initialRecordTime defaults to now).
    assert [e["eventID"] for e in _events(doc)] == [new["eventID"]]
    assert before["eventID"] != new["eventID"]
    # Nothing new: nothing sent.
    assert _deliver() == 0 and len(receiver.messages) == 1

    # The receiver fails: the cursor stays, a retry waits, then the same event comes again.
    receiver.status = 500
    third = post_event(client, trace_world, harvest(trace_world, lot="THIRD")).json()
    assert _deliver() == 0 and len(receiver.messages) == 2
    sub = QuerySubscription.objects.get()
    assert sub.failures == 1 and sub.last_error == "HTTP 500"
    assert sub.due_at is not None and sub.due_at > timezone.now()
    assert subscriptions.deliveries_send_due() == 0  # not yet due
    receiver.status = 200
    QuerySubscription.objects.update(due_at=timezone.now())
    assert subscriptions.deliveries_send_due() == 1
    assert [e["eventID"] for e in _events(receiver.messages[-1].json)] == [third["eventID"]]
    assert [e["eventID"] for e in _events(receiver.messages[-2].json)] == [third["eventID"]]
    sub.refresh_from_db()
    assert sub.failures == 0 and sub.due_at is None and sub.last_notified_at is not None


def test_unreachable_receiver_is_retried_later(client: Client, trace_world: TraceWorld) -> None:
    _create_query(client, trace_world)
    _post(client, "/epcis/queries/harvests/subscriptions",
          {"dest": "http://127.0.0.1:9/nobody", "stream": True}, trace_world.farm_token)
    post_event(client, trace_world, harvest(trace_world))
    assert _deliver() == 0
    sub = QuerySubscription.objects.get()
    assert sub.failures == 1 and sub.cursor == -1 and sub.last_error


def test_scheduled_subscription_reports_if_empty(client: Client, trace_world: TraceWorld,
                                                  receiver: Receiver) -> None:
    _create_query(client, trace_world)
    _post(client, "/epcis/queries/harvests/subscriptions",
          {"dest": receiver.url, "reportIfEmpty": True,
           "schedule": {"hour": "1", "minute": "5"}}, trace_world.farm_token)
    post_event(client, trace_world, harvest(trace_world))
    run_consumer(subscriptions.CONSUMER)  # captures do not trigger a scheduled subscription
    assert QuerySubscription.objects.get().due_at is None
    off = timezone.now().replace(hour=2, minute=5)
    assert subscriptions.mark_scheduled_due(off) == 0
    at = timezone.now().replace(hour=1, minute=5, second=0) + dt.timedelta(days=1)
    assert subscriptions.mark_scheduled_due(at) == 1
    QuerySubscription.objects.update(due_at=timezone.now())
    assert subscriptions.deliveries_send_due() == 1
    assert len(_events(receiver.messages[0].json)) == 1
    # The next firing finds nothing new, and reports it since reportIfEmpty is true.
    assert subscriptions.mark_scheduled_due(at + dt.timedelta(days=1)) == 1
    QuerySubscription.objects.update(due_at=timezone.now())
    assert subscriptions.deliveries_send_due() == 0
    assert len(receiver.messages) == 2
    assert _events(receiver.messages[1].json) == []
    assert "gs1-signature" not in receiver.messages[1].headers  # no token given


def test_schedule_matching() -> None:
    at = dt.datetime(2026, 12, 7, 1, 5, tzinfo=dt.UTC)  # a Monday
    assert subscriptions.schedule_matches({"hour": "1", "minute": "5"}, at)
    assert subscriptions.schedule_matches({"minute": "[0-10],30", "dayOfWeek": "1"}, at)
    assert not subscriptions.schedule_matches({"dayOfWeek": "[2-7]"}, at)
    assert not subscriptions.schedule_matches({"month": "1"}, at)


# --- Who reads which events (decision 0020) ----------------------------------------------------


def _ids(client: Client, **auth: str) -> list[str]:
    response = client.get("/epcis/events", **auth)
    assert response.status_code == 200
    return [e["eventID"] for e in _events(response.json())]


def test_events_are_the_partys_and_the_provinces_unless_made_public(
        client: Client, trace_world: TraceWorld) -> None:
    event = post_event(client, trace_world, harvest(trace_world)).json()
    detail = "/epcis/events/" + quote(event["eventID"], safe="")
    # Anonymous visitors and other parties: nothing (404 for the event itself).
    assert _ids(client) == []
    assert _ids(client, **trace_world.auth(trace_world.proc_token)) == []
    assert client.get(detail).status_code == 404
    assert client.get(detail, **trace_world.auth(trace_world.proc_token)).status_code == 404
    # The capturing party and the province read it.
    assert _ids(client, **trace_world.auth(trace_world.farm_token)) == [event["eventID"]]
    admin = factories.make_official(factories.make_agency(), "province_admin")
    client.force_login(admin)
    assert _ids(client) == [event["eventID"]]
    assert client.get(detail).status_code == 200
    client.logout()
    # A bad token is 401, not anonymous.
    assert client.get("/epcis/events", HTTP_AUTHORIZATION="Bearer tsk_nope").status_code == 401
    # The party opts in: everyone reads its events.
    trace_world.farm.events_public = True
    trace_world.farm.save(update_fields=["events_public"])
    assert _ids(client) == [event["eventID"]]
    assert client.get(detail).json()["eventID"] == event["eventID"]


def test_lot_journey_stays_public(client: Client, trace_world: TraceWorld) -> None:
    post_event(client, trace_world, harvest(trace_world))
    page = client.get(f"/01/{trace_world.raw_gtin}/10/L2026-001")
    assert page.status_code == 200
    html = page.content.decode()
    assert "1200" not in html  # no quantities on the public page
    linkset = client.get(f"/01/{trace_world.raw_gtin}/10/L2026-001",
                         HTTP_ACCEPT="application/linkset+json")
    assert linkset.status_code == 200


def test_subscription_delivers_only_what_its_owner_reads(
        client: Client, trace_world: TraceWorld, receiver: Receiver) -> None:
    # The processor subscribes to every harvest: the farm's private ones never reach it.
    _post(client, "/epcis/queries", {"name": "all", "query": {"eventType": ["ObjectEvent"]}},
          trace_world.proc_token)
    _post(client, "/epcis/queries/all/subscriptions", {"dest": receiver.url, "stream": True},
          trace_world.proc_token)
    post_event(client, trace_world, harvest(trace_world))
    assert _deliver() == 0 and receiver.messages == []
    trace_world.farm.events_public = True
    trace_world.farm.save(update_fields=["events_public"])
    post_event(client, trace_world, harvest(trace_world, lot="PUBLIC"))
    # The opt-in covers the party's earlier events too: the cursor had not passed them.
    assert _deliver() == 2


def test_admin_lists_subscriptions_without_their_token(client: Client,
                                                       trace_world: TraceWorld) -> None:
    from tinhso.accounts.models import User

    _create_query(client, trace_world)
    sub = _post(client, "/epcis/queries/harvests/subscriptions",
                {"dest": "https://client.example/cb", "signatureToken": TOKEN, "stream": True},
                trace_world.farm_token).json()
    admin = User.objects.create_superuser(username="root", password="x")
    client.force_login(admin)
    listing = client.get("/admin/trace/querysubscription/")
    assert listing.status_code == 200
    page = client.get(f"/admin/trace/querysubscription/{sub['subscriptionID']}/change/")
    assert page.status_code == 200 and TOKEN not in page.content.decode()
    assert client.get("/admin/trace/traceparty/").status_code == 200


@pytest.mark.parametrize(("path", "allow"), [
    ("/epcis/queries", "OPTIONS, GET, POST"),
    ("/epcis/queries/q1", "OPTIONS, GET, DELETE"),
    ("/epcis/queries/q1/events", "OPTIONS, GET"),
    ("/epcis/queries/q1/subscriptions", "OPTIONS, GET, POST"),
    ("/epcis/queries/q1/subscriptions/1", "OPTIONS, GET, DELETE"),
])
def test_each_resource_advertises_and_enforces_its_methods(client: Client, path: str,
                                                           allow: str) -> None:
    options = client.options(path)
    assert options.status_code == 204 and options["Allow"] == allow
    assert client.put(path, data="{}", content_type="application/json").status_code == 405
