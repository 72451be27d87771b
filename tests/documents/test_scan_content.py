"""The scan of an original that an officer certifies goes through the same content checks as a
dossier's attachments (issue 9): type by content, size, active PDF content, PDF/HTML polyglots,
absurd image dimensions. Each refusal leaves nothing behind: no register entry, no document, no
audit line, no file."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.dossiers.test_upload_content import ACTIVE, jpeg, objstm_pdf, png
from tests.signatures import pkihelpers as h
from tinhso.accounts.models import AuditLog
from tinhso.core.errors import ValidationFailed
from tinhso.documents import services
from tinhso.documents.models import CertificationRegisterEntry, Document

URL = "/api/v1/signatures/certified-copies"


def _post(client, name: str, content: bytes):
    return client.post(URL, {"file": SimpleUploadedFile(name, content),
                             "description": "Bằng tốt nghiệp", "applicant_name": "Trần Văn Bình"})


def _nothing_stored() -> bool:
    root = settings.MEDIA_ROOT
    files = [f for _, _, fs in os.walk(root) for f in fs] if os.path.exists(root) else []
    return (not CertificationRegisterEntry.objects.exists() and not Document.objects.exists()
            and not AuditLog.objects.filter(action="certification_register").exists()
            and not files)


def _polyglot(markup: bytes) -> bytes:
    return h.simple_pdf().replace(b"trailer", b"%" + markup + b"\ntrailer", 1)


@pytest.fixture
def signed_in(client, officer, officer_cert, certifier):
    client.force_login(officer)
    return client


@pytest.mark.parametrize("case", sorted(ACTIVE))
def test_scan_pdf_with_active_content_is_refused(signed_in, case):
    response = _post(signed_in, "ban-chinh.pdf", ACTIVE[case])
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "FILE_ACTIVE_CONTENT" and body["details"]["found"]
    assert body["details"]["file"] == "ban-chinh.pdf"
    assert _nothing_stored()


def test_scan_with_javascript_in_a_compressed_object_stream_is_refused(signed_in):
    response = _post(signed_in, "ban-chinh.pdf", objstm_pdf())
    assert response.status_code == 422
    assert response.json()["code"] == "FILE_ACTIVE_CONTENT"
    assert _nothing_stored()


@pytest.mark.parametrize("markup", [b"<html><script>alert(1)</script>", b"<IFRAME src=x>"])
def test_scan_pdf_html_polyglot_is_refused(signed_in, markup):
    response = _post(signed_in, "ban-chinh.pdf", _polyglot(markup))
    assert response.status_code == 422
    assert response.json()["code"] == "FILE_POLYGLOT"
    assert _nothing_stored()


def test_scan_image_with_html_inside_is_refused(signed_in):
    response = _post(signed_in, "anh.png", png(800, 600) + b"<script>alert(1)</script>")
    assert response.status_code == 422
    assert response.json()["code"] == "FILE_POLYGLOT"
    assert _nothing_stored()


@pytest.mark.parametrize("name,content", [("anh.png", png(100_000, 100_000)),
                                          ("anh.jpg", jpeg(65_000, 65_000))])
def test_scan_image_claiming_absurd_dimensions_is_refused(signed_in, name, content):
    response = _post(signed_in, name, content)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "FILE_IMAGE_TOO_LARGE" and body["details"]["width"] >= 65_000
    assert _nothing_stored()


def test_scan_over_the_size_limit_is_refused(signed_in, settings):
    settings.TINHSO_MAX_UPLOAD_BYTES = 2048
    response = _post(signed_in, "ban-chinh.pdf", h.simple_pdf() + b"%" + b"x" * 4096)
    assert response.status_code == 413
    assert response.json()["code"] == "FILE_TOO_LARGE"
    assert _nothing_stored()


def test_scan_type_is_sniffed_not_taken_from_its_name(signed_in):
    response = _post(signed_in, "ban-chinh.pdf", b"MZ\x90\x00" + b"\x00" * 200)  # a program
    assert response.status_code == 422
    assert response.json()["code"] == "SCAN_TYPE_INVALID"
    assert _nothing_stored()


def test_service_refuses_too_without_a_file_name(officer, officer_cert, certifier):
    with pytest.raises(ValidationFailed) as exc:
        services.certified_copy_issue(acting_user=officer, scan_file=ACTIVE["launch"],
                                      description="Bằng", applicant_name="A")
    assert exc.value.code == "FILE_ACTIVE_CONTENT"
    assert _nothing_stored()


def test_an_ordinary_scan_is_still_certified(signed_in):
    response = _post(signed_in, "ban-chinh.pdf", h.simple_pdf())
    assert response.status_code == 201, response.content
    assert CertificationRegisterEntry.objects.count() == 1
