"""Cryptographic building blocks of the provincial PKI (no database access here).

Everything is done with ``cryptography``: key generation, certificates of the CA hierarchy and
of holders, CRLs and OCSP responses. Services in ``services.py`` decide *when*; this module
only knows *how*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tinhso.core.text import nfc

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

EC_P256 = "ec-p256"
RSA_2048 = "rsa-2048"
ALGORITHMS = (EC_P256, RSA_2048)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def generate_key(algorithm: str = EC_P256) -> PrivateKey:
    if algorithm == EC_P256:
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == RSA_2048:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"Unknown key algorithm {algorithm!r}")


def key_algorithm_of(public_key: object) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return EC_P256 if public_key.curve.name == "secp256r1" else f"ec-{public_key.curve.name}"
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"rsa-{public_key.key_size}"
    raise ValueError("Only EC and RSA keys are supported")


def encrypt_key(key: PrivateKey, passphrase: bytes) -> str:
    """PKCS#8 PEM encrypted with the best algorithm the library offers (AES-256, PBKDF2)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode("ascii")


def decrypt_key(pem: str, passphrase: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=passphrase)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("Only EC and RSA keys are supported")
    return key


def signature_hash(key: PrivateKey) -> hashes.SHA256:
    return hashes.SHA256()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_cert(pem: str | bytes) -> x509.Certificate:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def serial_hex(serial: int) -> str:
    return format(serial, "x")


@dataclass(frozen=True)
class SubjectInfo:
    common_name: str
    organisation: str = ""
    organisational_unit: str = ""
    province: str = ""
    email: str = ""
    # Vietnamese certificates carry the personal ID / tax code in the UID attribute.
    uid: str = ""

    def to_name(self) -> x509.Name:
        attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
        if self.province:
            attrs.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, nfc(self.province)))
        if self.organisation:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, nfc(self.organisation)))
        if self.organisational_unit:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME,
                                            nfc(self.organisational_unit)))
        if self.uid:
            attrs.append(x509.NameAttribute(NameOID.USER_ID, self.uid))
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, nfc(self.common_name)[:64]))
        if self.email:
            attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, self.email))
        return x509.Name(attrs)


def common_name_of(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def build_ca_certificate(
    *,
    subject: x509.Name,
    key: PrivateKey,
    issuer_cert: x509.Certificate | None,
    issuer_key: PrivateKey | None,
    days: int,
    path_length: int | None,
    crl_url: str | None = None,
) -> x509.Certificate:
    """A self-signed root (no issuer) or an intermediate signed by ``issuer_key``."""
    now = utcnow()
    signing_key = issuer_key or key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    if crl_url:
        builder = builder.add_extension(_crl_dp(crl_url), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _crl_dp(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([
        x509.DistributionPoint(full_name=[x509.UniformResourceIdentifier(url)],
                               relative_name=None, reasons=None, crl_issuer=None)
    ])


# What each certificate kind may do (key usage, extended key usage).
SIGNING_KINDS = ("personal", "organisation", "sim")


def build_end_entity_certificate(
    *,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    public_key: PublicKey,
    subject: x509.Name,
    purpose: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
    crl_url: str,
    ocsp_url: str | None,
    ca_issuers_url: str | None = None,
    serial: int | None = None,
) -> x509.Certificate:
    """A holder certificate. ``purpose``: ``signing`` (documents) or ``tsa`` (time stamps)."""
    tsa = purpose == "tsa"
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject)
        .public_key(public_key)
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=not tsa, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .add_extension(_crl_dp(crl_url), critical=False)
    )
    if tsa:
        # RFC 3161 §2.3: the TSA certificate has exactly this one EKU, marked critical.
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    access = []
    if ocsp_url:
        access.append(x509.AccessDescription(x509.AuthorityInformationAccessOID.OCSP,
                                             x509.UniformResourceIdentifier(ocsp_url)))
    if ca_issuers_url:
        access.append(x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS,
                                             x509.UniformResourceIdentifier(ca_issuers_url)))
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class RevokedEntry:
    serial: int
    revoked_at: dt.datetime
    reason: x509.ReasonFlags | None


def build_crl(
    *,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    revoked: Iterable[RevokedEntry],
    number: int,
    this_update: dt.datetime,
    next_update: dt.datetime,
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for entry in revoked:
        rb = (x509.RevokedCertificateBuilder().serial_number(entry.serial)
              .revocation_date(entry.revoked_at))
        if entry.reason is not None and entry.reason != x509.ReasonFlags.unspecified:
            rb = rb.add_extension(x509.CRLReason(entry.reason), critical=False)
        builder = builder.add_revoked_certificate(rb.build())
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class OcspIssuer:
    """A CA able to answer OCSP for the certificates it issued."""

    cert: x509.Certificate
    key: PrivateKey


@dataclass(frozen=True)
class OcspStatus:
    status: ocsp.OCSPCertStatus
    revoked_at: dt.datetime | None = None
    reason: x509.ReasonFlags | None = None


def _issuer_hashes(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    name_hash = hashes.Hash(algorithm)
    name_hash.update(cert.subject.public_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    # The key hash covers the BIT STRING value of subjectPublicKey only (RFC 6960 §4.1.1).
    from asn1crypto import keys as asn1_keys

    key_bits = asn1_keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]
    key_hash = hashes.Hash(algorithm)
    key_hash.update(key_bits)
    return name_hash.finalize(), key_hash.finalize()


def build_ocsp_response(
    request_der: bytes,
    *,
    issuers: list[OcspIssuer],
    lookup: Callable[[OcspIssuer, int], OcspStatus],
    validity: dt.timedelta = dt.timedelta(hours=1),
) -> bytes:
    """Answer an RFC 6960 request (first certificate of the request; clients send one)."""
    try:
        req = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        ).public_bytes(serialization.Encoding.DER)
    algorithm = req.hash_algorithm
    issuer = None
    for candidate in issuers:
        name_hash, key_hash = _issuer_hashes(candidate.cert, algorithm)
        if name_hash == req.issuer_name_hash and key_hash == req.issuer_key_hash:
            issuer = candidate
            break
    if issuer is None:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.UNAUTHORIZED
        ).public_bytes(serialization.Encoding.DER)
    status = lookup(issuer, req.serial_number)
    now = utcnow().replace(microsecond=0)
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=req.issuer_name_hash,
        issuer_key_hash=req.issuer_key_hash,
        serial_number=req.serial_number,
        algorithm=algorithm,
        cert_status=status.status,
        this_update=now,
        next_update=now + validity,
        revocation_time=status.revoked_at if status.status == ocsp.OCSPCertStatus.REVOKED else None,
        revocation_reason=status.reason if status.status == ocsp.OCSPCertStatus.REVOKED else None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
    for ext in req.extensions:
        if isinstance(ext.value, x509.OCSPNonce):
            builder = builder.add_extension(ext.value, critical=False)
    response = builder.sign(issuer.key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)


def pkcs12_bundle(
    *, name: str, key: PrivateKey, cert: x509.Certificate, chain: list[x509.Certificate],
    passphrase: str,
) -> bytes:
    from cryptography.hazmat.primitives.serialization import pkcs12

    return pkcs12.serialize_key_and_certificates(
        name.encode("utf-8"), key, cert, chain,
        serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
    )
