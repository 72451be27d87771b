"""The IOC facts as the "ioc" consumer: lag shown, rebuild-safe, verify drains first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client

from tests.dossiers.conftest import pdf
from tinhso.dossiers import services
from tinhso.ioc import consumer
from tinhso.ioc.facts import rebuild, verify
from tinhso.ioc.models import DailyFact, DossierFactState
from tinhso.outbox.dispatch import drain_outbox, run_consumer

pytestmark = pytest.mark.django_db


def received_dossier(citizen, procedure, agency, officers):
    dossier = services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf())])
    return services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)


def test_freshness_shows_the_lag(citizen, procedure, agency, officers, media_root, clock):
    assert consumer.freshness().pending == 0
    received_dossier(citizen, procedure, agency, officers)
    later = clock.now + dt.timedelta(seconds=42)
    fresh = consumer.freshness(later)
    assert fresh.pending == 2 and fresh.up_to == clock.now and fresh.lag_seconds == 42
    drain_outbox()
    fresh = consumer.freshness(later)
    assert (fresh.pending, fresh.lag_seconds, fresh.up_to) == (0, 0.0, later)


def test_a_rebuild_before_delivery_is_not_counted_twice(citizen, procedure, agency, officers,
                                                        media_root):
    dossier = received_dossier(citizen, procedure, agency, officers)
    rebuild()  # counts the dossier's events from the log, the outbox still holds them
    assert verify() == []
    facts = list(DailyFact.objects.values())
    assert run_consumer("ioc") == 2  # delivered, recognised, skipped
    assert list(DailyFact.objects.values()) == facts and verify() == []
    state = DossierFactState.objects.get(pk=dossier.pk)
    assert state.last_event_id == dossier.events.order_by("-id").first().pk


def test_ioc_verify_applies_pending_events_first(citizen, procedure, agency, officers,
                                                 media_root, capsys):
    received_dossier(citizen, procedure, agency, officers)
    with pytest.raises(Exception, match="differences"):
        call_command("ioc", "verify", "--no-drain")
    call_command("ioc", "verify")
    out = capsys.readouterr().out
    assert "applied 2 pending events first" in out and "facts match" in out


def test_the_ioc_pages_show_how_fresh_the_facts_are(citizen, procedure, agency, officers,
                                                    media_root, django_user_model):
    from tests import factories

    received_dossier(citizen, procedure, agency, officers)
    admin = factories.make_official(agency, "province_admin", username="qtt")
    client = Client()
    client.force_login(admin)
    page = client.get("/ioc/").content.decode()
    assert "Dữ liệu đến" in page and "2 sự kiện chờ" in page
    drain_outbox()
    page = client.get("/ioc/").content.decode()
    assert "Dữ liệu đến" in page and "sự kiện chờ" not in page
