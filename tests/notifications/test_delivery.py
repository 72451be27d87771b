"""Delivery: logged per attempt, retried on failure, failed with a reason, never duplicated."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from tests import factories
from tinhso.notifications import channels
from tinhso.notifications.models import Channel, Delivery, DeliveryState, Notification
from tinhso.notifications.services import (
    RetryLater,
    deliveries_requeue_stale,
    delivery_attempt,
    delivery_retry,
    notification_create,
    preference_update,
    user_recipient,
)

pytestmark = pytest.mark.django_db

CONTEXT = {"code": "000.00.10.H10-260302-0001", "procedure": "Đăng ký khai sinh",
           "agency": "UBND xã Tân Thành", "due": "16:30 05/03/2026"}


@pytest.fixture
def person(db):
    user = factories.make_citizen()
    user.email, user.phone = "an@example.vn", "0912345678"
    user.save()
    return user


def create(person, key="e1", **extra):
    return notification_create(event_key=key, kind="received", recipient=user_recipient(person),
                               context=CONTEXT, link="http://x/ho-so", **extra)


def test_one_event_one_message_per_recipient_and_channel(person, sms):
    first = create(person)
    assert create(person) is None
    assert Notification.objects.count() == 1
    assert sorted(first.deliveries.values_list("channel", flat=True)) == ["email", "sms"]


def test_failing_smtp_is_logged_retried_then_failed(person, settings, monkeypatch):
    settings.TINHSO_NOTIFY_MAX_ATTEMPTS = 3
    delivery = create(person).deliveries.get(channel=Channel.EMAIL)

    def broken(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(channels, "send_mail", broken)
    for attempt in (1, 2):
        with pytest.raises(RetryLater):
            delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts) == (DeliveryState.RETRIED, attempt)
        assert "Connection refused" in delivery.reason
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryState.FAILED
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 3)
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryState.FAILED  # no 4th try
    assert delivery.attempts == 3


def test_retry_after_a_transient_failure_sends(person, monkeypatch):
    delivery = create(person).deliveries.get(channel=Channel.EMAIL)
    real = channels.send_mail
    monkeypatch.setattr(channels, "send_mail", lambda *a, **k: (_ for _ in ()).throw(
        TimeoutError("timed out")))
    with pytest.raises(RetryLater):
        delivery_attempt(delivery_id=delivery.pk)
    monkeypatch.setattr(channels, "send_mail", real)
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryState.SENT
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.sent_at is not None
    assert len(mail.outbox) == 1


def test_sms_gateway_down_is_retried_and_a_rejection_is_final(person, settings):
    settings.TINHSO_SMS_URL = f"http://127.0.0.1:{_closed_port()}"
    delivery = create(person).deliveries.get(channel=Channel.SMS)
    with pytest.raises(RetryLater):
        delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RETRIED and "unreachable" in delivery.reason


def test_sms_rejected_by_the_gateway_fails_at_once(person, sms, monkeypatch):
    delivery = create(person).deliveries.get(channel=Channel.SMS)
    Notification.objects.filter(pk=delivery.notification_id).update(sms_text="Hồ sơ")
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryState.FAILED
    delivery.refresh_from_db()
    assert "HTTP 422" in delivery.reason and "GSM-7" in delivery.reason
    assert delivery.attempts == 1 and sms.messages == []


def test_invalid_phone_is_logged_as_failed_without_trying(person, sms):
    person.phone = "12345"
    person.save()
    delivery = create(person).deliveries.get(channel=Channel.SMS)
    assert delivery.state == DeliveryState.FAILED and "Vietnamese" in delivery.reason


def test_preferences_choose_the_channels(person, sms):
    preference_update(acting_user=person, email=False, sms=False, language="en")
    msg = create(person)
    assert msg.in_app and not msg.deliveries.exists()
    assert msg.title == f"Dossier {CONTEXT['code']} received"
    preference_update(acting_user=person, in_app=False, email=True)
    msg = create(person, key="e2")
    assert not msg.in_app
    assert list(msg.deliveries.values_list("channel", flat=True)) == ["email"]
    preference_update(acting_user=person, email=False)
    assert create(person, key="e3") is None  # nothing wanted: nothing written


def test_inactive_users_are_not_told(person):
    person.is_active = False
    person.save()
    assert create(person) is None


def test_admin_retry_requeues_a_failed_delivery(person, monkeypatch, settings):
    settings.TINHSO_NOTIFY_MAX_ATTEMPTS = 1
    delivery = create(person).deliveries.get(channel=Channel.EMAIL)
    monkeypatch.setattr(channels, "send_mail", lambda *a, **k: (_ for _ in ()).throw(
        OSError("no route")))
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryState.FAILED
    with pytest.raises(Exception, match="not allowed"):
        delivery_retry(acting_user=person, delivery_id=delivery.pk)
    admin = factories.make_official(factories.make_agency(), username="quantri")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    delivery = delivery_retry(acting_user=admin, delivery_id=delivery.pk)
    assert (delivery.state, delivery.attempts) == (DeliveryState.QUEUED, 0)


def test_stale_deliveries_are_requeued(person, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    delivery = create(person).deliveries.get(channel=Channel.EMAIL)
    sent: list[int] = []
    monkeypatch.setattr("tinhso.notifications.tasks.deliver", lambda pk, **_: sent.append(pk))
    assert deliveries_requeue_stale() == 0  # fresh: its own job is still coming
    Delivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1))
    assert deliveries_requeue_stale() == 1 and sent == [delivery.pk]
    # Claimed by a live attempt: left alone.
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_until=timezone.now() + dt.timedelta(minutes=1))
    assert deliveries_requeue_stale() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_send_once(person, monkeypatch):
    """Two workers given the same delivery (at-least-once queues do that): one sends."""
    monkeypatch.setattr("tinhso.notifications.tasks.deliver", lambda pk, **_: None)
    delivery = create(person).deliveries.get(channel=Channel.EMAIL)
    entered = threading.Barrier(2, timeout=30)
    calls: list[str] = []

    results: list[str] = []
    other_done = threading.Event()

    def slow_send(*args, **kwargs):
        # Hold the send until the other worker has given up: were the claim missing, the
        # other worker would be sending too and this would time out with two sends.
        calls.append("send")
        other_done.wait(timeout=10)
        return 1

    monkeypatch.setattr(channels, "send_mail", slow_send)

    def worker() -> None:
        try:
            entered.wait()
            results.append(delivery_attempt(delivery_id=delivery.pk))
            other_done.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert calls == ["send"]
    assert sorted(results)[-1] == DeliveryState.SENT
    delivery.refresh_from_db()
    assert delivery.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_handlers_write_one_message(person):
    barrier = threading.Barrier(4, timeout=30)
    created: list[object] = []

    def worker() -> None:
        try:
            barrier.wait()
            created.append(create(person, key="race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(created) == 4 and sum(c is not None for c in created) == 1
    assert Notification.objects.filter(event_key="race").count() == 1
    assert Delivery.objects.filter(notification__event_key="race").count() == 1


@pytest.mark.django_db(transaction=True)
def test_deliveries_are_queued_after_commit(person):
    """The job is enqueued only once the message is committed (immediate mode runs it)."""
    msg = create(person)
    assert msg.deliveries.get().state == DeliveryState.SENT
    assert [m.to for m in mail.outbox] == [["an@example.vn"]]


def _closed_port() -> int:
    from tests.processes import free_port

    return free_port()


def test_a_worker_killed_mid_send_loses_nothing(person, monkeypatch):
    """The process dies inside the send: the delivery stays queued under an expiring claim,
    and the sweeper hands it to another worker once the claim has run out."""
    import datetime as dt

    from django.utils import timezone

    delivery = create(person).deliveries.get(channel=Channel.EMAIL)
    real = channels.send_mail

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(channels, "send_mail", killed)
    with pytest.raises(SystemExit):
        delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.QUEUED and delivery.claimed_until is not None
    requeued: list[int] = []
    monkeypatch.setattr("tinhso.notifications.tasks.deliver",
                        lambda pk, **_: requeued.append(pk))
    assert deliveries_requeue_stale() == 0  # still claimed
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1),
        last_attempt_at=timezone.now() - dt.timedelta(hours=1))
    assert deliveries_requeue_stale() == 1 and requeued == [delivery.pk]
    monkeypatch.setattr(channels, "send_mail", real)
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryState.SENT
    assert len(mail.outbox) == 1
