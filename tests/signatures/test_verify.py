from __future__ import annotations

import datetime as dt
import subprocess
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.signatures import pkihelpers as h
from tests.signatures.tools import require_tool
from tinhso.signatures import pki, services, signing
from tinhso.signatures.models import CertificateKind, KeyStorage
from tinhso.signatures.verify import verify_pdf

VERIFY = "/api/v1/signatures/verify"


@pytest.fixture
def signed(officer_cert) -> bytes:
    return signing.sign_with(h.simple_pdf(), officer_cert, field_name="ChuKy",
                             reason="Thử nghiệm",
                             placement=signing.StampPlacement(0, (300, 40, 500, 60)))


def _post(client, data: bytes, name: str = "van-ban.pdf"):
    return client.post(VERIFY, {"file": SimpleUploadedFile(name, data, "application/pdf")})


def test_valid_document(client, signed, officer_cert):
    body = _post(client, signed).json()
    assert body["valid"] is True
    [sig] = body["signatures"]
    assert sig["signer"] == officer_cert.common_name
    assert sig["intact"] and sig["trusted"] and not sig["revoked"]
    assert sig["covers_whole_document"] is True  # B-LT: only validation data was added after
    assert sig["reason"] == "OK" and sig["timestamped"] is True
    assert sig["signed_at"] and dt.datetime.fromisoformat(sig["signed_at"])
    assert sig["signing_reason"] == "Thử nghiệm"


def test_tampered_byte(client, signed):
    data = bytearray(signed)
    i = signed.index(b"ReportLab")
    data[i] = ord("X")
    [sig] = _post(client, bytes(data)).json()["signatures"]
    assert sig["intact"] is False and sig["reason"] == "TAMPERED"


def test_revoked_after_signing(client, signed, operator, officer_cert):
    services.certificate_revoke(acting_user=operator, certificate=officer_cert,
                                reason="key_compromise")
    body = _post(client, signed).json()
    assert body["valid"] is False
    [sig] = body["signatures"]
    assert sig["intact"] is True and sig["revoked"] is True and sig["reason"] == "REVOKED"


def test_suspended_is_reported_as_revoked_then_valid_again(signed, operator, officer_cert):
    services.certificate_suspend(acting_user=operator, certificate=officer_cert)
    assert verify_pdf(signed).signatures[0].reason == "REVOKED"
    services.certificate_reinstate(acting_user=operator, certificate=officer_cert)
    assert verify_pdf(signed).valid is True


def _raw_signer(cert, key, chain) -> signing.LoadedSigner:
    registry = SimpleCertificateStore.from_certs([signing.asn1_cert(pki.cert_pem(c))
                                                 for c in chain])
    signer = signing.KeySigner(key=key, signing_cert=signing.asn1_cert(pki.cert_pem(cert)),
                               cert_registry=registry)
    return signing.LoadedSigner(0, pki.fingerprint(cert), "throwaway", signer)


def test_expired_certificate(pki_ready, operator, officer):
    key = pki.generate_key()
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    ca = pki_ready.issuing
    cert = pki.build_end_entity_certificate(
        issuer_cert=services.ca_cert(ca), issuer_key=services.ca_key(ca),
        public_key=key.public_key(), subject=pki.SubjectInfo("Cán bộ đã hết hạn").to_name(),
        purpose="signing", not_before=past, not_after=past + dt.timedelta(days=30),
        crl_url=services.crl_url("issuing"), ocsp_url=None,
    )
    signer = _raw_signer(cert, key, [services.ca_cert(ca), services.ca_cert(pki_ready.root)])
    pdf = signing.sign_pdf(h.simple_pdf(), signer, field_name="Sig", long_term=False,
                           timestamp=False)
    report = verify_pdf(pdf)
    [sig] = report.signatures
    assert report.valid is False
    assert sig.intact is True and sig.trusted is False and sig.reason == "EXPIRED"


def _throwaway_ca():
    root_key = pki.generate_key()
    root = pki.build_ca_certificate(subject=pki.SubjectInfo("CA lạ").to_name(), key=root_key,
                                    issuer_cert=None, issuer_key=None, days=30,
                                    path_length=0)
    key = pki.generate_key()
    now = dt.datetime.now(dt.UTC)
    cert = pki.build_end_entity_certificate(
        issuer_cert=root, issuer_key=root_key, public_key=key.public_key(),
        subject=pki.SubjectInfo("Người ký bên ngoài").to_name(), purpose="signing",
        not_before=now - dt.timedelta(minutes=5), not_after=now + dt.timedelta(days=10),
        crl_url="http://ca-la.invalid/crl", ocsp_url=None,
    )
    return root, cert, key


def test_unknown_ca_then_imported_anchor(pki_ready):
    root, cert, key = _throwaway_ca()
    pdf = signing.sign_pdf(h.simple_pdf(), _raw_signer(cert, key, [root]), field_name="Sig",
                           long_term=False, timestamp=False)
    [sig] = verify_pdf(pdf).signatures
    assert sig.intact is True and sig.trusted is False and sig.reason == "UNTRUSTED"
    # Import the outside root as a trust anchor: the same file now verifies.
    services.trust_anchor_import(acting_user=None, pem=pki.cert_pem(root).encode())
    report = verify_pdf(pdf)
    assert report.valid is True and report.signatures[0].trusted is True


