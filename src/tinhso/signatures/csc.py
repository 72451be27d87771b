"""Remote signing over the Cloud Signature Consortium (CSC) API v2: the "csc" backend.

CSC is the standard protocol of cloud and SIM-based signing services: the key stays with the
service, the platform sends hashes and gets signatures back. We use the subset hash signing
needs, with an OAuth2 bearer access token (``TINHSO_CSC_TOKEN``):

- ``POST /csc/v2/credentials/info``: certificate chain and key algorithms of a credential;
- ``POST /csc/v2/credentials/authorize``: the holder authorises signing these hashes (a real
  service waits here for the confirmation on the phone or the OTP) → SAD (Signature
  Activation Data);
- ``POST /csc/v2/signatures/signHash``: SAD + hashes → signatures.

Every failure becomes a ``DomainError`` with a stable code (``ERRORS``); the signature that
comes back is checked against the credential's public key before pyhanko may embed it, so a
faulty service can make signing fail but never produce a broken PDF.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from tinhso.core.errors import DomainError
from tinhso.core.observability import outgoing_headers
from tinhso.signatures import conf, pki

logger = logging.getLogger(__name__)

API = "/csc/v2"
INFO_TTL = 600.0  # seconds a credential's certificate and algorithms are reused

# Object identifiers CSC uses to name hash and signature algorithms.
HASH_OIDS = {
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}
HASH_BY_OID = {oid: name for name, oid in HASH_OIDS.items()}
HASH_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
ECDSA_OIDS = {
    "sha256": "1.2.840.10045.4.3.2",
    "sha384": "1.2.840.10045.4.3.3",
    "sha512": "1.2.840.10045.4.3.4",
}
RSA_OIDS = {
    "sha256": "1.2.840.113549.1.1.11",
    "sha384": "1.2.840.113549.1.1.12",
    "sha512": "1.2.840.113549.1.1.13",
}
RSA_ENCRYPTION_OID = "1.2.840.113549.1.1.1"  # plain RSA: the hash comes from hashAlgorithmOID
EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}

# code → (HTTP status, Vietnamese, English)
ERRORS: dict[str, tuple[int, str, str]] = {
    "REMOTE_SIGNER_UNAVAILABLE": (
        503, "Dịch vụ ký số từ xa tạm thời không truy cập được, vui lòng thử lại sau.",
        "The remote signing service is unavailable; please try again later."),
    "REMOTE_SIGNER_UNAUTHORISED": (
        503, "Nền tảng không được dịch vụ ký số từ xa chấp nhận (sai mã truy cập).",
        "The remote signing service rejected the platform's access token."),
    "REMOTE_KEY_UNKNOWN": (
        409, "Dịch vụ ký số từ xa không có khóa này.",
        "The remote signing service has no such key."),
    "REMOTE_SIGNER_REFUSED": (
        409, "Dịch vụ ký số từ xa từ chối yêu cầu ký (người ký không xác nhận hoặc yêu cầu "
             "không hợp lệ).",
        "The remote signing service refused to sign (not confirmed by the holder, or an "
        "invalid request)."),
    "REMOTE_SIGNATURE_INVALID": (
        502, "Chữ ký do dịch vụ ký số từ xa trả về không hợp lệ; tài liệu chưa được ký.",
        "The remote signing service returned a signature that does not verify; the document "
        "was not signed."),
}


def error(code: str, **details: Any) -> DomainError:
    status, vi, en = ERRORS[code]
    return DomainError(code, vi, en, details, status=status)


@dataclass(frozen=True)
class CredentialInfo:
    credential_id: str
    certificates: list[x509.Certificate]  # end-entity first
    key_algorithms: list[str]  # OIDs
    fetched_at: float

    @property
    def public_key(self) -> pki.PublicKey:
        key = self.certificates[0].public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            raise error("REMOTE_SIGNATURE_INVALID", credential_id=self.credential_id,
                        reason="unsupported_key")
        return key


def sign_algorithm_oid(public_key: pki.PublicKey, digest_algorithm: str) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return ECDSA_OIDS[digest_algorithm]
    return RSA_OIDS[digest_algorithm]


def normalise_signature(public_key: pki.PublicKey, signature: bytes) -> bytes:
    """ECDSA as DER (CMS needs it): some services return raw r‖s (IEEE P1363) instead."""
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return signature
    size = (public_key.curve.key_size + 7) // 8
    try:
        utils.decode_dss_signature(signature)
        return signature
    except ValueError:
        if len(signature) != 2 * size:
            return signature  # left to fail the verification below
    r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    return utils.encode_dss_signature(r, s)


def signature_verifies(public_key: pki.PublicKey, signature: bytes, digest: bytes,
                       digest_algorithm: str) -> bool:
    prehashed = utils.Prehashed(_HASHES[digest_algorithm]())
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, digest, ec.ECDSA(prehashed))
        else:
            if len(signature) != (public_key.key_size + 7) // 8:
                return False
            public_key.verify(signature, digest, padding.PKCS1v15(), prehashed)
    except (InvalidSignature, ValueError):
        return False
    return True


def _b64decode(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return base64.b64decode(value, validate=True)


class CscBackend:
    """``RemoteSigningBackend`` speaking CSC API v2 over HTTP (httpx, with timeouts).

    Arguments override the settings (tests); otherwise every call reads them, so a changed
    setting takes effect without restarting the process.
    """

    name = "csc"

    def __init__(self, *, base_url: str | None = None, token: str | None = None,
                 timeout: float | None = None, authorize_timeout: float | None = None) -> None:
        self._base_url = base_url
        self._token = token
        self._timeout = timeout
        self._authorize_timeout = authorize_timeout
        self._info: dict[tuple[str, str], CredentialInfo] = {}
        self._lock = threading.Lock()
        self.calls = 0  # signatures asked for (tests, metrics)

    # --- settings ---------------------------------------------------------------------------

    def base_url(self) -> str:
        return (self._base_url or conf.csc_base_url()).rstrip("/")

    def _timeouts(self, authorize: bool = False) -> httpx.Timeout:
        read = (self._authorize_timeout or conf.csc_authorize_timeout()) if authorize else (
            self._timeout or conf.csc_timeout())
        return httpx.Timeout(read, connect=min(read, 5.0))

    # --- protocol ---------------------------------------------------------------------------

    def _post(self, client: httpx.Client, method: str, body: dict[str, Any], *,
              credential_id: str, authorize: bool = False) -> dict[str, Any]:
        url = f"{self.base_url()}{API}/{method}"
        details: dict[str, Any] = {"backend": self.name, "credential_id": credential_id,
                                   "method": method}
        try:
            token = self._token or conf.csc_token()
            reply = client.post(url, json=body, timeout=self._timeouts(authorize),
                                headers={"Authorization": f"Bearer {token}",
                                         **outgoing_headers()})
        except httpx.TimeoutException:
            logger.warning("CSC %s: timeout (%s)", method, url)
            raise error("REMOTE_SIGNER_UNAVAILABLE", reason="timeout", **details) from None
        except httpx.HTTPError as exc:
            logger.warning("CSC %s: %s (%s)", method, type(exc).__name__, url)
            raise error("REMOTE_SIGNER_UNAVAILABLE", reason="unreachable", **details) from None
        try:
            data = reply.json()
        except ValueError:
            data = None
        if reply.status_code == 200 and isinstance(data, dict):
            return data
        csc_error = str(data.get("error", "")) if isinstance(data, dict) else ""
        description = str(data.get("error_description", ""))[:200] if isinstance(
            data, dict) else ""
        details.update(http_status=reply.status_code, error=csc_error,
                       error_description=description)
        logger.warning("CSC %s: HTTP %s %s %s", method, reply.status_code, csc_error,
                       description)
        if reply.status_code in (401, 403) and csc_error != "access_denied":
            raise error("REMOTE_SIGNER_UNAUTHORISED", **details)
        if reply.status_code >= 500 or reply.status_code == 200 or not csc_error:
            raise error("REMOTE_SIGNER_UNAVAILABLE", reason="bad_response", **details)
        if "credentialid" in description.lower().replace(" ", ""):
            raise error("REMOTE_KEY_UNKNOWN", **details)
        raise error("REMOTE_SIGNER_REFUSED", **details)

    def credential_info(self, credential_id: str) -> CredentialInfo:
        cache_key = (self.base_url(), credential_id)
        cached = self._info.get(cache_key)
        if cached is not None and time.monotonic() - cached.fetched_at < INFO_TTL:
            return cached
        with httpx.Client() as http:
            data = self._post(http, "credentials/info",
                              {"credentialID": credential_id, "certificates": "chain",
                               "certInfo": False, "authInfo": False},
                              credential_id=credential_id)
        try:
            certs = [x509.load_der_x509_certificate(_b64decode(c))
                     for c in data["cert"]["certificates"]]
            algos = [str(a) for a in data.get("key", {}).get("algo", [])]
            if not certs:
                raise ValueError("no certificate")
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise error("REMOTE_SIGNER_UNAVAILABLE", reason="bad_response", backend=self.name,
                        credential_id=credential_id, method="credentials/info") from None
        info = CredentialInfo(credential_id, certs, algos, time.monotonic())
        with self._lock:
            self._info[cache_key] = info
        return info

    def public_key(self, key_id: str) -> pki.PublicKey:
        return self.credential_info(key_id).public_key

    def sign_digest(self, key_id: str, digest: bytes, digest_algorithm: str) -> bytes:
        self.calls += 1
        info = self.credential_info(key_id)
        public_key = info.public_key
        hashes_b64 = [base64.b64encode(digest).decode("ascii")]
        hash_oid = HASH_OIDS[digest_algorithm]
        with httpx.Client() as http:
            authorised = self._post(
                http, "credentials/authorize",
                {"credentialID": key_id, "numSignatures": 1, "hashes": hashes_b64,
                 "hashAlgorithmOID": hash_oid, "description": "tinhso: ký tài liệu PDF"},
                credential_id=key_id, authorize=True)
            sad = authorised.get("SAD")
            if not isinstance(sad, str) or not sad:
                raise error("REMOTE_SIGNER_UNAVAILABLE", reason="bad_response", backend=self.name,
                            credential_id=key_id, method="credentials/authorize")
            signed = self._post(
                http, "signatures/signHash",
                {"credentialID": key_id, "SAD": sad, "hashes": hashes_b64,
                 "hashAlgorithmOID": hash_oid,
                 "signAlgo": sign_algorithm_oid(public_key, digest_algorithm)},
                credential_id=key_id)
        try:
            signatures = [_b64decode(s) for s in signed["signatures"]]
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise error("REMOTE_SIGNATURE_INVALID", reason="not_base64", backend=self.name,
                        credential_id=key_id) from None
        if len(signatures) != 1:
            raise error("REMOTE_SIGNATURE_INVALID", reason="count", backend=self.name,
                        credential_id=key_id, count=len(signatures))
        signature = normalise_signature(public_key, signatures[0])
        if not signature_verifies(public_key, signature, digest, digest_algorithm):
            logger.warning("CSC signHash: signature of %s does not verify", key_id)
            raise error("REMOTE_SIGNATURE_INVALID", reason="does_not_verify",
                        backend=self.name, credential_id=key_id, length=len(signature))
        return signature

    def forget(self) -> None:
        with self._lock:
            self._info.clear()
