"""Signed tree heads of the platform's verifiable logs (RFC 9162), shared by the LGSP message
log and the traceability ledger: the bytes a head signs, the platform's signing key (the TSA's),
the signature and its RFC 3161 time-stamp, and the checks ``verify-log`` makes of them. The
Merkle tree itself is ``tinhso.core.merkle``."""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import tsp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


@dataclass
class Report:
    """What ``verify-log`` found: leaves and heads checked, and every problem (up to 1,000)."""

    leaves: int = 0
    heads: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, text: str) -> None:
        if len(self.problems) < 1000:
            self.problems.append(text)


def tree_head_bytes(timestamp_ms: int, size: int, root_hash: bytes) -> bytes:
    """TLS encoding of RFC 9162 ``TreeHeadDataV2`` (no extensions): what the log signs."""
    return (struct.pack(">QQ", timestamp_ms, size) + bytes([len(root_hash)]) + root_hash
            + struct.pack(">H", 0))


def sign(key: Any, data: bytes) -> tuple[bytes, str]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256())), "ecdsa_secp256r1_sha256"
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256()), "rsa_pkcs1_sha256"


def verify_signature(cert_pem: str, data: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    from tinhso.signatures import pki

    public = pki.load_cert(cert_pem).public_key()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


def timestamp(data: bytes) -> bytes:
    from tinhso.signatures import tsa

    req = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                            "hashed_message": hashlib.sha256(data).digest()},
        "nonce": secrets.randbits(63),
        "cert_req": True,
    })
    response = tsa.authority().respond(req)
    return bytes(response["time_stamp_token"].dump())


def stamped_digest(token: bytes) -> bytes | None:
    """The SHA-256 message imprint an RFC 3161 token stamps (None if unreadable)."""
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"].parsed
        return bytes(info["message_imprint"]["hashed_message"].native)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def token_signature_ok(token: bytes, trust_pems: list[str]) -> bool:
    """The token's CMS signature verifies with its signer certificate, the signed digest is the
    TSTInfo's, and that certificate was issued by one of ``trust_pems``."""
    from asn1crypto import cms

    from tinhso.signatures import pki

    try:
        signed = cms.ContentInfo.load(token)["content"]
        tst_der = bytes(signed["encap_content_info"]["content"].contents)
        signer = signed["signer_infos"][0]
        attrs = signer["signed_attrs"]
        digest = next(a["values"][0].native for a in attrs if a["type"].native ==
                      "message_digest")
        if digest != hashlib.sha256(tst_der).digest():
            return False
        serial = signer["sid"].chosen["serial_number"].native
        cert_der = next(c.chosen.dump() for c in signed["certificates"]
                        if c.chosen.serial_number == serial)
    except (ValueError, KeyError, TypeError, AttributeError, StopIteration):
        return False
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = x509.load_der_x509_certificate(cert_der)
    cert_pem = cert.public_bytes(Encoding.PEM).decode()
    # Signed attributes are signed as a SET OF (tag 0x31), not with their [0] implicit tag.
    if not verify_signature(cert_pem, b"\x31" + attrs.dump()[1:], bytes(signer["signature"])):
        return False
    for pem in trust_pems:
        try:
            cert.verify_directly_issued_by(pki.load_cert(pem))
            return True
        except Exception:  # noqa: BLE001, S112 - any failure means "not this issuer"
            continue
    return False


@dataclass(frozen=True)
class Platform:
    cert_pem: str
    key: Any


def platform_key() -> Platform:
    """The platform's service key and certificate (the TSA's, from the ``signatures`` app)."""
    from asn1crypto import pem

    from tinhso.signatures import tsa

    authority = tsa.authority()
    return Platform(cert_pem=pem.armor("CERTIFICATE", authority.cert.dump()).decode(),
                    key=authority.key)


def issuer_ok(cert_pem: str, trust_pems: list[str]) -> bool:
    from tinhso.signatures import pki

    cert = pki.load_cert(cert_pem)
    for pem in trust_pems:
        try:
            cert.verify_directly_issued_by(pki.load_cert(pem))
            return True
        except Exception:  # noqa: BLE001, S112 - any failure means "not this issuer"
            continue
    return False


def trust_pems(trust_root: str | None) -> list[str]:
    if trust_root:
        return [trust_root]
    from tinhso.signatures.models import CertificateAuthority

    return list(CertificateAuthority.objects.values_list("certificate_pem", flat=True))


def publish_head(*, lock_state: Callable[[], Any], head_model: Any,
                 root_at: Callable[[int], bytes], signed_bytes: Callable[[Any], bytes],
                 force: bool = False) -> Any:
    """Sign and time-stamp a log's current tree head; None when nothing changed (unless forced).

    All under the log's state lock (``lock_state``): the head describes one consistent tree, and
    two processes publishing at the same moment do not both sign the same size. Timestamps are
    strictly increasing even if the clock steps back. ``head_model`` has the fields tree_size,
    timestamp_ms, root_hash, signature, signature_algorithm, certificate_pem, timestamp_token;
    ``signed_bytes(head)`` are the bytes the RFC 3161 token stamps.
    """
    from django.db import transaction
    from django.utils import timezone

    platform = platform_key()
    with transaction.atomic():
        size = lock_state().tree_size
        latest = head_model.objects.order_by("-tree_size", "-timestamp_ms").first()
        if latest is not None and latest.tree_size == size and not force:
            return None
        root_hash = root_at(size)
        now_ms = int(timezone.now().timestamp() * 1000)
        if latest is not None and now_ms <= latest.timestamp_ms:
            now_ms = latest.timestamp_ms + 1
        signature, algorithm = sign(platform.key, tree_head_bytes(now_ms, size, root_hash))
        head = head_model(tree_size=size, timestamp_ms=now_ms, root_hash=root_hash,
                          signature=signature, signature_algorithm=algorithm,
                          certificate_pem=platform.cert_pem, timestamp_token=b"")
        head.timestamp_token = timestamp(signed_bytes(head))
        head.save()
    return head
