"""Remote signing over CSC API v2: the "csc" backend against the CSC sandbox over real HTTP.

The live tests run the whole app under pytest-django's ``live_server`` (a real HTTP server on a
local port); the platform side signs through ``CscBackend`` with httpx, the sandbox answers
from its views. The protocol tests call the sandbox with Django's test client.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from tests.processes import database_url, free_port, serving
from tests.signatures import pkihelpers as h
from tinhso.core.errors import DomainError
from tinhso.documents import services as documents
from tinhso.signatures import conf, csc, csc_sandbox, pki, remote, services, signing
from tinhso.signatures.models import (
    Certificate,
    CertificateKind,
    CscSandboxBehaviour,
    CscSandboxCredential,
    KeyStorage,
)
from tinhso.signatures.verify import verify_pdf

SHA256 = csc.HASH_OIDS["sha256"]
ECDSA_SHA256 = csc.ECDSA_OIDS["sha256"]


@pytest.fixture
def csc_settings(settings):
    settings.TINHSO_CSC_SANDBOX = True
    settings.ROOT_URLCONF = "tests.signatures.urls"
    return settings


@pytest.fixture
def csc_live(csc_settings, live_server):
    csc_settings.TINHSO_CSC_URL = f"{live_server.url}{conf.CSC_SANDBOX_PATH}"
    return live_server


def enrol(operator, holder, **kwargs) -> csc_sandbox.SandboxCredentialResult:
    return csc_sandbox.csc_sandbox_credential_create(acting_user=operator, holder_user=holder,
                                                     **kwargs)


def code_of(exc_info: pytest.ExceptionInfo[BaseException]) -> str:
    return str(getattr(exc_info.value, "code", ""))


# --- over real HTTP --------------------------------------------------------------------------


@pytest.fixture
def sandbox_process(django_db_setup, django_db_blocker) -> Iterator[str]:
    """The app with the sandbox on, served by ``tinhso serve`` in a process of its own."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "TINHSO_CSC_SANDBOX": "true",
           "TINHSO_DEBUG": "false", "TINHSO_ALERT_SCAN_SECONDS": "0",
           "DJANGO_SETTINGS_MODULE": "tinhso.settings"}
    tinhso = Path(sys.executable).with_name("tinhso")
    with serving([str(tinhso), "serve", "--port", str(port), "--threads", "2"], env,
                 f"http://127.0.0.1:{port}") as url:
        yield url


def test_signing_through_a_sandbox_in_another_process(
        sandbox_process, transactional_db, csc_settings, pki_ready, operator, officer):
    csc_settings.TINHSO_CSC_URL = f"{sandbox_process}{conf.CSC_SANDBOX_PATH}"
    enrolled = enrol(operator, officer, algorithm=pki.RSA_2048)
    before = csc_sandbox.stats["signatures_sign_hash"]
    pdf = signing.sign_with(h.simple_pdf(), enrolled.certificate, field_name="Csc")
    assert csc_sandbox.stats["signatures_sign_hash"] == before  # answered by the other process
    report = verify_pdf(pdf)
    assert report.valid is True and report.signatures[0].trusted
    assert report.signatures[0].signer == enrolled.certificate.common_name


def test_form_signed_through_csc_backend_and_sandbox_verifies_as_trusted(
        csc_live, pki_ready, operator, officer, agency, procedure):
    enrolled = enrol(operator, officer)
    cert = enrolled.certificate
    assert cert.kind == CertificateKind.SIM and cert.key_storage == KeyStorage.REMOTE
    assert cert.key_ref == {"backend": "csc", "key_id": enrolled.credential.credential_id}
    assert cert.key_pem == ""  # the platform never had the key
    before = csc_sandbox.stats["signatures_sign_hash"]

    # The officer's only certificate is the CSC one: the receipt form is signed with it.
    doc = documents.document_issue(acting_user=officer, dossier=h.make_dossier(agency, procedure),
                                   form="01", extra={})

    assert csc_sandbox.stats["signatures_sign_hash"] == before + 1  # one hash went out over HTTP
    assert doc.signers[0]["certificate_id"] == cert.pk
    report = verify_pdf(doc.file.read())
    assert report.valid is True
    (sig,) = report.signatures
    assert sig.trusted and sig.intact and not sig.revoked and sig.timestamped
    assert sig.signer == cert.common_name and sig.certificate_serial.lower() == cert.serial


