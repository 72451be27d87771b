"""The signing fast path: contexts and the time-stamper are reused, revocation still bites."""

from __future__ import annotations

import pytest
from cryptography import x509

from tests import factories
from tests.signatures import pkihelpers as h
from tinhso.core.errors import DomainError
from tinhso.signatures import services, signing, tsa
from tinhso.signatures.verify import verify_pdf


@pytest.fixture
def people(db, agency):
    h.init_pki()
    operator = h.ca_operator(agency)
    return (operator, h.issue_personal(operator, factories.make_official(agency, "leader")),
            h.issue_personal(operator, factories.make_official(agency, "specialist")))


def test_context_and_stamper_are_reused_until_a_revocation(people):
    operator, alice, bob = people
    first = signing.signing_validation_context()
    assert signing.signing_validation_context() is first
    assert tsa.stamper() is tsa.stamper()
    signed = signing.sign_with(h.simple_pdf(), alice, field_name="A1")
    assert verify_pdf(signed).valid
    assert signing.signing_validation_context() is first

    services.certificate_revoke(acting_user=operator, certificate=bob, reason="superseded")
    fresh = signing.signing_validation_context()
    assert fresh is not first  # the new CRL is in force at once
    # A document signed now embeds the CRL that lists Bob's certificate.
    signed = signing.sign_with(h.simple_pdf(), alice, field_name="A2")
    crls = [x509.load_der_x509_crl(c.dump()) for c in fresh.crls]
    assert any(c.get_revoked_certificate_by_serial_number(int(bob.serial, 16)) for c in crls)
    assert verify_pdf(signed).valid
    bob.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        signing.sign_with(h.simple_pdf(), bob, field_name="B1")
    assert exc.value.code == "CERTIFICATE_NOT_USABLE"


def test_a_revocation_in_another_process_is_seen(people):
    """Another process revokes: only the database says so. The CRL number moved, so the next
    signature here builds a new context (no in-process signal is involved)."""
    operator, alice, bob = people
    first = signing.signing_validation_context()
    from tinhso.signatures.models import CertificateAuthority

    CertificateAuthority.objects.filter(pk=bob.ca_id).update(crl_number=10**6)
    assert signing.signing_validation_context() is not first


def test_issued_documents_verify_from_the_cache_until_a_revocation(people, agency, settings,
                                                                   tmp_path, monkeypatch):
    from tinhso.documents import services as doc_services
    from tinhso.signatures import verify

    settings.MEDIA_ROOT = str(tmp_path)
    operator, alice, _ = people
    dossier = h.make_dossier(agency, factories.make_procedure(agencies=[agency]))
    doc = doc_services.document_issue(acting_user=alice.holder_user, dossier=dossier, form="01",
                                      extra={})
    data = doc.file.read()
    calls: list[int] = []
    real = verify.verify_pdf
    monkeypatch.setattr(verify, "verify_pdf", lambda d, **kw: calls.append(1) or real(d, **kw))
    first = verify.verify_known_or_full(data)
    second = verify.verify_known_or_full(data)
    assert first.valid and second.as_dict() == first.as_dict()
    assert len(calls) == 1  # the second answer came from the cache
    # A PDF the platform did not issue (one byte more) is always verified in full.
    verify.verify_known_or_full(data + b"\n")
    assert len(calls) == 2
    # Revoking the signer takes effect on the very next verification.
    services.certificate_revoke(acting_user=operator, certificate=alice, reason="superseded")
    after = verify.verify_known_or_full(data)
    assert len(calls) == 3 and not after.valid
    assert after.signatures[0].reason == "REVOKED"


def test_verification_context_is_reused_until_a_revocation_or_its_age(people, monkeypatch):
    """Any PDF (not only issued ones) is verified with a per-thread context kept while the
    revocation state stands; a revocation is seen on the very next verification."""
    operator, alice, bob = people
    signed = signing.sign_with(h.simple_pdf(), bob, field_name="B1")
    first = signing.verification_context()
    assert signing.verification_context() is first
    assert verify_pdf(signed).valid
    assert signing.verification_context() is first

    services.certificate_revoke(acting_user=operator, certificate=bob, reason="superseded")
    assert signing.verification_context() is not first
    assert verify_pdf(signed).signatures[0].reason == "REVOKED"

    # "Now" is fixed inside a context: it is not kept longer than the configured age.
    monkeypatch.setattr(signing, "VERIFICATION_CONTEXT_SECONDS", 0)
    current = signing.verification_context()
    assert signing.verification_context() is not current
