"""The platform's RFC 3161 time-stamp authority, one implementation for two callers.

``TimeStampAuthority.respond`` answers a ``TimeStampReq``; the HTTP endpoint
(POST /chu-ky-so/tsa, application/timestamp-query → application/timestamp-reply) feeds it
DER from the wire, and ``LocalTimeStamper`` feeds it in process when we sign PDFs, so the
signer gets exactly the token an outside client would. (pyhanko's ``DummyTimeStamper`` is
RSA-only and meant for tests; ours signs with EC or RSA and checks the request.)
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import uuid

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper

from tinhso.signatures import pki

# A policy OID of our own under the UUID arc (ITU-T X.667: 2.25.<uuid as integer>).
TSA_POLICY_OID = "2.25." + str(uuid.UUID("6b0b7a2e-9a57-4d1c-9a0e-2f6f3c0b5d11").int)
ACCEPTED_DIGESTS = {"sha256", "sha384", "sha512"}
_DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}


class TimeStampResponse(tsp.TimeStampResp):
    # RFC 3161 §2.4.2: timeStampToken is OPTIONAL (absent on rejection); asn1crypto requires it.
    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def _rejection(fail_info: str, text: str) -> tsp.TimeStampResp:
    return TimeStampResponse({
        "status": tsp.PKIStatusInfo({
            "status": tsp.PKIStatus("rejection"),
            "status_string": [text],
            "fail_info": tsp.PKIFailureInfo({fail_info}),
        })
    })


class TimeStampAuthority:
    def __init__(self, *, cert: asn1_x509.Certificate, key: pki.PrivateKey,
                 chain: list[asn1_x509.Certificate]) -> None:
        self.cert = cert
        self.key = key
        self.chain = chain
        # The parts of every response that never change, encoded once: asn1crypto copies and
        # re-encodes parsed objects placed into a new structure (≈ a third of a B-LT
        # signature's time went to building the token, profiled); loaded from DER they are
        # lazy and dump their original bytes.
        self._certificates = cms.CertificateSet.load(
            cms.CertificateSet([cms.CertificateChoices(name="certificate", value=c)
                                for c in [cert, *chain]]).dump())
        self._tsa_name = asn1_x509.GeneralName.load(
            asn1_x509.GeneralName(name="directory_name", value=cert.subject).dump())
        self._signing_certificate = simple_cms_attribute(
            "signing_certificate_v2", as_signing_certificate_v2(cert, "sha256")).dump()
        self._sid = cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber({
            "issuer": cert.issuer, "serial_number": cert.serial_number})}).dump()

    def _signature(self, data: bytes) -> tuple[bytes, str]:
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(data, ec.ECDSA(hashes.SHA256())), "sha256_ecdsa"
        assert isinstance(self.key, rsa.RSAPrivateKey)
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256()), "rsassa_pkcs1v15"

    def respond(self, req: tsp.TimeStampReq, *, now: dt.datetime | None = None
                ) -> tsp.TimeStampResp:
        imprint = req["message_imprint"]
        md = imprint["hash_algorithm"]["algorithm"].native
        if md not in ACCEPTED_DIGESTS:
            return _rejection("bad_alg", f"Unsupported hash algorithm {md}")
        if len(imprint["hashed_message"].native) != _DIGEST_SIZES[md]:
            return _rejection("bad_data_format", "Message imprint has the wrong length")
        if req["req_policy"].native not in (None, TSA_POLICY_OID):
            return _rejection("unaccepted_policy", "Unknown TSA policy")
        gen_time = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        info = {
            "version": "v1",
            "policy": TSA_POLICY_OID,
            "message_imprint": imprint,
            "serial_number": secrets.randbits(126),
            "gen_time": gen_time,
            "accuracy": {"seconds": 1},
            "ordering": False,
            "tsa": asn1_x509.GeneralName.load(self._tsa_name.dump()),
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"]
        tst_info_der = tsp.TSTInfo(info).dump()
        digest = hashes.Hash(hashes.SHA256())
        digest.update(tst_info_der)
        signed_attrs = cms.CMSAttributes([
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(gen_time)})),
            cms.CMSAttribute.load(self._signing_certificate),
            simple_cms_attribute("message_digest", digest.finalize()),
        ])
        signature, sig_algo = self._signature(signed_attrs.dump())
        digest_algo = algos.DigestAlgorithm({"algorithm": "sha256"})
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier.load(self._sid),
            "digest_algorithm": digest_algo,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": sig_algo}),
            "signed_attrs": signed_attrs,
            "signature": signature,
        })
        certs = (cms.CertificateSet.load(self._certificates.dump()) if req["cert_req"].native
                 else cms.CertificateSet([]))
        signed_data = cms.SignedData({
            "version": "v3",
            "digest_algorithms": [digest_algo],
            "encap_content_info": {"content_type": "tst_info",
                                   "content": cms.ParsableOctetString(tst_info_der)},
            "certificates": certs,
            "signer_infos": [signer_info],
        })
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        return tsp.TimeStampResp({
            "status": tsp.PKIStatusInfo({"status": tsp.PKIStatus("granted")}),
            "time_stamp_token": token,
        })

    def respond_der(self, body: bytes) -> bytes:
        try:
            req = tsp.TimeStampReq.load(body)
            req.native  # noqa: B018 - forces a full parse so garbage is rejected here
        except (ValueError, TypeError):
            return _rejection("bad_data_format", "Malformed TimeStampReq").dump()
        return self.respond(req).dump()


class LocalTimeStamper(TimeStamper):
    """A pyhanko ``TimeStamper`` that asks our authority in process (no HTTP round trip)."""

    def __init__(self, authority: TimeStampAuthority) -> None:
        super().__init__(include_nonce=True)
        self.authority = authority

    def request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.authority.respond(req)

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.authority.respond(req)


_lock = threading.Lock()
_cached: tuple[str, TimeStampAuthority] | None = None


def authority() -> TimeStampAuthority:
    """The TSA of the active service certificate, loaded once per process and key."""
    global _cached
    from tinhso.signatures import keystore
    from tinhso.signatures.models import Certificate, CertificateKind, CertificateStatus
    from tinhso.signatures.services import active_issuing_ca

    active = (Certificate.objects.filter(kind=CertificateKind.SERVICE,
                                         status=CertificateStatus.ACTIVE)
              .order_by("-created_at"))
    # Asked before every signature: one indexed column, not the certificates and the key
    # (the whole row with its CA chain cost 8 ms a signature, profiled).
    fingerprint = active.values_list("fingerprint", flat=True).first()
    cached = _cached
    if cached is not None and fingerprint is not None and cached[0] == fingerprint:
        return cached[1]
    row = active.select_related("ca", "ca__parent").first()
    if row is None:
        active_issuing_ca()  # raises PKI_NOT_INITIALISED
        raise RuntimeError("The PKI has no active TSA certificate")
    chain = [asn1_x509.Certificate.load(pki.load_cert(row.ca.certificate_pem).public_bytes(
        _der()))]
    if row.ca.parent is not None:
        chain.append(asn1_x509.Certificate.load(
            pki.load_cert(row.ca.parent.certificate_pem).public_bytes(_der())))
    instance = TimeStampAuthority(
        cert=asn1_x509.Certificate.load(pki.load_cert(row.certificate_pem).public_bytes(_der())),
        key=keystore.load_private_key(row.fingerprint, row.key_pem),
        chain=chain,
    )
    with _lock:
        _cached = (row.fingerprint, instance)
    return instance


_stamper: tuple[TimeStampAuthority, LocalTimeStamper] | None = None


def stamper() -> LocalTimeStamper:
    """One time-stamper per TSA key: pyHanko keeps the dummy token it uses to size the
    signature on the stamper, so a stamper made per document asked the TSA twice."""
    global _stamper
    current = authority()
    cached = _stamper
    if cached is not None and cached[0] is current:
        return cached[1]
    made = LocalTimeStamper(current)
    with _lock:
        _stamper = (current, made)
    return made


def _der():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


def forget() -> None:
    global _cached, _stamper
    with _lock:
        _cached = None
        _stamper = None
