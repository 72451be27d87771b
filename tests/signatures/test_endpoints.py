from __future__ import annotations

import base64
import hashlib

from asn1crypto import algos, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data

from tinhso.signatures import services, signing
from tinhso.signatures.tsa import TSA_POLICY_OID, TimeStampResponse


def test_crl_endpoint_serves_signed_der(client, pki_ready, operator, officer_cert):
    services.certificate_revoke(acting_user=operator, certificate=officer_cert,
                                reason="affiliation_changed")
    response = client.get("/chu-ky-so/crl/issuing.crl")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(services.ca_cert(pki_ready.issuing).public_key())
    assert crl.get_revoked_certificate_by_serial_number(int(officer_cert.serial, 16))
    root = x509.load_der_x509_crl(client.get("/chu-ky-so/crl/root.crl").content)
    assert root.is_signature_valid(services.ca_cert(pki_ready.root).public_key())
    assert client.get("/chu-ky-so/crl/nope.crl").status_code == 404


def _ocsp_request(cert_pem: str, issuer) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    from tinhso.signatures import pki

    builder = ocsp.OCSPRequestBuilder().add_certificate(
        pki.load_cert(cert_pem), issuer, hashes.SHA1()).add_extension(
        x509.OCSPNonce(b"0123456789abcdef"), critical=False)
    return builder.build().public_bytes(Encoding.DER)


def test_ocsp_good_revoked_unknown(client, pki_ready, operator, officer_cert, agency):
    issuer = services.ca_cert(pki_ready.issuing)
    body = _ocsp_request(officer_cert.certificate_pem, issuer)
    response = client.post("/chu-ky-so/ocsp", body, content_type="application/ocsp-request")
    assert response["Content-Type"] == "application/ocsp-response"
    parsed = ocsp.load_der_ocsp_response(response.content)
    assert parsed.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert parsed.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert parsed.serial_number == int(officer_cert.serial, 16)
    assert parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == (
        b"0123456789abcdef")
    # Signed by the issuing CA itself (RFC 6960 §4.2.2.2, no delegated responder).
    issuer.public_key().verify(parsed.signature, parsed.tbs_response_bytes,
                               _ec_or_rsa(issuer, parsed))

    services.certificate_revoke(acting_user=operator, certificate=officer_cert,
                                reason="key_compromise")
    # The GET form: base64 of the DER request in the path.
    encoded = base64.b64encode(body).decode()
    parsed = ocsp.load_der_ocsp_response(client.get(f"/chu-ky-so/ocsp/{encoded}").content)
    assert parsed.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert parsed.revocation_reason == x509.ReasonFlags.key_compromise

    # A serial we never issued (the TSA certificate's, but under the root as issuer) → unknown.
    unknown = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        _hash(issuer.subject.public_bytes()), _key_hash(issuer), 12345, hashes.SHA1()
    ).build().public_bytes(__import__("cryptography.hazmat.primitives.serialization",
                                      fromlist=["Encoding"]).Encoding.DER)
    parsed = ocsp.load_der_ocsp_response(
        client.post("/chu-ky-so/ocsp", unknown, content_type="application/ocsp-request").content)
    assert parsed.certificate_status == ocsp.OCSPCertStatus.UNKNOWN


def _hash(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()  # noqa: S324 - OCSP CertID hash, not security-relevant


def _key_hash(cert: x509.Certificate) -> bytes:
    from asn1crypto import keys
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return _hash(keys.PublicKeyInfo.load(spki)["public_key"].contents[1:])


def _ec_or_rsa(issuer: x509.Certificate, parsed: ocsp.OCSPResponse):
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.ECDSA(parsed.signature_hash_algorithm)


def test_ocsp_malformed_and_foreign_issuer(client, pki_ready):
    parsed = ocsp.load_der_ocsp_response(
        client.post("/chu-ky-so/ocsp", b"garbage", content_type="application/ocsp-request")
        .content)
    assert parsed.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    foreign = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        b"\x00" * 20, b"\x00" * 20, 1, hashes.SHA1()).build()
    from cryptography.hazmat.primitives.serialization import Encoding

    parsed = ocsp.load_der_ocsp_response(client.post(
        "/chu-ky-so/ocsp", foreign.public_bytes(Encoding.DER),
        content_type="application/ocsp-request").content)
    assert parsed.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def _tsq(digest: bytes, algo: str = "sha256", nonce: int = 424242) -> bytes:
    return tsp.TimeStampReq({
        "version": 1,
        "message_imprint": {"hash_algorithm": algos.DigestAlgorithm({"algorithm": algo}),
                            "hashed_message": digest},
        "nonce": nonce,
        "cert_req": True,
    }).dump()


def test_tsa_endpoint_issues_rfc3161_tokens_from_our_tsa(client, pki_ready):
    digest = hashlib.sha256(b"ho so 000.01.00.H10").digest()
    response = client.post("/chu-ky-so/tsa", _tsq(digest),
                           content_type="application/timestamp-query")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(response.content)
    assert reply["status"]["status"].native == "granted"
    signed_data = reply["time_stamp_token"]["content"]
    info = signed_data["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["nonce"].native == 424242
    assert info["policy"].native == TSA_POLICY_OID
    # Validate the token: signature, TSA certificate (EKU timeStamping), chain to our root.
    import asyncio

    status = asyncio.run(validate_tst_signed_data(
        signed_data, signing.validation_context(), expected_tst_imprint=lambda _algo: digest))
    assert status["intact"] and status["valid"]
    assert status["trust_problem_indic"] is None and status["validation_path"] is not None


def test_tsa_rejects_bad_requests(client, pki_ready):
    bad_algo = client.post("/chu-ky-so/tsa", _tsq(hashlib.md5(b"x").digest(), "md5"),  # noqa: S324
                           content_type="application/timestamp-query")
    reply = TimeStampResponse.load(bad_algo.content)
    assert reply["status"]["status"].native == "rejection"
    assert "bad_alg" in reply["status"]["fail_info"].native
    garbage = client.post("/chu-ky-so/tsa", b"not der",
                          content_type="application/timestamp-query")
    assert TimeStampResponse.load(garbage.content)["status"]["status"].native == "rejection"
    wrong_type = client.post("/chu-ky-so/tsa", b"{}", content_type="application/json")
    assert wrong_type.status_code == 415


def test_ca_certificate_download(client, pki_ready):
    response = client.get("/chu-ky-so/ca/issuing.crt")
    assert response["Content-Type"] == "application/pkix-cert"
    assert x509.load_der_x509_certificate(response.content) == services.ca_cert(
        pki_ready.issuing)
