from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from tests import factories
from tests.signatures import pkihelpers as h
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.signatures import conf, pki, selectors, services
from tinhso.signatures.models import (
    CAKind,
    Certificate,
    CertificateAuthority,
    CertificateEvent,
    CertificateStatus,
    KeyStorage,
    TrustAnchor,
)


def _crl_serials(ca: CertificateAuthority) -> dict[int, x509.RevokedCertificate]:
    ca.refresh_from_db()
    crl = x509.load_der_x509_crl(services.crl_current(ca))
    assert crl.is_signature_valid(services.ca_cert(ca).public_key())
    return {r.serial_number: r for r in crl}


def test_pki_init_builds_root_issuing_and_tsa_with_encrypted_keys(pki_ready):
    root, issuing = pki_ready.root, pki_ready.issuing
    root_cert, issuing_cert = services.ca_cert(root), services.ca_cert(issuing)
    issuing_cert.verify_directly_issued_by(root_cert)
    root_cert.verify_directly_issued_by(root_cert)
    assert issuing_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for ca in (root, issuing):
        assert "ENCRYPTED PRIVATE KEY" in ca.key_pem
        with pytest.raises(ValueError):
            pki.decrypt_key(ca.key_pem, b"wrong passphrase!!")
        key = pki.decrypt_key(ca.key_pem, conf.pki_passphrase())
        assert key.public_key() == services.ca_cert(ca).public_key()
    tsa_cert = pki.load_cert(pki_tsa_pem(pki_ready))
    eku = tsa_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]
    assert CertificateEvent.objects.filter(action="ca_init").count() == 2


def pki_tsa_pem(result: services.PkiInitResult) -> str:
    return result.tsa.certificate_pem


def test_pki_init_twice_conflicts_and_changes_nothing(pki_ready):
    with pytest.raises(Conflict) as exc:
        services.pki_init(acting_user=None)
    assert exc.value.code == "PKI_ALREADY_INITIALISED"
    assert CertificateAuthority.objects.count() == 2


def test_pki_init_rsa_option(db):
    result = h.init_pki("rsa-2048")
    assert result.issuing.key_algorithm == "rsa-2048"
    assert services.ca_cert(result.root).public_key().key_size == 2048


def test_pki_command_init_and_if_missing(db, capsys):
    call_command("pki", "init")
    assert CertificateAuthority.objects.filter(kind=CAKind.ROOT).count() == 1
    call_command("pki", "init", "--if-missing")
    assert CertificateAuthority.objects.count() == 2
    out = capsys.readouterr().out
    assert "https://tinhso.example.vn/chu-ky-so/crl/issuing.crl" in out


def test_issued_certificate_carries_crl_ocsp_and_vietnamese_subject(pki_ready, operator, officer):
    officer.full_name = "Lê Thị Hồng Nhung"
    officer.save()
    cert = pki.load_cert(h.issue_personal(operator, officer).certificate_pem)
    cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == "https://tinhso.example.vn/chu-ky-so/crl/issuing.crl"
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    urls = {d.access_method: d.access_location.value for d in aia}
    assert urls[x509.AuthorityInformationAccessOID.OCSP] == "https://tinhso.example.vn/chu-ky-so/ocsp"
    assert pki.common_name_of(cert.subject) == "Lê Thị Hồng Nhung"
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment and not ku.key_cert_sign


def test_lifecycle_writes_events_and_crl(pki_ready, operator, officer):
    req = services.certificate_request(acting_user=officer, kind="personal", holder_user=officer)
    cert = services.certificate_issue(acting_user=operator, request=req).certificate
    serial = int(cert.serial, 16)
    assert serial not in _crl_serials(pki_ready.issuing)

    services.certificate_suspend(acting_user=operator, certificate=cert, reason="Nghỉ phép dài")
    entry = _crl_serials(pki_ready.issuing)[serial]
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.certificate_hold)

    services.certificate_reinstate(acting_user=operator, certificate=cert)
    assert serial not in _crl_serials(pki_ready.issuing)

    services.certificate_revoke(acting_user=operator, certificate=cert, reason="key_compromise")
    entry = _crl_serials(pki_ready.issuing)[serial]
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise)
    cert.refresh_from_db()
    assert cert.status == CertificateStatus.REVOKED and cert.revocation_reason == "key_compromise"

    actions = list(CertificateEvent.objects.filter(certificate=cert).values_list(
        "action", "from_status", "to_status"))
    assert actions == [("issue", "", "active"), ("suspend", "active", "suspended"),
                       ("reinstate", "suspended", "active"), ("revoke", "active", "revoked")]
    assert CertificateEvent.objects.filter(request=req, action="request").exists()
    # A revoked certificate cannot be reinstated.
    with pytest.raises(Conflict):
        services.certificate_reinstate(acting_user=operator, certificate=cert)


