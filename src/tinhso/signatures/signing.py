"""PAdES signing with certificates of our PKI: loaded once, reused for every document.

``signer_for(certificate)`` turns a ``Certificate`` row into a pyhanko signer (a software key
kept decrypted in memory, a PKCS#11 key on the token, or a remote signer) and caches it per
process by certificate id and fingerprint: renewal or rotation means a new fingerprint, so a
stale signer is never used; revocation drops the entry. ``sign_pdf`` makes a PAdES B-LT
signature: signature time-stamp from our TSA and the revocation data (CRLs) embedded.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tinhso.core.errors import DomainError
from tinhso.core.observability import SIGNING
from tinhso.signatures import keystore, pki, tsa
from tinhso.signatures.models import (
    Certificate,
    CertificateAuthority,
    CertificateStatus,
    KeyStorage,
    TrustAnchor,
)

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


def asn1_cert(pem: str) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(
        pki.load_cert(pem).public_bytes(serialization.Encoding.DER))


class KeySigner(Signer):
    """Like pyhanko's SimpleSigner, but keeps the parsed key instead of re-parsing it per call."""

    def __init__(self, *, key: pki.PrivateKey, signing_cert: asn1_x509.Certificate,
                 cert_registry: SimpleCertificateStore) -> None:
        super().__init__(signing_cert=signing_cert, cert_registry=cert_registry)
        self.key = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                             dry_run: bool = False) -> bytes:
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        algo = _HASHES[digest_algorithm]()
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(data, ec.ECDSA(algo))
        assert isinstance(self.key, rsa.RSAPrivateKey)
        return self.key.sign(data, padding.PKCS1v15(), algo)


@dataclass
class LoadedSigner:
    certificate_id: int
    fingerprint: str
    common_name: str
    signer: Signer


_lock = threading.Lock()
_signers: dict[int, LoadedSigner] = {}


def _chain(ca: CertificateAuthority) -> list[asn1_x509.Certificate]:
    chain = []
    node: CertificateAuthority | None = ca
    while node is not None:
        chain.append(asn1_cert(node.certificate_pem))
        node = node.parent
    return chain


def ensure_usable(certificate: Certificate) -> None:
    now = timezone.now()
    if certificate.status != CertificateStatus.ACTIVE or not (
        certificate.not_before <= now <= certificate.not_after
    ):
        raise DomainError(
            "CERTIFICATE_NOT_USABLE",
            "Chứng thư số không còn hiệu lực để ký.",
            "The certificate is not valid for signing.",
            {"serial": certificate.serial, "status": certificate.status}, status=409,
        )


def signer_for(certificate: Certificate) -> LoadedSigner:
    ensure_usable(certificate)
    cached = _signers.get(certificate.pk)
    if cached is not None and cached.fingerprint == certificate.fingerprint:
        return cached
    cert = asn1_cert(certificate.certificate_pem)
    chain = _chain(certificate.ca)
    registry = SimpleCertificateStore.from_certs([cert, *chain])
    signer: Signer
    if certificate.key_storage == KeyStorage.SOFTWARE:
        key = keystore.load_private_key(certificate.fingerprint, certificate.key_pem)
        signer = KeySigner(key=key, signing_cert=cert, cert_registry=registry)
    elif certificate.key_storage == KeyStorage.PKCS11:
        from tinhso.signatures import hsm

        signer = hsm.signer(cert.dump(), certificate.key_ref, chain)
    elif certificate.key_storage == KeyStorage.REMOTE:
        from tinhso.signatures.remote import RemoteSigner

        signer = RemoteSigner(backend_name=certificate.key_ref["backend"],
                              key_id=certificate.key_ref["key_id"], signing_cert=cert,
                              cert_registry=registry)
    else:
        raise DomainError("KEY_NOT_HELD", "Nền tảng không giữ khóa của chứng thư này.",
                          "The platform does not hold this certificate's key.",
                          {"serial": certificate.serial}, status=409)
    loaded = LoadedSigner(certificate.pk, certificate.fingerprint, certificate.common_name,
                          signer)
    with _lock:
        _signers[certificate.pk] = loaded
    return loaded


def forget_signer(certificate_id: int | None = None) -> None:
    with _lock:
        if certificate_id is None:
            _signers.clear()
        else:
            _signers.pop(certificate_id, None)


def forget_all() -> None:
    """Drop every cached key and signer (tests; an operator after a key rotation)."""
    forget_signer()
    keystore.forget()
    tsa.forget()
    forget_validation_contexts()


def trust_roots() -> list[asn1_x509.Certificate]:
    from tinhso.signatures.models import CAKind

    roots = [asn1_cert(ca.certificate_pem)
             for ca in CertificateAuthority.objects.filter(kind=CAKind.ROOT)]
    roots += [asn1_cert(a.certificate_pem) for a in TrustAnchor.objects.filter(is_active=True)]
    return roots


