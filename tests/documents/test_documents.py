from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess
import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tests import factories
from tests.signatures import pkihelpers as h
from tests.signatures.tools import require_tool
from tinhso.accounts.models import AuditLog
from tinhso.core.errors import DomainError, PermissionDenied, ValidationFailed
from tinhso.documents import render, services
from tinhso.documents.models import CertificationRegisterEntry, Document
from tinhso.dossiers.models import Attachment, AttachmentKind
from tinhso.signatures import services as pki_services
from tinhso.signatures.models import Certificate, CertificateEvent
from tinhso.signatures.verify import verify_pdf

EXTRA = {
    "01": {},
    "02": {"items": ["Bản sao giấy chứng nhận kết hôn", "Tờ khai có chữ ký của người yêu cầu"],
           "reason": "Hồ sơ còn thiếu giấy tờ"},
    "03": {"reason": "Thủ tục không thuộc thẩm quyền giải quyết của cơ quan"},
    "04": {"reason": "Cần xác minh thêm thông tin", "new_due_at": "2026-12-01T10:00:00+07:00"},
    "result": {"content": "Cấp Giấy khai sinh bản chính và bản sao."},
}


@pytest.fixture
def dossier(agency, procedure):
    return h.make_dossier(agency, procedure)


@pytest.mark.parametrize("form", ["01", "02", "03", "04", "result"])
def test_each_form_is_rendered_signed_and_stored(form, dossier, officer, officer_cert):
    doc = services.document_issue(acting_user=officer, dossier=dossier, form=form,
                                  extra=EXTRA[form])
    data = doc.file.read()
    assert hashlib.sha256(data).hexdigest() == doc.sha256 == doc.attachment.sha256
    expected_kind = AttachmentKind.RESULT if form == "result" else AttachmentKind.DOCUMENT
    assert doc.attachment.kind == expected_kind and doc.attachment.dossier == dossier
    report = verify_pdf(data)
    assert report.valid is True
    # Results carry the officer's and the agency's signature; the forms the officer's.
    expected = 2 if form == "result" else 1
    assert len(report.signatures) == expected == len(doc.signers)
    assert report.signatures[0].signer == officer_cert.common_name
    assert all(s.timestamped for s in report.signatures)
    assert AuditLog.objects.filter(action="document_issue", object_id=str(doc.uuid)).exists()


def test_without_officer_certificate_the_agency_signs_with_an_auto_issued_certificate(
        pki_ready, dossier, officer, agency):
    doc = services.document_issue(acting_user=officer, dossier=dossier, form="01", extra={})
    [signer] = doc.signers
    cert = Certificate.objects.get(pk=signer["certificate_id"])
    assert cert.holder_agency == agency and cert.kind == "organisation"
    event = CertificateEvent.objects.get(certificate=cert, action="issue")
    assert event.actor is None and event.data["auto"] is True
    # The next document reuses the same agency certificate.
    doc2 = services.document_issue(acting_user=officer, dossier=dossier, form="01", extra={})
    assert doc2.signers[0]["certificate_id"] == cert.pk


def test_official_of_another_agency_cannot_issue(pki_ready, dossier, other_agency):
    stranger = factories.make_official(other_agency, "receiver")
    with pytest.raises(PermissionDenied):
        services.document_issue(acting_user=stranger, dossier=dossier, form="01", extra={})
    assert not Document.objects.exists() and not Attachment.objects.exists()


def test_missing_required_field_changes_nothing(pki_ready, dossier, officer):
    with pytest.raises(ValidationFailed) as exc:
        services.document_issue(acting_user=officer, dossier=dossier, form="03", extra={})
    assert exc.value.code == "DOCUMENT_FIELD_REQUIRED"
    assert not Document.objects.exists() and not Attachment.objects.exists()


def test_pki_not_initialised(db, agency, procedure, officer):
    dossier = h.make_dossier(agency, procedure)
    with pytest.raises(DomainError) as exc:
        services.document_issue(acting_user=officer, dossier=dossier, form="01", extra={})
    assert exc.value.code == "PKI_NOT_INITIALISED" and exc.value.status == 409


def test_qr_page_shows_document_but_no_personal_data(client, dossier, officer, operator,
                                                     officer_cert):
    doc = services.document_issue(acting_user=officer, dossier=dossier, form="01", extra={})
    page = client.get(f"/chu-ky-so/xac-minh/{doc.uuid}")
    html = page.content.decode()
    assert page.status_code == 200
    assert dossier.code in html and dossier.agency.name in html
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in html
    assert officer_cert.common_name in html and "Văn bản do hệ thống phát hành" in html
    for private in (dossier.applicant_name, dossier.applicant_id_number,
                    dossier.applicant_phone, dossier.applicant_address):
        assert private not in html
    pki_services.certificate_revoke(acting_user=operator, certificate=officer_cert,
                                    reason="key_compromise")
    assert "đã bị thu hồi" in client.get(f"/chu-ky-so/xac-minh/{doc.uuid}").content.decode()
    assert client.get("/chu-ky-so/xac-minh/00000000-0000-4000-8000-000000000000"
                      ).status_code == 404


def test_qr_code_points_at_the_verification_page(dossier, officer, officer_cert):
    doc = services.document_issue(acting_user=officer, dossier=dossier, form="01", extra={})
    assert services.verify_url(doc.uuid) == (
        f"https://tinhso.example.vn/chu-ky-so/xac-minh/{doc.uuid}")