def test_crl_numbers_increase(pki_ready, operator, officer_cert):
    first = x509.load_der_x509_crl(services.crl_current(pki_ready.issuing))
    services.certificate_revoke(acting_user=operator, certificate=officer_cert,
                                reason="superseded")
    pki_ready.issuing.refresh_from_db()
    second = x509.load_der_x509_crl(services.crl_current(pki_ready.issuing))
    number = lambda c: c.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number  # noqa: E731
    assert number(second) > number(first)


def test_events_are_append_only(pki_ready):
    event = CertificateEvent.objects.first()
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_only_ca_operators_issue_and_revoke(pki_ready, officer, agency):
    req = services.certificate_request(acting_user=officer, kind="personal", holder_user=officer)
    with pytest.raises(PermissionDenied):
        services.certificate_issue(acting_user=officer, request=req)
    assert not Certificate.objects.filter(holder_user=officer).exists()
    # The Django permission signatures.operate_ca makes a "CA operator" without admin rights.
    clerk = factories.make_official(agency, "clerk")
    clerk.user_permissions.add(Permission.objects.get(codename="operate_ca"))
    clerk = type(clerk).objects.get(pk=clerk.pk)
    cert = services.certificate_issue(acting_user=clerk, request=req).certificate
    with pytest.raises(PermissionDenied):
        services.certificate_revoke(acting_user=officer, certificate=cert, reason="superseded")
    cert.refresh_from_db()
    assert cert.status == CertificateStatus.ACTIVE


def test_officials_request_only_for_themselves(pki_ready, officer, agency):
    other = factories.make_official(agency, "specialist")
    with pytest.raises(PermissionDenied):
        services.certificate_request(acting_user=officer, kind="personal", holder_user=other)
    with pytest.raises(PermissionDenied):
        services.certificate_request(acting_user=officer, kind="organisation",
                                     holder_agency=agency)
    admin = factories.make_official(agency, "agency_admin")
    req = services.certificate_request(acting_user=admin, kind="organisation",
                                       holder_agency=agency)
    assert req.common_name == agency.name


def test_invalid_revocation_reason_changes_nothing(pki_ready, operator, officer_cert):
    events = CertificateEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.certificate_revoke(acting_user=operator, certificate=officer_cert,
                                    reason="because")
    assert exc.value.code == "REVOCATION_REASON_INVALID"
    officer_cert.refresh_from_db()
    assert officer_cert.status == CertificateStatus.ACTIVE
    assert CertificateEvent.objects.count() == events


def test_pkcs12_for_the_holder(pki_ready, operator, officer):
    req = services.certificate_request(acting_user=operator, kind="personal",
                                       holder_user=officer, key_algorithm="rsa-2048")
    issued = services.certificate_issue(acting_user=operator, request=req,
                                        pkcs12_passphrase="mat-khau-p12")
    key, cert, chain = pkcs12.load_key_and_certificates(issued.pkcs12, b"mat-khau-p12")
    assert cert.public_key() == key.public_key()
    assert cert.serial_number == int(issued.certificate.serial, 16)
    assert len(chain) == 2
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(issued.pkcs12, b"wrong")
    bundle = services.certificate_export_pkcs12(acting_user=officer,
                                                certificate=issued.certificate,
                                                passphrase="another-pass")
    assert pkcs12.load_key_and_certificates(bundle, b"another-pass")[1] == cert


def test_renew_issues_new_key_and_supersedes(pki_ready, operator, officer_cert):
    renewed = services.certificate_renew(acting_user=operator, certificate=officer_cert)
    officer_cert.refresh_from_db()
    new = renewed.certificate
    assert new.renewed_from == officer_cert and new.status == CertificateStatus.ACTIVE
    assert officer_cert.status == CertificateStatus.REVOKED
    assert officer_cert.revocation_reason == "superseded"
    assert new.key_pem != officer_cert.key_pem
    assert CertificateEvent.objects.filter(certificate=new, action="renew").exists()