def test_incremental_update_after_signing(client, signed):
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    stream = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 0 0 100 100 re f"))
    writer.add_stream_to_page(0, stream)
    out = BytesIO()
    writer.write(out)
    body = _post(client, out.getvalue()).json()
    [sig] = body["signatures"]
    assert sig["intact"] is True  # the signed bytes are untouched …
    assert sig["covers_whole_document"] is False  # … but something was added after
    assert sig["reason"] == "MODIFIED_AFTER_SIGNING"
    assert body["valid"] is False


def test_non_pdf_upload_is_422(client, db):
    response = client.post(VERIFY, {"file": SimpleUploadedFile("x.pdf", b"\x89PNG\r\n\x1a\nabc",
                                                                 "application/pdf")})
    assert response.status_code == 422
    assert response.json()["code"] == "NOT_A_PDF"


def test_oversize_upload_is_rejected(client, settings, pki_ready):
    settings.TINHSO_MAX_UPLOAD_BYTES = 100
    response = _post(client, b"%PDF-1.7\n" + b"0" * 200)
    assert response.status_code == 413
    assert response.json()["code"] == "FILE_TOO_LARGE"


def test_unsigned_pdf_is_not_valid(client, pki_ready):
    body = _post(client, h.simple_pdf()).json()
    assert body == {"valid": False, "signatures": []}


def test_public_verify_page(client, signed):
    page = client.get("/chu-ky-so/xac-minh/")
    assert page.status_code == 200 and "Xác minh" in page.content.decode()
    result = client.post("/chu-ky-so/xac-minh/",
                         {"file": SimpleUploadedFile("a.pdf", signed, "application/pdf")})
    assert "Văn bản hợp lệ" in result.content.decode()
    bad = client.post("/chu-ky-so/xac-minh/",
                      {"file": SimpleUploadedFile("a.txt", b"hello", "text/plain")})
    assert bad.status_code == 422 and "không phải PDF" in bad.content.decode()


def test_pdfsig_reports_our_signature(tmp_path, signed, officer_cert):
    """Poppler (NSS) checks integrity; trust differs (NSS has no copy of our root)."""
    pdfsig = require_tool("pdfsig")
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = subprocess.run([pdfsig, str(path)], capture_output=True, text=True, check=False)
    text = out.stdout
    assert "Signature #1" in text
    assert f"Signer Certificate Common Name: {officer_cert.common_name}" in text
    assert "Signature Validation: Signature is Valid." in text
    assert "ETSI.CAdES.detached" in text  # PAdES subfilter
    # A tampered copy is caught by pdfsig too.
    data = bytearray(signed)
    data[signed.index(b"ReportLab")] = ord("X")
    path.write_bytes(bytes(data))
    text = subprocess.run([pdfsig, str(path)], capture_output=True, text=True,
                          check=False).stdout
    assert "Signature is Valid." not in text


def test_sim_certificate_with_remote_signer(pki_ready, operator, officer):
    from tinhso.signatures import remote

    backend = remote.backend("test")
    backend.create_key("sim-0912345678")
    calls = backend.calls
    req = services.certificate_request(
        acting_user=operator, kind=CertificateKind.SIM, holder_user=officer,
        key_storage=KeyStorage.REMOTE, key_ref={"backend": "test", "key_id": "sim-0912345678"})
    cert = services.certificate_issue(acting_user=operator, request=req).certificate
    assert cert.key_pem == ""  # the platform never had the key
    pdf = signing.sign_with(h.simple_pdf(), cert, field_name="Sim")
    assert backend.calls > calls  # the hash went out, the signature came back
    report = verify_pdf(pdf)
    assert report.valid is True and report.signatures[0].signer == cert.common_name


def test_loaded_signer_is_reused_and_dropped_on_revocation(pki_ready, operator, officer_cert):
    first = signing.signer_for(officer_cert)
    assert signing.signer_for(officer_cert) is first
    services.certificate_revoke(acting_user=operator, certificate=officer_cert,
                                reason="superseded")
    officer_cert.refresh_from_db()
    with pytest.raises(Exception) as exc:
        signing.signer_for(officer_cert)
    assert getattr(exc.value, "code", "") == "CERTIFICATE_NOT_USABLE"


def test_verify_page_is_labelled_styled_and_local(client, signed):
    """The file input has a label, the button the site's style, the verdict an SVG icon (no
    emoji font needed) and the signing time is local (never raw ISO/UTC)."""
    import re

    page = client.get("/chu-ky-so/xac-minh/").content.decode()
    assert '<label for="verify-file">' in page and 'id="verify-file"' in page
    assert 'class="btn"' in page
    html = client.post("/chu-ky-so/xac-minh/",
                       {"file": SimpleUploadedFile("a.pdf", signed, "application/pdf")}
                       ).content.decode()
    assert "<svg" in html and "✅" not in html and "❌" not in html
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", html)
    assert re.search(r"\d{2}:\d{2}, \d{2}/\d{2}/\d{4}", html)
