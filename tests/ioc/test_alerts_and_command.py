"""Leaders' IOC alerts (subscriptions in the notifications app, once per event) and the
`tinhso ioc` command."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.ioc.builders import make_dossier
from tinhso.dossiers.models import Action, Channel
from tinhso.ioc.models import DailyFact, OpenMonthFact
from tinhso.ioc.models import Notification as IocNotification
from tinhso.ioc.tasks import scan_alerts
from tinhso.notifications.alerts import alert_subscription_update
from tinhso.notifications.models import Notification
from tinhso.notifications.reminders import reminders_send


@pytest.fixture
def leader(world):
    user = factories.make_official(world.commune_pc, "leader")
    user.email = "lanhdao@example.vn"
    user.save()
    return user


def _alerts(user, kind=None):
    qs = Notification.objects.filter(recipient=user, event_key__startswith="alert:")
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def test_leaders_are_told_of_dossiers_by_subscription(world, leader, settings):
    """Near-due and overdue dossiers reach the agency's leaders through the notifications app,
    as each subscribes: overdue by default, near-due on request, nothing when unsubscribed."""
    settings.TINHSO_PUBLIC_URL = "https://dichvucong.example.vn"
    now = timezone.now()
    late = make_dossier(procedure=world.birth, agency=world.commune_pc,
                        events=[(now - dt.timedelta(days=9), Action.CREATE_DIRECT)])
    soon = make_dossier(procedure=world.birth, agency=world.commune_pc,
                        events=[(now - dt.timedelta(hours=1), Action.CREATE_DIRECT)],
                        original_due_at=now + dt.timedelta(hours=3))
    alert_subscription_update(acting_user=world.commune_leader, kinds=[])
    reminders_send(now=now)
    assert [(n.kind, n.dossier_id) for n in _alerts(leader)] == [("overdue", late.pk)]
    assert not _alerts(world.commune_leader).exists()
    notification = _alerts(leader).get()
    assert notification.link == f"https://dichvucong.example.vn/mot-cua/ho-so/{late.code}/"
    assert {d.channel for d in notification.deliveries.all()} == {"email"}
    # The same events: nothing new; a near-due subscription adds the dossier due soon.
    alert_subscription_update(acting_user=leader, kinds=["near_due", "overdue"])
    reminders_send(now=now + dt.timedelta(minutes=10))
    assert sorted((n.kind, n.dossier_id) for n in _alerts(leader)) == [
        ("near_due", soon.pk), ("overdue", late.pk)]
    # An apology's new appointment is a new event: announced again when it passes too.
    late.due_at = now - dt.timedelta(minutes=5)
    late.save()
    reminders_send(now=now + dt.timedelta(minutes=20))
    assert _alerts(leader, "overdue").count() == 2


def test_indicator_under_threshold(world, settings):
    now = timezone.now()
    for _ in range(6):
        make_dossier(procedure=world.birth, agency=world.commune_pc, channel=Channel.DIRECT,
                     events=[(now - dt.timedelta(minutes=30), Action.CREATE_DIRECT)])
    created = scan_alerts()["indicator_low"]
    assert created >= 1
    low = Notification.objects.filter(kind="indicator_low", recipient=world.admin)
    assert any("Tỷ lệ hồ sơ nộp trực tuyến" in n.title for n in low)
    assert all(len(n.sms_text) <= 160 and n.sms_text.isascii() for n in low)
    assert Notification.objects.filter(kind="indicator_low",
                                       recipient=world.commune_leader).exists()
    assert scan_alerts()["indicator_low"] == 0
    # A province admin who unsubscribes is no longer told.
    alert_subscription_update(acting_user=world.admin, kinds=["overdue"])
    Notification.objects.filter(kind="indicator_low").delete()
    scan_alerts()
    assert not Notification.objects.filter(kind="indicator_low", recipient=world.admin).exists()


def test_subscriptions_api_and_page(world, leader):
    client = Client()
    client.force_login(leader)
    got = client.get("/api/v1/notifications/alerts").json()
    assert got["kinds"] == ["overdue", "indicator_low", "petition_overdue"]
    assert "near_due" in got["available"]
    res = client.put("/api/v1/notifications/alerts", {"kinds": ["near_due"]},
                     content_type="application/json")
    assert res.status_code == 200 and res.json()["kinds"] == ["near_due"]
    bad = client.put("/api/v1/notifications/alerts", {"kinds": ["weather"]},
                     content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["code"] in {"ALERT_KIND_UNKNOWN", "VALIDATION_ERROR"}
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert 'name="kinds" value="near_due" checked' in page
    client.post(reverse("notifications:alerts"), {"kinds": ["overdue", "petition_overdue"]})
    assert client.get("/api/v1/notifications/alerts").json()["kinds"] == [
        "overdue", "petition_overdue"]
    # A specialist has nothing to subscribe to.
    specialist = Client()
    specialist.force_login(world.dept_official)
    assert specialist.get("/api/v1/notifications/alerts").json() == {"kinds": [],
                                                                     "available": []}
    denied = specialist.put("/api/v1/notifications/alerts", {"kinds": ["overdue"]},
                            content_type="application/json")
    assert denied.status_code == 403 and denied.json()["code"] == "ALERTS_NOT_FOR_ROLE"


def test_old_ioc_alerts_stay_readable(world, leader):
    old = IocNotification.objects.create(recipient=leader, kind="overdue", key="overdue:1:x",
                                         title="Hồ sơ X đã quá hạn")
    client = Client()
    client.force_login(leader)
    page = client.get("/ioc/thong-bao/").content.decode()
    assert "Hồ sơ X đã quá hạn" in page and reverse("notifications:inbox") in page
    api = client.get("/api/v1/ioc/notifications?unread=true").json()
    assert [n["id"] for n in api] == [old.pk]
    assert client.post(f"/api/v1/ioc/notifications/{old.pk}/read").status_code == 200
    other = Client()
    other.force_login(world.admin)
    assert other.post(f"/api/v1/ioc/notifications/{old.pk}/read").status_code == 404


def test_rebuild_and_verify_commands(world, capsys):
    make_dossier(procedure=world.birth, agency=world.commune_pc,
                 events=[(dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC), Action.CREATE_DIRECT)])
    call_command("ioc", "verify")
    assert "khớp" in capsys.readouterr().out
    DailyFact.objects.update(received=7)  # corrupt the facts
    with pytest.raises(CommandError):
        call_command("ioc", "verify")
    out = capsys.readouterr().out
    assert "received: expected 1, found 7" in out
    call_command("ioc", "rebuild")
    call_command("ioc", "verify")
    OpenMonthFact.objects.update(overdue_started=3)
    with pytest.raises(CommandError):
        call_command("ioc", "verify")
    assert "OpenMonthFact" in capsys.readouterr().out
    call_command("ioc", "rebuild")
    call_command("ioc", "index", "70", "2026-01-01", "2026-01-31")
    assert '"ON_TIME_RATE"' in capsys.readouterr().out


def test_series_and_ranking_api(world):
    make_dossier(procedure=world.birth, agency=world.commune_pc,
                 events=[(timezone.now() - dt.timedelta(days=1), Action.CREATE_DIRECT)])
    client = Client()
    client.force_login(world.admin)
    series = client.get("/api/v1/ioc/series?scope=70&months=3").json()
    assert len(series) == 3 and series[-1]["received"] == 1
    today = timezone.localdate()
    ranking = client.get(f"/api/v1/ioc/ranking?scope=70&from={today.replace(day=1)}"
                         f"&to={today}").json()
    assert [r["code"] for r in ranking][:1] and {r["code"] for r in ranking} == {"689", "691"}
    client.force_login(world.commune_leader)
    assert client.get("/api/v1/ioc/series?scope=70").status_code == 403


def test_concurrent_scans_notify_once(world, settings):
    """Two processes scanning at once: the unique (event, recipient) key lets only one insert
    each message and its deliveries."""
    from concurrent.futures import ThreadPoolExecutor

    now = timezone.now()
    for _ in range(6):
        make_dossier(procedure=world.birth, agency=world.commune_pc, channel=Channel.DIRECT,
                     events=[(now - dt.timedelta(minutes=30), Action.CREATE_DIRECT)])
    first = scan_alerts(now)
    assert first["indicator_low"] >= 1
    rows = Notification.objects.count()
    with ThreadPoolExecutor(2) as pool:
        again = list(pool.map(lambda _: scan_alerts(now)["total"], range(2)))
    assert again == [0, 0] and Notification.objects.count() == rows
