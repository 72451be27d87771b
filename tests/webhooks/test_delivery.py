"""Webhooks end to end: outbox → delivery rows → signed HTTP POSTs to a real receiver, retries
on the spec's schedule, automatic disabling, rotation, replay (API, CLI)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests import factories
from tests.webhooks.helpers import deliver_outbox, feedback_event, rebinding_dns
from tests.webhooks.receiver import Receiver
from tinhso.webhooks import services
from tinhso.webhooks.models import Attempt, Delivery, DeliveryStatus, Subscription

pytestmark = pytest.mark.django_db


def _subscribe(receiver: Receiver, *, agency=None, types=("feedback.received",)):  # noqa: ANN001, ANN202
    created = services.subscription_create(acting_user=None, name="Hệ thống nhận",
                                           url=receiver.url, event_types=list(types),
                                           agency=agency)
    receiver.secrets.append(created.secret)
    return created.subscription


def test_an_event_reaches_the_receiver_signed_in_the_envelope(receiver, agency) -> None:
    sub = _subscribe(receiver)
    event = feedback_event(agency.pk)
    deliver_outbox()
    assert services.deliveries_send_due() == 1
    [msg] = receiver.messages
    assert msg.valid_for == receiver.secrets  # independently verified
    assert msg.headers["webhook-id"] == f"msg_{event.event_id.hex}"
    assert abs(int(msg.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert msg.headers["content-type"] == "application/json"
    assert msg.json == {"type": "feedback.received", "timestamp": event.occurred_at.isoformat(),
                        "data": event.payload}
    d = Delivery.objects.get(subscription=sub)
    assert d.status == DeliveryStatus.SUCCEEDED and d.attempts == 1
    [a] = Attempt.objects.filter(delivery=d)
    assert a.status_code == 200 and a.duration_ms >= 0 and a.response_excerpt == "ok"
    # Delivered once: running the consumer or the sender again sends nothing more.
    deliver_outbox()
    assert services.deliveries_send_due() == 0 and len(receiver.messages) == 1


def test_types_and_agency_filter(receiver, agency) -> None:
    other = factories.make_agency(unit=agency.unit, name="Cơ quan khác")
    _subscribe(receiver, agency=agency)
    feedback_event(agency.pk, 1)
    feedback_event(other.pk, 2)
    feedback_event(None, 3)
    feedback_event(agency.pk, 4, type_="feedback.answered")  # a type not chosen
    deliver_outbox()
    services.deliveries_send_due()
    assert [m.json["data"]["feedback_id"] for m in receiver.messages] == [1]


def test_the_handler_is_idempotent(receiver, agency) -> None:
    sub = _subscribe(receiver)
    event = feedback_event(agency.pk)
    assert services.deliveries_for_event(event) == 1
    assert services.deliveries_for_event(event) == 0  # a second delivery of the same event
    assert Delivery.objects.filter(subscription=sub).count() == 1


def _due_now(d: Delivery) -> None:
    Delivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now())


def test_failures_follow_the_retry_schedule_then_give_up(receiver, agency) -> None:
    receiver.status = 503
    _subscribe(receiver)
    feedback_event(agency.pk)
    deliver_outbox()
    waits = []
    for _ in range(services.MAX_ATTEMPTS):
        before = timezone.now()
        services.deliveries_send_due()
        d = Delivery.objects.get()
        if d.next_attempt_at is not None:
            waits.append(round((d.next_attempt_at - before).total_seconds()))
            _due_now(d)
    assert waits == list(services.RETRY_SCHEDULE)
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.FAILED and d.attempts == 8
    assert [a.status_code for a in d.log.all()] == [503] * 8
    assert len(receiver.messages) == 8
    assert len({m.headers["webhook-id"] for m in receiver.messages}) == 1
    assert len({m.body for m in receiver.messages}) == 1


def test_an_unreachable_receiver_is_logged_as_an_error(agency) -> None:
    services.subscription_create(acting_user=None, name="x", url="http://127.0.0.1:9/hooks",
                                 event_types=["feedback.received"])
    feedback_event(agency.pk)
    deliver_outbox()
    services.deliveries_send_due()
    [a] = Attempt.objects.all()
    assert a.status_code is None and "ConnectError" in a.error


def test_410_gone_disables_at_once(receiver, agency) -> None:
    receiver.status = 410
    sub = _subscribe(receiver)
    feedback_event(agency.pk)
    deliver_outbox()
    services.deliveries_send_due()
    sub.refresh_from_db()
    assert not sub.is_active and "410" in sub.disabled_reason
    # Nothing more is sent to a disabled subscription, nor created for it.
    _due_now(Delivery.objects.get())
    feedback_event(agency.pk, 2)
    deliver_outbox()
    assert services.deliveries_send_due() == 0
    assert Delivery.objects.count() == 1


def test_persistent_failure_disables_the_subscription(receiver, agency, settings) -> None:
    settings.TINHSO_WEBHOOK_DISABLE_AFTER_HOURS = 120
    receiver.status = 500
    sub = _subscribe(receiver)
    feedback_event(agency.pk)
    deliver_outbox()
    services.deliveries_send_due()
    sub.refresh_from_db()
    assert sub.is_active and sub.failing_since is not None
    Subscription.objects.filter(pk=sub.pk).update(
        failing_since=timezone.now() - dt.timedelta(hours=121))
    _due_now(Delivery.objects.get())
    services.deliveries_send_due()
    sub.refresh_from_db()
    assert not sub.is_active and "lỗi liên tục" in sub.disabled_reason
    # Back on: the receiver works again and the pending delivery goes out.
    receiver.status = 200
    services.subscription_set_active(acting_user=None, subscription=sub, active=True)
    assert services.deliveries_send_due() == 1
    assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_a_success_clears_the_failing_streak(receiver, agency) -> None:
    receiver.status = 500
    sub = _subscribe(receiver)
    feedback_event(agency.pk)
    deliver_outbox()
    services.deliveries_send_due()
    receiver.status = 200
    _due_now(Delivery.objects.get())
    services.deliveries_send_due()
    sub.refresh_from_db()
    assert sub.failing_since is None and sub.is_active


def test_rotation_signs_with_both_secrets_during_the_overlap(receiver, agency) -> None:
    sub = _subscribe(receiver)
    old = receiver.secrets[0]
    new = services.secret_rotate(acting_user=None, subscription=sub, overlap_seconds=3600)
    receiver.secrets.append(new)
    feedback_event(agency.pk, 1)
    deliver_outbox()
    services.deliveries_send_due()
    msg = receiver.messages[-1]
    assert len(msg.headers["webhook-signature"].split(" ")) == 2
    assert msg.valid_for == [old, new]
    # The overlap ends: only the new secret signs.
    sub.secrets.exclude(expires_at__isnull=True).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    feedback_event(agency.pk, 2)
    deliver_outbox()
    services.deliveries_send_due()
    msg = receiver.messages[-1]
    assert len(msg.headers["webhook-signature"].split(" ")) == 1
    assert msg.valid_for == [new]


def test_replay_over_the_api_sends_the_same_message_again(client, receiver, agency) -> None:
    sub = _subscribe(receiver)
    feedback_event(agency.pk)
    deliver_outbox()
    services.deliveries_send_due()
    d = Delivery.objects.get()
    client.force_login(factories.make_official(agency, "province_admin"))
    r = client.post(f"/api/v1/webhooks/deliveries/{d.pk}/replay")
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert r.json()["replays"] == 1
    services.deliveries_send_due()
    assert len(receiver.messages) == 2
    assert receiver.messages[0].body == receiver.messages[1].body
    assert receiver.messages[0].headers["webhook-id"] == receiver.messages[1].headers["webhook-id"]
    log = client.get(f"/api/v1/webhooks/deliveries?subscription_id={sub.pk}").json()
    assert log[0]["status"] == "succeeded" and len(log[0]["log"]) == 2
    assert log[0]["log"][0]["status_code"] == 200


def test_the_api_is_for_operators_only(client, agency) -> None:
    client.force_login(factories.make_official(agency, "receiver"))
    assert client.get("/api/v1/webhooks/subscriptions").status_code == 403
    r = client.post("/api/v1/webhooks/subscriptions",
                    {"url": "https://a.example.vn/h", "event_types": ["dossier.received"]},
                    content_type="application/json")
    assert r.status_code == 403 and not Subscription.objects.exists()


def test_operator_creates_a_subscription_over_the_api(client, agency) -> None:
    client.force_login(factories.make_official(agency, "province_admin"))
    r = client.post("/api/v1/webhooks/subscriptions",
                    {"url": "https://a.example.vn/h", "event_types": ["dossier.received"],
                     "agency_code": agency.code, "name": "Sở Tư pháp"},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["secret"].startswith("whsec_")
    assert body["subscription"]["agency_code"] == agency.code
    r = client.post(f"/api/v1/webhooks/subscriptions/{body['subscription']['id']}/rotate-secret")
    assert r.status_code == 200 and r.json()["secret"] != body["secret"]
    r = client.post("/api/v1/webhooks/subscriptions",
                    {"url": "ftp://a.example.vn/h", "event_types": ["dossier.received"]},
                    content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "WEBHOOK_BAD_URL"
    assert Subscription.objects.count() == 1


def test_replay_since_creates_what_was_missed_while_off(receiver, agency) -> None:
    sub = _subscribe(receiver)
    services.subscription_set_active(acting_user=None, subscription=sub, active=False)
    start = timezone.now() - dt.timedelta(seconds=1)
    feedback_event(agency.pk, 1)
    feedback_event(agency.pk, 2)
    deliver_outbox()
    assert not Delivery.objects.exists()  # off: nothing created
    services.subscription_set_active(acting_user=None, subscription=sub, active=True)
    assert services.deliveries_replay_since(acting_user=None, subscription=sub,
                                            since=start) == 2
    services.deliveries_send_due()
    assert sorted(m.json["data"]["feedback_id"] for m in receiver.messages) == [1, 2]


def test_the_command_line(receiver, agency, capsys) -> None:
    call_command("webhooks", "add", receiver.url, "--types", "feedback.received",
                 "--agency", agency.code)
    out = capsys.readouterr().out
    receiver.secrets.append(out.split("secret ")[1].strip())
    feedback_event(agency.pk)
    deliver_outbox()
    call_command("webhooks", "send")
    d = Delivery.objects.get()
    call_command("webhooks", "replay", str(d.pk))
    call_command("webhooks", "send")
    call_command("webhooks", "deliveries")
    out = capsys.readouterr().out
    assert "succeeded" in out and len(receiver.messages) == 2
    assert all(m.valid_for for m in receiver.messages)
    call_command("webhooks", "list")
    assert agency.code in capsys.readouterr().out


# --- the SSRF guard (tinhso.core.outbound) ----------------------------------------------------


def test_an_internal_receiver_is_refused_at_registration(client, agency, settings) -> None:
    client.force_login(factories.make_official(agency, "province_admin"))
    for url, code in (("http://169.254.169.254/latest/meta-data/", "OUTBOUND_FORBIDDEN_ADDRESS"),
                      ("http://10.0.0.7/h", "OUTBOUND_FORBIDDEN_ADDRESS"),
                      ("http://2130706433/h", "OUTBOUND_ODD_ADDRESS"),
                      ("https://a.example.vn@127.0.0.1/h", "OUTBOUND_USERINFO")):
        r = client.post("/api/v1/webhooks/subscriptions",
                        {"url": url, "event_types": ["dossier.received"]},
                        content_type="application/json")
        assert r.status_code == 422 and r.json()["code"] == code, (url, r.content)
        assert r.json()["message_vi"] and r.json()["message_en"]
    settings.TINHSO_OUTBOUND_ALLOW = []  # the production default: not even 127.0.0.1
    r = client.post("/api/v1/webhooks/subscriptions",
                    {"url": "http://127.0.0.1:8080/h", "event_types": ["dossier.received"]},
                    content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "OUTBOUND_FORBIDDEN_ADDRESS"
    assert not Subscription.objects.exists()


def test_a_name_rebound_to_an_internal_address_is_not_called(receiver, agency, settings,
                                                             monkeypatch) -> None:
    """Public when registered, 127.0.0.1 when delivering: the attempt fails with the reason,
    nothing reaches the address, and the next try waits for the retry schedule."""
    settings.TINHSO_OUTBOUND_ALLOW = []
    rebinding_dns(monkeypatch, "hooks.example.vn")
    port = receiver.url.split(":")[2].split("/")[0]
    services.subscription_create(acting_user=None, name="x",
                                 url=f"http://hooks.example.vn:{port}/hooks",
                                 event_types=["feedback.received"])
    feedback_event(agency.pk)
    deliver_outbox()
    assert services.deliveries_send_due() == 1
    [a] = Attempt.objects.all()
    assert a.status_code is None
    assert a.error.startswith("OutboundBlocked: OUTBOUND_FORBIDDEN_ADDRESS"), a.error
    assert receiver.messages == []
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.PENDING
    assert d.next_attempt_at >= timezone.now() + dt.timedelta(seconds=4)
    assert services.deliveries_send_due() == 0  # no retry storm


def test_the_admin_form_checks_a_changed_url(receiver, agency, settings) -> None:
    """An edit in the admin does not go through ``subscription_create``: its form checks."""
    from tinhso.webhooks.admin import SubscriptionForm

    sub = _subscribe(receiver)
    data = {"name": sub.name, "url": "http://169.254.169.254/latest/meta-data/",
            "event_types": '["feedback.received"]', "is_active": "on"}
    form = SubscriptionForm(data, instance=sub)
    assert not form.is_valid()
    assert "OUTBOUND_FORBIDDEN_ADDRESS" in str(form.errors["url"])
    form = SubscriptionForm({**data, "url": receiver.url}, instance=sub)
    assert form.is_valid(), form.errors