def test_backend_reads_the_credential_and_renewal_recertifies_it_over_http(
        csc_live, pki_ready, operator, officer):
    enrolled = enrol(operator, officer, algorithm=pki.RSA_2048)
    backend = remote.backend("csc")
    info = backend.credential_info(enrolled.credential.credential_id)  # type: ignore[attr-defined]
    assert len(info.certificates) == 3  # holder, issuing CA, root
    assert pki.fingerprint(info.certificates[0]) == enrolled.certificate.fingerprint
    assert csc.RSA_OIDS["sha256"] in info.key_algorithms

    # Renewal has no CSR: the platform asks the service for the key (credentials/info).
    renewed = services.certificate_renew(acting_user=operator,
                                         certificate=enrolled.certificate).certificate
    assert renewed.fingerprint != enrolled.certificate.fingerprint
    assert (pki.load_cert(renewed.certificate_pem).public_key().public_numbers()
            == info.public_key.public_numbers())
    report = verify_pdf(signing.sign_with(h.simple_pdf(), renewed, field_name="Csc"))
    assert report.valid is True and report.signatures[0].trusted


def test_unreachable_service_fails_cleanly(csc_settings, pki_ready, operator, officer):
    # Enrolment needs no HTTP (the sandbox sends a CSR); signing does, and nobody listens.
    enrolled = enrol(operator, officer)
    csc_settings.TINHSO_CSC_URL = f"http://127.0.0.1:{free_port()}/sandbox"
    with pytest.raises(DomainError) as exc:
        signing.sign_with(h.simple_pdf(), enrolled.certificate, field_name="Csc")
    assert code_of(exc) == "REMOTE_SIGNER_UNAVAILABLE"
    assert exc.value.status == 503 and exc.value.details["reason"] == "unreachable"
    assert exc.value.message_vi and exc.value.message_en


def test_wrong_token_is_refused(csc_live, pki_ready, operator, officer):
    enrolled = enrol(operator, officer)
    backend = csc.CscBackend(token="not-the-token")
    with pytest.raises(DomainError) as exc:
        backend.public_key(enrolled.credential.credential_id)
    assert code_of(exc) == "REMOTE_SIGNER_UNAUTHORISED"
    assert exc.value.details["http_status"] == 401
    assert exc.value.details["error"] == "invalid_token"
    assert "not-the-token" not in str(exc.value.details)


def test_unknown_credential_changes_nothing(csc_live, pki_ready, operator, officer):
    backend = csc.CscBackend()
    with pytest.raises(DomainError) as exc:
        backend.public_key("no-such-credential")
    assert code_of(exc) == "REMOTE_KEY_UNKNOWN" and exc.value.status == 409
    # A SIM certificate for a key the service does not have is not issued.
    req = services.certificate_request(
        acting_user=operator, kind=CertificateKind.SIM, holder_user=officer,
        key_storage=KeyStorage.REMOTE, key_ref={"backend": "csc", "key_id": "no-such-one"})
    count = Certificate.objects.count()
    with pytest.raises(DomainError) as exc:
        services.certificate_issue(acting_user=operator, request=req)
    assert code_of(exc) == "REMOTE_KEY_UNKNOWN"
    assert Certificate.objects.count() == count


def test_signature_that_does_not_verify_never_reaches_the_pdf(
        csc_live, pki_ready, operator, officer, agency, procedure):
    from tinhso.documents.models import Document

    enrol(operator, officer, behaviour=CscSandboxBehaviour.BAD_SIGNATURE)
    dossier = h.make_dossier(agency, procedure)
    with pytest.raises(DomainError) as exc:
        documents.document_issue(acting_user=officer, dossier=dossier, form="01", extra={})
    assert code_of(exc) == "REMOTE_SIGNATURE_INVALID" and exc.value.status == 502
    assert exc.value.details["reason"] == "does_not_verify"
    assert not Document.objects.filter(dossier=dossier).exists()  # nothing stored


def test_holder_refusal_is_reported(csc_live, pki_ready, operator, officer):
    enrolled = enrol(operator, officer, behaviour=CscSandboxBehaviour.REFUSE)
    with pytest.raises(DomainError) as exc:
        signing.sign_with(h.simple_pdf(), enrolled.certificate, field_name="Csc")
    assert code_of(exc) == "REMOTE_SIGNER_REFUSED"
    assert exc.value.details["error"] == "access_denied"


