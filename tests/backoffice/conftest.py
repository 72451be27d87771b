"""Fixtures of the back-office tests: an agency's officers and dossiers in several states."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tinhso.dossiers import services

PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
             b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def pdf(name: str = "to-khai.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def officers(agency):
    return {role: factories.make_official(agency, role, username=f"bo-{role}")
            for role in ("receiver", "specialist", "leader")}


@pytest.fixture
def submit(citizen, procedure, agency):
    def make(**extra):
        return services.dossier_submit_online(
            acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
            form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf())], **extra)
    return make


@pytest.fixture
def dossier(submit):
    return submit()
