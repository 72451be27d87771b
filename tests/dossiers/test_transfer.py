"""Dossiers caught at an abolished agency's desk on 1 July 2025 are moved to its successor:
audited, idempotent, keeping their codes, deadlines and history, announced by events, and
counted under the successor by the IOC (docs/units.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client

from tests import factories
from tests.dossiers.conftest import VN
from tests.dossiers.test_reform import _submit, reform  # noqa: F401 - the fixture
from tinhso.accounts.models import AuditLog
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.dossiers import services
from tinhso.dossiers.models import Dossier, DossierEvent, DossierTransfer, Status
from tinhso.dossiers.services.transfer import dossiers_transfer
from tinhso.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def caught(reform, citizen, clock, media_root):  # noqa: F811
    """On 30 June 2025 the old ward received one dossier and was sent another; one more was
    refused (closed) and one is of a procedure the successor does not handle."""
    clock.set(dt.datetime(2025, 6, 30, 15, 0, tzinfo=VN))
    old = reform["old"]
    staff = {r: factories.make_official(old, r) for r in ("receiver", "leader", "specialist")}
    received = services.dossier_receive(acting_user=staff["receiver"],
                                        dossier=_submit(citizen, reform["procedure"], old))
    received = services.dossier_assign(acting_user=staff["leader"], dossier=received,
                                       assignee=staff["specialist"])
    sent = _submit(citizen, reform["procedure"], old)
    refused = services.dossier_refuse(acting_user=staff["receiver"],
                                      dossier=_submit(citizen, reform["procedure"], old),
                                      reason="Không thuộc thẩm quyền")
    only_old = factories.make_procedure(agencies=[old])
    orphan = _submit(citizen, only_old, old)
    clock.set(dt.datetime(2025, 7, 1, 8, 0, tzinfo=VN))
    admin = factories.make_official(reform["new"], "province_admin")
    return {**reform, "received": received, "sent": sent, "refused": refused,
            "orphan": orphan, "admin": admin, "staff": staff}


def test_open_dossiers_move_with_their_codes_deadlines_and_history(caught) -> None:
    before = {d.pk: (d.code, d.due_at, d.original_due_at, d.events.count())
              for d in Dossier.objects.all()}
    report = dossiers_transfer(acting_user=caught["admin"], from_agency=caught["old"])
    assert report.to_agency == caught["new"].code  # the one successor, found by itself
    assert sorted(report.moved) == sorted([caught["received"].code, caught["sent"].code])
    assert report.skipped == [(caught["orphan"].code, "PROCEDURE_NOT_OFFERED")]
    for key in ("received", "sent"):
        dossier = Dossier.objects.get(pk=caught[key].pk)
        assert dossier.agency == caught["new"] and dossier.unit_id == caught["new"].unit_id
        assert (dossier.code, dossier.due_at, dossier.original_due_at,
                dossier.events.count()) == before[dossier.pk]
        assert dossier.assignee is None  # the old desk's officer no longer holds it
        transfer = DossierTransfer.objects.get(dossier=dossier)
        assert (transfer.from_agency, transfer.to_agency, transfer.actor) == (
            caught["old"], caught["new"], caught["admin"])
    for key in ("refused", "orphan"):
        assert Dossier.objects.get(pk=caught[key].pk).agency == caught["old"]
    events = OutboxEvent.objects.filter(type="dossier.transferred")
    assert sorted(e.payload["code"] for e in events) == sorted(report.moved)
    assert AuditLog.objects.filter(action="dossier_transfer").count() == 2
    assert AuditLog.objects.get(action="dossiers_transfer").data["moved"] == 2


def test_a_second_run_moves_nothing(caught) -> None:
    dossiers_transfer(acting_user=caught["admin"], from_agency=caught["old"])
    again = dossiers_transfer(acting_user=caught["admin"], from_agency=caught["old"])
    assert again.moved == [] and DossierTransfer.objects.count() == 2
    assert OutboxEvent.objects.filter(type="dossier.transferred").count() == 2


def test_the_successor_works_the_moved_dossiers(caught) -> None:
    dossiers_transfer(acting_user=caught["admin"], from_agency=caught["old"])
    receiver = factories.make_official(caught["new"], "receiver")
    sent = services.dossier_receive(acting_user=receiver,
                                    dossier=Dossier.objects.get(pk=caught["sent"].pk))
    assert sent.status == Status.RECEIVED and sent.agency == caught["new"]
    # The old desk's officers no longer see them.
    from tinhso.dossiers.selectors import dossiers_visible_to

    assert not dossiers_visible_to(caught["staff"]["receiver"]).filter(
        pk=caught["received"].pk).exists()


def test_refusals(caught) -> None:
    with pytest.raises(PermissionDenied):
        dossiers_transfer(acting_user=caught["staff"]["leader"], from_agency=caught["old"])
    with pytest.raises(Conflict) as exc:
        dossiers_transfer(acting_user=caught["admin"], from_agency=caught["new"])
    assert exc.value.code == "AGENCY_IN_FORCE"
    with pytest.raises(ValidationFailed) as exc:
        dossiers_transfer(acting_user=caught["admin"], from_agency=caught["old"],
                          to_agency=caught["old"])
    assert exc.value.code == "SUCCESSOR_NOT_IN_FORCE"
    assert not DossierTransfer.objects.exists()
    assert DossierEvent.objects.filter(dossier__agency=caught["new"]).count() == 0


def test_the_ioc_counts_them_under_the_successor(caught) -> None:
    from tinhso.ioc import facts
    from tinhso.outbox.dispatch import run_consumer

    while run_consumer("ioc"):
        pass
    dossiers_transfer(acting_user=caught["admin"], from_agency=caught["old"])
    while run_consumer("ioc"):
        pass
    assert facts.verify() == []


def test_command_and_back_office_page(caught) -> None:
    call_command("transfer_dossiers", "--from", caught["old"].code, "--dry-run")
    assert not DossierTransfer.objects.exists()
    client = Client()
    client.force_login(caught["admin"])
    page = client.get("/mot-cua/chuyen-ho-so/")
    assert page.status_code == 200
    assert f'data-desk="{caught["old"].code}"' in page.content.decode()
    response = client.post("/mot-cua/chuyen-ho-so/", {"tu": caught["old"].code,
                                                      "den": caught["new"].code})
    assert response.status_code == 302 and DossierTransfer.objects.count() == 2
    officer = Client()
    officer.force_login(caught["staff"]["leader"])
    assert officer.get("/mot-cua/chuyen-ho-so/").status_code == 403
    call_command("transfer_dossiers", "--from", caught["old"].code)  # nothing left: no error
    assert DossierTransfer.objects.count() == 2
