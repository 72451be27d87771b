"""Remote signing (SIM-based and cloud signatures): the platform sends a hash, gets a signature.

The key lives on the holder's SIM or in a cloud signing service; the platform never sees it.
A backend implements ``RemoteSigningBackend``; backends are registered by name
(``TINHSO_REMOTE_SIGNERS = {"name": "dotted.path.Class"}``). Built in:

- ``"csc"``: ``csc.CscBackend``, the Cloud Signature Consortium API v2 over HTTP — the protocol
  of cloud and SIM signing services (the local ``csc_sandbox`` plays one in development);
- ``"test"``: ``TestRemoteSigner``, keys in memory in this process, for unit tests.

``RemoteSigner`` checks every signature that comes back against the certificate before
pyhanko embeds it: a faulty service makes signing fail, never a PDF with a broken signature.
"""

from __future__ import annotations

import threading
from typing import Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from django.conf import settings
from django.utils.module_loading import import_string
from pyhanko.sign.signers.pdf_cms import Signer

from tinhso.core.errors import DomainError
from tinhso.signatures import csc, pki

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


class RemoteSigningBackend(Protocol):
    """Hash in, signature out. ``signature`` is DER ECDSA-Sig-Value or a PKCS#1 v1.5 block."""

    def public_key(self, key_id: str) -> pki.PublicKey: ...

    def sign_digest(self, key_id: str, digest: bytes, digest_algorithm: str) -> bytes: ...


class TestRemoteSigner:
    """In-memory stand-in for a SIM/cloud signing service (per process)."""

    def __init__(self) -> None:
        self._keys: dict[str, pki.PrivateKey] = {}
        self._lock = threading.Lock()
        self.calls = 0

    def create_key(self, key_id: str, algorithm: str = pki.EC_P256) -> pki.PublicKey:
        with self._lock:
            if key_id not in self._keys:
                self._keys[key_id] = pki.generate_key(algorithm)
            return self._keys[key_id].public_key()

    def public_key(self, key_id: str) -> pki.PublicKey:
        try:
            return self._keys[key_id].public_key()
        except KeyError:
            raise DomainError("REMOTE_KEY_UNKNOWN", "Dịch vụ ký số từ xa không có khóa này.",
                              "The remote signing service has no such key.",
                              {"key_id": key_id}, status=409) from None

    def sign_digest(self, key_id: str, digest: bytes, digest_algorithm: str) -> bytes:
        self.calls += 1
        key = self._keys[key_id]
        prehashed = utils.Prehashed(_HASHES[digest_algorithm]())
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(digest, ec.ECDSA(prehashed))
        assert isinstance(key, rsa.RSAPrivateKey)
        return key.sign(digest, padding.PKCS1v15(), prehashed)


_registry: dict[str, RemoteSigningBackend] = {}
_registry_lock = threading.Lock()


def backend(name: str) -> RemoteSigningBackend:
    with _registry_lock:
        found = _registry.get(name)
        if found is not None:
            return found
        paths: dict[str, str] = {"test": "tinhso.signatures.remote.TestRemoteSigner",
                                 "csc": "tinhso.signatures.csc.CscBackend"}
        paths.update(getattr(settings, "TINHSO_REMOTE_SIGNERS", {}))
        if name not in paths:
            raise DomainError("REMOTE_BACKEND_UNKNOWN", "Không có dịch vụ ký số từ xa này.",
                              "Unknown remote signing backend.", {"backend": name}, status=422)
        instance: RemoteSigningBackend = import_string(paths[name])()
        _registry[name] = instance
        return instance


class RemoteSigner(Signer):
    """A pyhanko signer that hashes the signed attributes here and asks the backend to sign."""

    def __init__(self, *, backend_name: str, key_id: str, signing_cert, cert_registry) -> None:  # type: ignore[no-untyped-def]
        super().__init__(signing_cert=signing_cert, cert_registry=cert_registry)
        self.backend = backend(backend_name)
        self.key_id = key_id
        key = serialization.load_der_public_key(signing_cert.public_key.dump())
        assert isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey)
        self.certified_key: pki.PublicKey = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                             dry_run: bool = False) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if dry_run:
            # pyhanko sizes the signature container with a dry run: no remote call for that.
            assert self.signing_cert is not None  # set by __init__ from the stored certificate
            size = self.signing_cert.public_key.bit_size
            return bytes(size // 8 if mechanism.signature_algo.startswith("rsa") else 72)
        h = hashes.Hash(_HASHES[digest_algorithm]())
        h.update(data)
        digest = h.finalize()
        signature = self.backend.sign_digest(self.key_id, digest, digest_algorithm)
        # The key behind the service must be the certified one (a rotated or mixed-up key, or a
        # buggy service, would otherwise give a PDF whose signature fails for every reader).
        signature = csc.normalise_signature(self.certified_key, signature)
        if not csc.signature_verifies(self.certified_key, signature, digest, digest_algorithm):
            raise csc.error("REMOTE_SIGNATURE_INVALID", reason="certificate_mismatch",
                            key_id=self.key_id)
        return signature

