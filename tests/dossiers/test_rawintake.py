"""The intake benchmark's raw-insert baseline: parses the multipart body, two INSERTs."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from tests import factories
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.dossiers.rawintake import raw_intake


@pytest.mark.django_db
def test_raw_intake_writes_a_dossier_and_its_event(agency):
    procedure = factories.make_procedure(agencies=[agency], code="9.999998")
    payload = {"procedure": procedure.code, "agency": agency.code,
               "form_data": {"ho_ten": "Nguyễn Văn An"}}
    request = RequestFactory().post("/bench/raw-intake/", {
        "payload": json.dumps(payload, ensure_ascii=False),
        "to-khai": _pdf()})

    response = raw_intake(request)

    assert response.status_code == 201
    dossier = Dossier.objects.get()
    assert dossier.procedure == procedure and dossier.agency == agency
    assert dossier.form_data == {"ho_ten": "Nguyễn Văn An"} and dossier.code.startswith("RAW-")
    assert DossierEvent.objects.get().dossier == dossier
    assert json.loads(response.content)["files"] == {"to-khai": len(_PDF)}


def test_raw_intake_is_not_mounted_by_default():
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/bench/raw-intake/")


_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("to-khai.pdf", _PDF, content_type="application/pdf")