def test_service_that_never_answers_times_out():
    with socket.socket() as server:  # accepts connections (backlog), never replies
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        port = server.getsockname()[1]
        backend = csc.CscBackend(base_url=f"http://127.0.0.1:{port}", token="t", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(DomainError) as exc:
            backend.public_key("any")
    assert code_of(exc) == "REMOTE_SIGNER_UNAVAILABLE"
    assert exc.value.details["reason"] == "timeout"
    assert time.monotonic() - started < 5


# --- the RemoteSigner's own check ---------------------------------------------------------


def test_remote_signer_rejects_a_signature_from_another_key(pki_ready, operator, officer):
    backend = remote.backend("test")
    backend.create_key("sim-rotated")  # type: ignore[attr-defined]
    req = services.certificate_request(
        acting_user=operator, kind=CertificateKind.SIM, holder_user=officer,
        key_storage=KeyStorage.REMOTE, key_ref={"backend": "test", "key_id": "sim-rotated"})
    cert = services.certificate_issue(acting_user=operator, request=req).certificate
    backend._keys["sim-rotated"] = pki.generate_key()  # type: ignore[attr-defined]
    try:
        with pytest.raises(DomainError) as exc:
            signing.sign_with(h.simple_pdf(), cert, field_name="Sim")
        assert code_of(exc) == "REMOTE_SIGNATURE_INVALID"
        assert exc.value.details["reason"] == "certificate_mismatch"
    finally:
        backend._keys.pop("sim-rotated")  # type: ignore[attr-defined]


def test_raw_ecdsa_signature_is_converted_to_der():
    key = ec.generate_private_key(ec.SECP256R1())
    digest = hashlib.sha256(b"tinhso").digest()
    der = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    r, s = utils.decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    converted = csc.normalise_signature(key.public_key(), raw)
    assert csc.signature_verifies(key.public_key(), converted, digest, "sha256")
    assert not csc.signature_verifies(key.public_key(), raw[:-1] + b"\0", digest, "sha256")


# --- the sandbox's protocol (test client) --------------------------------------------------


def call(client, method: str, body: dict | None = None, token: str | None = conf.DEV_CSC_TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(f"{conf.CSC_SANDBOX_PATH}/csc/v2/{method}", body or {},
                       content_type="application/json", **headers)


@pytest.fixture
def credential(csc_settings, pki_ready, operator, officer) -> CscSandboxCredential:
    return enrol(operator, officer, credential_id="sim-0912345678").credential


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def authorize(client, credential_id: str, digests: list[bytes]) -> str:
    reply = call(client, "credentials/authorize", {
        "credentialID": credential_id, "numSignatures": len(digests),
        "hashes": [b64(d) for d in digests], "hashAlgorithmOID": SHA256})
    assert reply.status_code == 200, reply.content
    assert reply.json()["expiresIn"] == csc_sandbox.SAD_SECONDS
    return str(reply.json()["SAD"])


def test_sandbox_signs_hashes_with_the_certified_key(client, credential):
    info = call(client, "credentials/info", {"credentialID": credential.credential_id,
                                             "certInfo": True}).json()
    assert info["key"]["status"] == "enabled" and ECDSA_SHA256 in info["key"]["algo"]
    assert info["cert"]["status"] == "valid" and len(info["cert"]["certificates"]) == 1
    assert "CN=" in info["cert"]["subjectDN"] and info["auth"]["mode"] == "explicit"
    digests = [hashlib.sha256(b"one").digest(), hashlib.sha256(b"two").digest()]
    sad = authorize(client, credential.credential_id, digests)
    reply = call(client, "signatures/signHash", {
        "credentialID": credential.credential_id, "SAD": sad, "hashes": [b64(d) for d in digests],
        "hashAlgorithmOID": SHA256, "signAlgo": ECDSA_SHA256})
    assert reply.status_code == 200, reply.content
    public_key = csc.CredentialInfo(credential.credential_id, [
        pki.load_cert(credential.certificates_pem)], [], 0).public_key
    signatures = [base64.b64decode(s) for s in reply.json()["signatures"]]
    assert [csc.signature_verifies(public_key, s, d, "sha256")
            for s, d in zip(signatures, digests, strict=True)] == [True, True]


def test_sandbox_rejects_bad_requests(client, credential, operator):
    other = enrol(operator, operator, credential_id="other").credential
    digest = hashlib.sha256(b"doc").digest()
    sad = authorize(client, credential.credential_id, [digest])
    good = {"credentialID": credential.credential_id, "SAD": sad, "hashes": [b64(digest)],
            "hashAlgorithmOID": SHA256, "signAlgo": ECDSA_SHA256}

    def sign(**changes):
        return call(client, "signatures/signHash", {**good, **changes})

    cases = {
        "no token": call(client, "credentials/info", good, token=None),
        "wrong token": call(client, "credentials/info", good, token="guess"),
        "unknown credential": call(client, "credentials/info", {"credentialID": "nope"}),
        "SAD of another credential": sign(credentialID=other.credential_id),
        "tampered SAD": sign(SAD=sad[:-2] + "xx"),
        "hash not authorised": sign(hashes=[b64(hashlib.sha256(b"other").digest())]),
        "hash of wrong length": sign(hashes=[b64(b"short")]),
        "not base64": sign(hashes=["***"]),
        "signAlgo of another key type": sign(signAlgo=csc.RSA_OIDS["sha256"]),
        "hash/signAlgo mismatch": sign(signAlgo=csc.ECDSA_OIDS["sha384"]),
        "count mismatch": call(client, "credentials/authorize", {
            "credentialID": credential.credential_id, "numSignatures": 2,
            "hashes": [b64(digest)], "hashAlgorithmOID": SHA256}),
    }
    for name, reply in cases.items():
        expected = 401 if "token" in name else 400
        assert reply.status_code == expected, name
        body = reply.json()
        assert body["error"] == ("invalid_token" if expected == 401 else "invalid_request"), name
        assert body["error_description"], name
    assert "credentialID" in cases["unknown credential"].json()["error_description"]
    assert cases["no token"]["WWW-Authenticate"].startswith("Bearer")
    assert sign().status_code == 200  # the good request still works
    # Not JSON, not POST.
    bad_json = client.post(f"{conf.CSC_SANDBOX_PATH}/csc/v2/credentials/info", "{",
                           content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {conf.DEV_CSC_TOKEN}")
    assert bad_json.status_code == 400
    assert client.get(f"{conf.CSC_SANDBOX_PATH}/csc/v2/info").status_code == 405


def test_expired_sad_is_rejected(client, credential, monkeypatch):
    digest = hashlib.sha256(b"doc").digest()
    sad = authorize(client, credential.credential_id, [digest])
    monkeypatch.setattr(csc_sandbox, "SAD_SECONDS", -1)
    reply = call(client, "signatures/signHash", {
        "credentialID": credential.credential_id, "SAD": sad, "hashes": [b64(digest)],
        "hashAlgorithmOID": SHA256, "signAlgo": ECDSA_SHA256})
    assert reply.status_code == 400 and reply.json()["error_description"] == "SAD expired"


def test_sandbox_is_closed_when_switched_off(client, csc_settings, db):
    assert call(client, "info").status_code == 200
    assert call(client, "info").json()["name"].startswith("CSC sandbox")
    csc_settings.TINHSO_CSC_SANDBOX = False
    assert call(client, "info").status_code == 404
    with pytest.raises(DomainError) as exc:
        csc_sandbox.csc_sandbox_credential_create(acting_user=None, holder_user=None)
    assert code_of(exc) == "CSC_SANDBOX_DISABLED"


def test_production_needs_a_real_csc_token(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.PRODUCTION = True
    settings.TINHSO_CSC_URL = "https://csc.example.vn"
    settings.TINHSO_CSC_TOKEN = conf.DEV_CSC_TOKEN
    with pytest.raises(ImproperlyConfigured):
        conf.csc_token()
    settings.TINHSO_CSC_URL = "ftp://csc.example.vn"
    with pytest.raises(ImproperlyConfigured):
        conf.csc_base_url()


def test_cli_enrols_and_lists(csc_settings, pki_ready, operator, officer):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("csc_sandbox", "enrol", "--holder", officer.username, "--operator",
                 operator.username, "--credential-id", "sim-cli", stdout=out)
    assert "credentialID: sim-cli" in out.getvalue()
    cert = Certificate.objects.get(key_ref__key_id="sim-cli")
    assert cert.holder_user == officer and cert.kind == CertificateKind.SIM
    out = StringIO()
    call_command("csc_sandbox", "list", stdout=out)
    assert out.getvalue().startswith("sim-cli\tapprove")
    with pytest.raises(CommandError, match="CSC_CREDENTIAL_EXISTS"):
        call_command("csc_sandbox", "enrol", "--holder", officer.username, "--operator",
                     operator.username, "--credential-id", "sim-cli")
    with pytest.raises(CommandError, match="FORBIDDEN"):  # only a CA operator approves
        call_command("csc_sandbox", "enrol", "--holder", officer.username, "--operator",
                     officer.username)
