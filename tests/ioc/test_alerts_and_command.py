"""Alerts (once per event, in the app and by e-mail) and the `tinhso ioc` command."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.ioc.builders import make_dossier
from tinhso.dossiers.models import Action, Channel
from tinhso.ioc.models import DailyFact, Notification, NotificationKind, OpenMonthFact
from tinhso.ioc.tasks import scan_alerts


@pytest.fixture
def leader(world):
    user = factories.make_official(world.commune_pc, "leader")
    user.email = "lanhdao@example.vn"
    user.save()
    return user


def test_overdue_and_near_due_once(world, leader, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TINHSO_PUBLIC_URL = "https://dichvucong.example.vn"
    now = timezone.now()
    late = make_dossier(procedure=world.birth, agency=world.commune_pc,
                        events=[(now - dt.timedelta(days=9), Action.CREATE_DIRECT)])
    soon = make_dossier(procedure=world.birth, agency=world.commune_pc,
                        events=[(now - dt.timedelta(hours=1), Action.CREATE_DIRECT)],
                        original_due_at=now + dt.timedelta(hours=3))
    first = scan_alerts()
    # Two leaders at the commune (the fixture's and this one): one notification each.
    assert (first["overdue"], first["near_due"]) == (2, 2)
    assert scan_alerts()["total"] == 0  # the same events: nothing new
    kinds = dict(Notification.objects.filter(recipient=leader)
                 .values_list("dossier_id", "kind"))
    assert kinds == {late.pk: NotificationKind.OVERDUE, soon.pk: NotificationKind.NEAR_DUE}
    # Only this leader has an e-mail address.
    assert len(mail.outbox) == 2 and "quá hạn" in mail.outbox[0].subject + mail.outbox[1].subject
    # E-mailed links are absolute, on the site's public address.
    links = {line for m in mail.outbox for line in m.body.splitlines() if "://" in line}
    assert links == {f"https://dichvucong.example.vn/ioc/ho-so/{d.code}/" for d in (late, soon)}
    # An apology's new appointment is a new event: announced again when it passes too.
    late.due_at = now - dt.timedelta(minutes=5)
    late.save()
    assert scan_alerts()["overdue"] == 2


def test_indicator_under_threshold(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    for _ in range(6):
        make_dossier(procedure=world.birth, agency=world.commune_pc, channel=Channel.DIRECT,
                     events=[(now - dt.timedelta(minutes=30), Action.CREATE_DIRECT)])
    created = scan_alerts()["indicator_low"]
    assert created >= 1
    low = Notification.objects.filter(kind=NotificationKind.INDICATOR_LOW,
                                      recipient=world.admin)
    assert any("Tỷ lệ hồ sơ nộp trực tuyến" in n.title for n in low)
    assert scan_alerts()["indicator_low"] == 0


def test_notification_pages(world, leader):
    now = timezone.now()
    make_dossier(procedure=world.birth, agency=world.commune_pc,
                 events=[(now - dt.timedelta(days=9), Action.CREATE_DIRECT)])
    call_command("ioc", "scan-alerts")
    client = Client()
    client.force_login(leader)
    page = client.get("/ioc/thong-bao/")
    assert page.status_code == 200 and "quá hạn" in page.content.decode()
    api = client.get("/api/v1/ioc/notifications?unread=true").json()
    assert len(api) == 1
    res = client.post(f"/api/v1/ioc/notifications/{api[0]['id']}/read")
    assert res.status_code == 200 and res.json()["read_at"]
    assert client.get("/api/v1/ioc/notifications?unread=true").json() == []
    other = Client()
    other.force_login(world.admin)
    assert other.post(f"/api/v1/ioc/notifications/{api[0]['id']}/read").status_code == 404


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


def test_concurrent_scans_notify_once(world, leader, settings, monkeypatch):
    """Two processes scanning at once both get past the "already notified?" read; the unique
    (recipient, kind, key) constraint lets only one insert each notification and e-mail."""
    from tinhso.ioc import tasks

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    make_dossier(procedure=world.birth, agency=world.commune_pc,
                 events=[(now - dt.timedelta(days=9), Action.CREATE_DIRECT)])
    first = scan_alerts(now)
    assert first["overdue"] == 2
    rows, mails = Notification.objects.count(), len(mail.outbox)
    monkeypatch.setattr(tasks, "_already", lambda kind, keys: set())  # the racing process
    assert scan_alerts(now)["total"] == 0
    assert (Notification.objects.count(), len(mail.outbox)) == (rows, mails)


def test_scan_alerts_every_keeps_scanning_until_interrupted(monkeypatch, capsys):
    from tinhso.core import periodic
    from tinhso.ioc import tasks

    calls: list[int] = []

    def fake_scan() -> dict[str, int]:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return {"near_due": 0, "overdue": len(calls), "total": len(calls)}

    monkeypatch.setattr(tasks, "scan_alerts", fake_scan)
    monkeypatch.setattr(periodic.connections, "close_all", lambda: None)
    call_command("ioc", "scan-alerts", "--every", "0.001")
    out = capsys.readouterr().out
    assert len(calls) == 3
    assert "created 1 notifications" in out and "created 2 notifications" in out
    assert "Đã dừng / stopped." in out


def test_serve_starts_the_alert_scanner(settings, monkeypatch, capsys):
    import waitress

    from tinhso.ioc import tasks

    real_start = tasks.start_periodic
    started: list[float] = []
    monkeypatch.setattr(tasks, "start_periodic",
                        lambda seconds, job, name: started.append(seconds) or object())
    monkeypatch.setattr(waitress, "serve", lambda *a, **k: None)
    # serve also starts the LGSP tree-head signer: not this test's business (no DB thread).
    monkeypatch.setattr("tinhso.lgsp.tasks.start_tree_head_signer", lambda: None)
    settings.TINHSO_ALERT_SCAN_SECONDS = 120
    call_command("serve")
    assert started == [120] and "mỗi 120 giây" in capsys.readouterr().out
    monkeypatch.setattr(tasks, "start_periodic", real_start)
    settings.TINHSO_ALERT_SCAN_SECONDS = 0  # off: no thread, no message
    call_command("serve")
    assert "mỗi" not in capsys.readouterr().out