def validation_context(*, revocation_mode: str = "hard-fail",
                       moment: dt.datetime | None = None) -> ValidationContext:
    """Our roots and imported anchors, our current CRLs, no network fetching."""
    from tinhso.signatures.services import crl_current

    cas = list(CertificateAuthority.objects.select_related("parent"))
    crls = [crl_current(ca) for ca in cas]
    return ValidationContext(
        trust_roots=trust_roots(),
        other_certs=[asn1_cert(ca.certificate_pem) for ca in cas],
        crls=crls,
        allow_fetching=False,
        revocation_mode=revocation_mode,
        moment=moment,
    )


_contexts = threading.local()


def _revocation_state() -> tuple[Any, ...]:
    """What a signing context depends on, in one cheap query each: every CA with its CRL
    number (a revocation publishes a new CRL at once, in any process) and the trusted anchors.
    """
    from tinhso.signatures.models import TrustAnchor

    cas = tuple(CertificateAuthority.objects.order_by("pk").values_list(
        "pk", "fingerprint", "crl_number", "crl_next_update"))
    anchors = tuple(TrustAnchor.objects.filter(is_active=True).order_by("pk")
                    .values_list("pk", flat=True))
    return cas, anchors


def signing_validation_context() -> ValidationContext:
    """The validation context for embedding revocation data, reused while nothing changed.

    Kept per thread (a context is not shared between threads) and rebuilt as soon as a CA
    publishes a new CRL — every revocation does — an anchor is added or removed, or a CRL comes
    within an hour of its next update (``crl_current`` then republishes it).
    """
    state = _revocation_state()
    cached = getattr(_contexts, "value", None)
    now = timezone.now()
    soonest = min((row[3] for row in state[0] if row[3] is not None), default=None)
    fresh = soonest is not None and soonest - now > dt.timedelta(hours=1)
    if cached is not None and cached[0] == state and fresh:
        return cached[1]
    context = validation_context()
    _contexts.value = (_revocation_state(), context)  # after crl_current may have republished
    return context


# A verification context fixes "now" when it is made (pyhanko's validation time): reuse one
# for at most this long, so an expiry is seen within that time (a revocation at once).
VERIFICATION_CONTEXT_SECONDS = 60


def verification_context() -> ValidationContext:
    """The soft-fail context for verifying PDFs, reused while nothing it depends on changed.

    Building one costs a query per CA, a CRL load and parse per CA and the trust roots; pyhanko
    also caches validated certification paths inside it, so reusing it makes the second PDF
    signed by the same certificate cheaper still. Kept per thread, keyed — like
    :func:`signing_validation_context` — by the revocation state (every CA's CRL number: a
    revocation is seen on the next call) and rebuilt after VERIFICATION_CONTEXT_SECONDS or when
    a CRL is within an hour of its next update.
    """
    state = _revocation_state()
    cached = getattr(_contexts, "verify", None)
    now = timezone.now()
    soonest = min((row[3] for row in state[0] if row[3] is not None), default=None)
    fresh = soonest is not None and soonest - now > dt.timedelta(hours=1)
    if (cached is not None and cached[0] == state and fresh
            and (now - cached[2]).total_seconds() < VERIFICATION_CONTEXT_SECONDS):
        return cached[1]
    context = validation_context(revocation_mode="soft-fail")
    _contexts.verify = (_revocation_state(), context, now)
    return context


def forget_validation_contexts() -> None:
    _contexts.value = None
    _contexts.verify = None


@dataclass(frozen=True)
class StampPlacement:
    """Where the signature widget sits (PDF points, origin bottom-left) on which page."""

    page: int
    box: tuple[int, int, int, int]


# The Vietnamese text of the stamp is drawn by the document renderer (Be Vietnam Pro);
# the widget only prints the signing time, which is ASCII and known only now.
_STAMP_STYLE = TextStampStyle(stamp_text="%(ts)s", border_width=0,
                              timestamp_format="%d/%m/%Y %H:%M:%S %z")


def sign_pdf(
    pdf: bytes,
    signer: LoadedSigner,
    *,
    field_name: str,
    reason: str = "",
    location: str = "",
    placement: StampPlacement | None = None,
    long_term: bool = True,
    timestamp: bool = True,
) -> bytes:
    """Add one PAdES signature (B-LT when ``long_term``, B-T with ``timestamp``) to ``pdf``."""
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        name=signer.common_name,
        embed_validation_info=long_term,
        validation_context=signing_validation_context() if long_term else None,
        use_pades_lta=False,
    )
    spec = None
    if placement is not None:
        spec = fields.SigFieldSpec(field_name, on_page=placement.page, box=placement.box)
    pdf_signer = signers.PdfSigner(
        meta, signer=signer.signer,
        timestamper=tsa.stamper() if timestamp else None,
        new_field_spec=spec, stamp_style=_STAMP_STYLE if placement else None,
    )
    out = BytesIO()
    started = time.perf_counter()
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf), strict=False), output=out)
    level = "B-LT" if long_term else ("B-T" if timestamp else "B-B")
    SIGNING.labels(level).observe(time.perf_counter() - started)
    return out.getvalue()


def sign_with(pdf: bytes, certificate: Certificate, **kwargs: Any) -> bytes:
    return sign_pdf(pdf, signer_for(certificate), **kwargs)