def test_external_key_from_csr(pki_ready, operator, officer):
    key = pki.generate_key()
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "x")]))
           .sign(key, hashes.SHA256()))
    pem = csr.public_bytes(serialization.Encoding.PEM).decode()
    req = services.certificate_request(acting_user=operator, kind="personal",
                                       holder_user=officer, key_storage="external", csr_pem=pem)
    cert = services.certificate_issue(acting_user=operator, request=req).certificate
    assert pki.load_cert(cert.certificate_pem).public_key() == key.public_key()
    assert cert.key_pem == "" and cert.key_storage == KeyStorage.EXTERNAL
    with pytest.raises(ValidationFailed) as exc:
        services.certificate_request(acting_user=operator, kind="personal",
                                     holder_user=officer, key_storage="external",
                                     csr_pem="not a csr")
    assert exc.value.code == "CSR_INVALID"


def test_certificate_counts_by_kind_and_status(pki_ready, operator, agency):
    people = [factories.make_official(agency, "specialist") for _ in range(4)]
    certs = [h.issue_personal(operator, p) for p in people]
    services.certificate_revoke(acting_user=operator, certificate=certs[0], reason="superseded")
    services.certificate_suspend(acting_user=operator, certificate=certs[1])
    Certificate.objects.filter(pk=certs[2].pk).update(
        not_after=timezone.now() - dt.timedelta(days=1))
    req = services.certificate_request(acting_user=operator, kind="organisation",
                                       holder_agency=agency)
    services.certificate_issue(acting_user=operator, request=req)
    counts = selectors.certificate_counts()
    assert counts["by_kind"]["personal"] == {"active": 1, "suspended": 1, "revoked": 1,
                                             "expired": 1}
    assert counts["by_kind"]["organisation"]["active"] == 1
    assert counts["by_kind"]["sim"] == {"active": 0, "suspended": 0, "revoked": 0, "expired": 0}
    # The TSA's service certificate is not a holder certificate: not counted.
    assert counts["issued"] == 5 and counts["revoked"] == 1


def test_trust_anchor_import_command(pki_ready, tmp_path):
    key = pki.generate_key()
    name = pki.SubjectInfo(common_name="Root CA quốc gia (thử)").to_name()
    root = pki.build_ca_certificate(subject=name, key=key, issuer_cert=None, issuer_key=None,
                                    days=30, path_length=None)
    path = tmp_path / "root.pem"
    path.write_text(pki.cert_pem(root))
    call_command("pki", "import-anchor", str(path))
    anchor = TrustAnchor.objects.get()
    assert anchor.name == "Root CA quốc gia (thử)"
    assert CertificateEvent.objects.filter(anchor=anchor, action="anchor_import").exists()
    with pytest.raises(Conflict):
        services.trust_anchor_import(acting_user=None, pem=path.read_bytes())


def test_trust_anchor_must_be_a_ca(pki_ready, officer_cert):
    with pytest.raises(ValidationFailed) as exc:
        services.trust_anchor_import(acting_user=None, pem=officer_cert.certificate_pem.encode())
    assert exc.value.code == "NOT_A_CA_CERTIFICATE"
    assert not TrustAnchor.objects.exists()


def test_pki_passphrase_is_required_in_production(settings, monkeypatch):
    monkeypatch.delenv("TINHSO_PKI_PASSPHRASE", raising=False)
    monkeypatch.delenv("TINHSO_PKI_PASSPHRASE_FILE", raising=False)
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        conf.pki_passphrase()
    monkeypatch.setenv("TINHSO_PKI_PASSPHRASE", "a-real-production-secret")
    assert conf.pki_passphrase() == b"a-real-production-secret"


def test_pki_passphrase_from_file(settings, monkeypatch, tmp_path):
    secret = tmp_path / "pass"
    secret.write_text("passphrase-from-a-file\n")
    monkeypatch.setenv("TINHSO_PKI_PASSPHRASE_FILE", str(secret))
    assert conf.pki_passphrase() == b"passphrase-from-a-file"
