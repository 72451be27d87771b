"""Signed one-stop forms follow the transitions, after commit, without blocking them."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dossiers.conftest import pdf
from tests.signatures import pkihelpers
from tinhso.documents.models import Document
from tinhso.dossiers import services
from tinhso.dossiers.models import Status

pytestmark = pytest.mark.django_db


def submit(citizen, procedure, agency):
    return services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Phạm Thị Hoa"}, files=[("to-khai", pdf())])


def test_receipt_refusal_and_result_are_signed_documents(
        citizen, procedure, agency, officers, media_root, django_capture_on_commit_callbacks):
    pkihelpers.init_pki()
    dossier = submit(citizen, procedure, agency)
    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    receipt = Document.objects.get(dossier=dossier)
    assert receipt.form == "01"
    assert dossier.attachments.filter(kind="document").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_request_supplement(
            acting_user=officers["specialist"], dossier=dossier, reason="Bản sao giấy khai sinh")
    assert set(Document.objects.filter(dossier=dossier).values_list("form", flat=True)) == {
        "01", "02"}


def test_apology_issues_form_04(citizen, procedure, agency, officers, clock, media_root,
                                django_capture_on_commit_callbacks):
    pkihelpers.init_pki()
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    clock.set(dossier.due_at + dt.timedelta(hours=30))
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_apologize(acting_user=officers["leader"], dossier=dossier,
                                   new_due_at=clock.now + dt.timedelta(days=3),
                                   reason="Cần xác minh thêm")
    assert Document.objects.get(dossier=dossier).form == "04"


def test_transition_stands_when_signing_is_impossible(
        citizen, procedure, agency, officers, media_root, django_capture_on_commit_callbacks,
        caplog):
    # No provincial CA yet: the receipt cannot be signed, the reception still happens.
    dossier = submit(citizen, procedure, agency)
    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED
    assert not Document.objects.filter(dossier=dossier).exists()
    assert "not issued" in caplog.text