def test_pdf_text_is_vietnamese_nfc(tmp_path, dossier, officer, officer_cert):
    pdftotext = require_tool("pdftotext")
    doc = services.document_issue(acting_user=officer, dossier=dossier, form="02",
                                  extra=EXTRA["02"])
    path = tmp_path / "02.pdf"
    path.write_bytes(doc.file.read())
    text = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    text = unicodedata.normalize("NFC", text)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", dossier.code,
                     "Nguyễn Thị Bích Ngọc", "Bản sao giấy chứng nhận kết hôn", "ĐÃ KÝ SỐ"):
        assert expected in text


# --- E-certified copies ----------------------------------------------------------------------


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (300, 400), (240, 240, 230)).save(buf, format="PNG")
    return buf.getvalue()


def test_certified_copy_from_pdf_and_image(officer, officer_cert, agency, certifier):
    first = services.certified_copy_issue(
        acting_user=officer, scan_file=h.simple_pdf(), description="Bằng tốt nghiệp THPT",
        applicant_name="Trần Văn Bình", applicant_id_number=factories.VALID_ID_NUMBER)
    second = services.certified_copy_issue(
        acting_user=officer, scan_file=_png(), description="Giấy khai sinh",
        applicant_name="Phạm Thị Lan", pages=3, copies=2)
    year = timezone.localdate().year
    assert (first.entry.number, second.entry.number) == (1, 2)
    assert first.entry.book_number == f"{year}-SCT/BS"
    assert first.entry.fee == 2000 and second.entry.fee == 2 * 5000
    for copy in (first, second):
        data = copy.document.file.read()
        report = verify_pdf(data)
        assert report.valid is True
        signers = [s.signer for s in report.signatures]
        assert signers == [officer_cert.common_name, agency.name]  # officer, then the commune
        assert render.page_count(data) == 2  # the scan + the certification page
    assert AuditLog.objects.filter(action="certification_register").count() == 2


def test_certified_copy_needs_the_officer_certificate(pki_ready, officer, certifier):
    with pytest.raises(DomainError) as exc:
        services.certified_copy_issue(acting_user=officer, scan_file=h.simple_pdf(),
                                      description="Bằng", applicant_name="A")
    assert exc.value.code == "OFFICER_CERTIFICATE_MISSING"
    assert not CertificationRegisterEntry.objects.exists()


def test_certified_copy_rejects_other_file_types(officer, officer_cert, certifier):
    with pytest.raises(ValidationFailed) as exc:
        services.certified_copy_issue(acting_user=officer, scan_file=b"PK\x03\x04zipfile",
                                      description="Bằng", applicant_name="A")
    assert exc.value.code == "SCAN_TYPE_INVALID"
    assert not CertificationRegisterEntry.objects.exists() and not Document.objects.exists()


@given(pages=st.integers(min_value=1, max_value=1000), copies=st.integers(1, 50))
def test_certification_fee_rules(pages, copies):
    fee = services.certification_fee(pages, copies)
    per_copy = fee // copies
    assert fee == per_copy * copies
    assert per_copy <= 200_000
    assert per_copy == min(200_000, 2000 * min(pages, 2) + 1000 * max(0, pages - 2))
    assert services.certification_fee(pages + 1, copies) >= fee


def test_register_api_search_export_and_scope(client, officer, officer_cert, other_agency,
                                              certifier):
    services.certified_copy_issue(acting_user=officer, scan_file=h.simple_pdf(),
                                  description="Bằng tốt nghiệp đại học",
                                  applicant_name="Trần Văn Bình")
    services.certified_copy_issue(acting_user=officer, scan_file=h.simple_pdf(),
                                  description="Giấy khai sinh", applicant_name="Lê Thị Hoa")
    client.force_login(officer)
    rows = client.get("/api/v1/signatures/certification-register",
                      {"q": "tran van binh"}).json()
    assert [r["applicant_name"] for r in rows] == ["Trần Văn Bình"]
    assert rows[0]["verify_url"].endswith(rows[0]["document_uuid"])
    csv_response = client.get("/api/v1/signatures/certification-register.csv")
    text = csv_response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Số chứng thực,Quyển số")
    assert "Lê Thị Hoa" in text and "Giấy khai sinh" in text
    stranger = factories.make_official(other_agency, "receiver")
    client.force_login(stranger)
    assert client.get("/api/v1/signatures/certification-register").json() == []


def test_certified_copy_api(client, officer, officer_cert, certifier):
    client.force_login(officer)
    response = client.post("/api/v1/signatures/certified-copies", {
        "file": SimpleUploadedFile("scan.png", _png(), "image/png"),
        "description": "Chứng minh nhân dân", "applicant_name": "Võ Văn Tâm",
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == 1 and body["pages"] == 1 and body["fee"] == 2000
    bad = client.post("/api/v1/signatures/certified-copies", {
        "file": SimpleUploadedFile("scan.txt", b"hello", "text/plain"),
        "description": "X", "applicant_name": "Y",
    })
    assert bad.status_code == 422 and bad.json()["code"] == "SCAN_TYPE_INVALID"
    assert CertificationRegisterEntry.objects.count() == 1


def test_apology_requires_a_valid_new_date(pki_ready, dossier, officer):
    with pytest.raises(ValidationFailed) as exc:
        services.document_issue(acting_user=officer, dossier=dossier, form="04",
                                extra={"reason": "Trễ", "new_due_at": "không phải ngày"})
    assert exc.value.code == "DOCUMENT_FIELD_INVALID"
    doc = services.document_issue(
        acting_user=officer, dossier=dossier, form="04",
        extra={"reason": "Trễ", "new_due_at": timezone.now() + dt.timedelta(days=2)})
    assert doc.form == "04"
