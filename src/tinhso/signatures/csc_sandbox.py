"""CSC sandbox (local, not a real signing service): the provider's side of CSC API v2.

It plays the outside party the "csc" backend (csc.py) talks to — a mobile operator's SIM
signing or a cloud signing service — for development, demos and tests, speaking the same
protocol over real HTTP. Mounted at ``/sandbox/csc/`` only when ``TINHSO_CSC_SANDBOX`` is on
(default: on with ``TINHSO_DEBUG``, never in production), and every view checks the setting
again, so switching it off closes the sandbox at once.

- Keys live in ``CscSandboxCredential`` rows, encrypted with the PKI passphrase. A new
  credential's certificate is issued by the province's PKI through the normal request/issue
  services (the sandbox sends a CSR made with the key), so signatures are trusted and the
  platform gets the usual ``Certificate`` row (``key_storage="remote"``, backend ``"csc"``).
- The holder's confirmation (phone, OTP) is simulated by the credential's ``behaviour``:
  approve, refuse, or answer with a wrong signature (to rehearse a faulty service).
- The SAD is stateless: a Django-signed token bound to the credential and the authorised
  hashes, valid for ``SAD_SECONDS``. Replaying it can only sign the same hashes again.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import logging
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from django.conf import settings
from django.core import signing as django_signing
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from tinhso.core.errors import Conflict, ValidationFailed
from tinhso.signatures import conf, csc, keystore, pki, services
from tinhso.signatures.models import (
    Certificate,
    CertificateAuthority,
    CertificateKind,
    CscSandboxBehaviour,
    CscSandboxCredential,
    KeyStorage,
)

logger = logging.getLogger(__name__)

NAME = "CSC sandbox (local, not a real signing service)"
SAD_SECONDS = 300
SAD_SALT = "tinhso.signatures.csc_sandbox.sad"
MAX_BODY = 64 * 1024
MAX_SIGNATURES = 100
METHODS = ["info", "credentials/info", "credentials/authorize", "signatures/signHash"]
# Requests answered per method, for tests and the curious operator (per process).
stats: Counter[str] = Counter()


class CscError(Exception):
    """An error answer of the CSC API: HTTP status + ``{"error", "error_description"}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def _invalid(description: str) -> CscError:
    return CscError(400, "invalid_request", description)


# --- provisioning (a service: the sandbox's "enrol a subscriber") -------------------------


@dataclass(frozen=True)
class SandboxCredentialResult:
    credential: CscSandboxCredential
    certificate: Certificate


def _csr(key: pki.PrivateKey, common_name: str) -> str:
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)]))
           .sign(key, pki.signature_hash(key)))
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


@transaction.atomic
def csc_sandbox_credential_create(
    *, acting_user: Any, holder_user: Any, credential_id: str = "",
    algorithm: str = pki.EC_P256, behaviour: str = CscSandboxBehaviour.APPROVE,
    validity_days: int = 730, backend_name: str = "csc",
) -> SandboxCredentialResult:
    """Enrol ``holder_user`` with the sandbox: a new key, certified by the province's CA.

    ``acting_user`` is the CA operator who approves the SIM certificate, as for any other.
    """
    if getattr(settings, "PRODUCTION", False) or not conf.csc_sandbox_enabled():
        raise Conflict("CSC_SANDBOX_DISABLED", "Sandbox ký số từ xa (CSC) đang tắt.",
                       "The CSC sandbox is switched off (TINHSO_CSC_SANDBOX).")
    if algorithm not in pki.ALGORITHMS or behaviour not in CscSandboxBehaviour.values:
        raise ValidationFailed("KEY_ALGORITHM_INVALID", "Thuật toán khóa hoặc hành vi không "
                               "hợp lệ.", "Unknown key algorithm or sandbox behaviour.")
    credential_id = credential_id or f"sandbox-{secrets.token_hex(8)}"
    if CscSandboxCredential.objects.filter(credential_id=credential_id).exists():
        raise Conflict("CSC_CREDENTIAL_EXISTS", "Mã credential đã tồn tại.",
                       "This credential ID already exists.", {"credential_id": credential_id})
    key = pki.generate_key(algorithm)
    name = holder_user.full_name or holder_user.username
    request = services.certificate_request(
        acting_user=acting_user, kind=CertificateKind.SIM, holder_user=holder_user,
        key_algorithm=algorithm, key_storage=KeyStorage.REMOTE, csr_pem=_csr(key, name),
        key_ref={"backend": backend_name, "key_id": credential_id},
        validity_days=validity_days, note=f"{NAME}: {credential_id}",
    )
    certificate = services.certificate_issue(acting_user=acting_user,
                                             request=request).certificate
    chain = [certificate.certificate_pem]
    node: CertificateAuthority | None = certificate.ca
    while node is not None:
        chain.append(node.certificate_pem)
        node = node.parent
    credential = CscSandboxCredential.objects.create(
        credential_id=credential_id, description=f"{name} ({certificate.serial[:16]})",
        key_algorithm=algorithm, key_pem=pki.encrypt_key(key, conf.pki_passphrase()),
        certificates_pem="".join(chain), behaviour=behaviour,
    )
    return SandboxCredentialResult(credential=credential, certificate=certificate)


# --- the service side ----------------------------------------------------------------------


def _credential(body: dict[str, Any]) -> CscSandboxCredential:
    credential_id = body.get("credentialID")
    if not isinstance(credential_id, str) or not credential_id:
        raise _invalid("Missing (or invalid type) string parameter credentialID")
    found = CscSandboxCredential.objects.filter(credential_id=credential_id).first()
    if found is None:
        raise _invalid("Invalid parameter credentialID")
    return found


def _private_key(credential: CscSandboxCredential) -> pki.PrivateKey:
    # Decrypting costs far more than signing: keep it per process, keyed by the stored key.
    digest = hashlib.sha256(credential.key_pem.encode("ascii")).hexdigest()
    return keystore.load_private_key(f"csc-sandbox:{digest}", credential.key_pem)


def _certificates(credential: CscSandboxCredential) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(credential.certificates_pem.encode("ascii"))


def _algorithms(key: pki.PrivateKey) -> list[str]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return [*csc.ECDSA_OIDS.values(), csc.EC_PUBLIC_KEY_OID]
    return [*csc.RSA_OIDS.values(), csc.RSA_ENCRYPTION_OID]


def _hash_list(body: dict[str, Any], hash_name: str) -> list[str]:
    values = body.get("hashes")
    if not isinstance(values, list) or not values or len(values) > MAX_SIGNATURES:
        raise _invalid("Missing (or invalid type) array parameter hashes")
    for value in values:
        try:
            raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != csc.HASH_SIZES[hash_name]:
            raise _invalid("Invalid Base64 hash string parameter")
    return values


def _hash_name(body: dict[str, Any], sign_algo: str | None = None) -> str:
    oid = body.get("hashAlgorithmOID")
    if oid is None and sign_algo is not None:  # derivable from the signature algorithm
        for table in (csc.ECDSA_OIDS, csc.RSA_OIDS):
            oid = next((csc.HASH_OIDS[h] for h, o in table.items() if o == sign_algo), None)
            if oid:
                break
    if not isinstance(oid, str) or oid not in csc.HASH_BY_OID:
        raise _invalid("Invalid parameter hashAlgorithmOID")
    return csc.HASH_BY_OID[oid]


def _generalized_time(value: Any) -> str:
    return str(value.strftime("%Y%m%d%H%M%SZ"))


def credentials_info(body: dict[str, Any]) -> dict[str, Any]:
    credential = _credential(body)
    which = body.get("certificates", "single")
    if which not in ("none", "single", "chain"):
        raise _invalid("Invalid parameter certificates")
    key = _private_key(credential)
    certs = _certificates(credential)
    leaf = certs[0]
    now = pki.utcnow()
    valid = leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc
    chosen = {"none": [], "single": certs[:1], "chain": certs}[which]
    cert: dict[str, Any] = {
        "status": "valid" if valid else "expired",
        "certificates": [base64.b64encode(c.public_bytes(serialization.Encoding.DER))
                         .decode("ascii") for c in chosen],
    }
    if body.get("certInfo") is True:
        cert.update(issuerDN=leaf.issuer.rfc4514_string(), subjectDN=leaf.subject.rfc4514_string(),
                    serialNumber=pki.serial_hex(leaf.serial_number),
                    validFrom=_generalized_time(leaf.not_valid_before_utc),
                    validTo=_generalized_time(leaf.not_valid_after_utc))
    key_info: dict[str, Any] = {"status": "enabled", "algo": _algorithms(key),
                                "len": key.key_size if isinstance(key, rsa.RSAPrivateKey)
                                else key.curve.key_size}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        key_info["curve"] = "1.2.840.10045.3.1.7"  # P-256, the only curve of our PKI
    answer = {"description": credential.description, "key": key_info, "cert": cert,
              "auth": {"mode": "explicit"}, "SCAL": "2", "multisign": MAX_SIGNATURES,
              "lang": "vi-VN"}
    return answer


def credentials_authorize(body: dict[str, Any]) -> dict[str, Any]:
    credential = _credential(body)
    count = body.get("numSignatures")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SIGNATURES:
        raise _invalid("Missing (or invalid type) integer parameter numSignatures")
    hash_name = _hash_name(body)
    values = _hash_list(body, hash_name)  # SCAL2: the SAD is bound to these hashes
    if len(values) != count:
        raise _invalid("Invalid parameter numSignatures: it must equal the number of hashes")
    # Here a real service waits for the holder: a push to the SIM/app, or an OTP.
    if credential.behaviour == CscSandboxBehaviour.REFUSE:
        raise CscError(400, "access_denied", "The holder refused the signing request")
    sad = django_signing.dumps({"c": credential.credential_id, "h": values, "a": hash_name,
                                "n": count}, salt=SAD_SALT)
    return {"SAD": sad, "expiresIn": SAD_SECONDS}


def _check_sad(body: dict[str, Any], credential: CscSandboxCredential, hash_name: str,
               values: list[str]) -> None:
    sad = body.get("SAD")
    if not isinstance(sad, str) or not sad:
        raise _invalid("Missing (or invalid type) string parameter SAD")
    try:
        grant = django_signing.loads(sad, salt=SAD_SALT, max_age=SAD_SECONDS)
    except django_signing.SignatureExpired:
        raise _invalid("SAD expired") from None
    except django_signing.BadSignature:
        raise _invalid("Invalid parameter SAD") from None
    if grant.get("c") != credential.credential_id or grant.get("a") != hash_name:
        raise _invalid("Invalid parameter SAD")
    if len(values) > grant.get("n", 0) or not set(values) <= set(grant.get("h", [])):
        raise _invalid("Invalid parameter hashes: not authorised by the SAD")


def signatures_sign_hash(body: dict[str, Any]) -> dict[str, Any]:
    credential = _credential(body)
    key = _private_key(credential)
    sign_algo = body.get("signAlgo")
    if not isinstance(sign_algo, str) or sign_algo not in _algorithms(key):
        raise _invalid("Invalid parameter signAlgo")
    hash_name = _hash_name(body, sign_algo)
    if sign_algo in (*csc.ECDSA_OIDS.values(), *csc.RSA_OIDS.values()) and (
            sign_algo not in (csc.ECDSA_OIDS[hash_name], csc.RSA_OIDS[hash_name])):
        raise _invalid("Invalid parameter hashAlgorithmOID: it does not match signAlgo")
    values = _hash_list(body, hash_name)
    _check_sad(body, credential, hash_name, values)
    signatures = []
    for value in values:
        digest = base64.b64decode(value)
        if credential.behaviour == CscSandboxBehaviour.BAD_SIGNATURE:
            digest = hashlib.new(hash_name, digest).digest()  # well-formed, but of other data
        prehashed = utils.Prehashed(getattr(hashes, hash_name.upper())())
        if isinstance(key, ec.EllipticCurvePrivateKey):
            signature = key.sign(digest, ec.ECDSA(prehashed))
        else:
            signature = key.sign(digest, padding.PKCS1v15(), prehashed)
        signatures.append(base64.b64encode(signature).decode("ascii"))
    logger.info("%s: %s signed %d hash(es)", NAME, credential.credential_id, len(signatures))
    return {"signatures": signatures}


def service_info(body: dict[str, Any]) -> dict[str, Any]:
    return {"specs": "2.0.0.2", "name": NAME, "logo": "", "region": "VN", "lang": "vi-VN",
            "description": "Môi trường thử nghiệm ký số từ xa, không có giá trị pháp lý.",
            "authType": ["oauth2client"], "methods": METHODS}


# --- HTTP ------------------------------------------------------------------------------------


def _error_response(exc: CscError) -> JsonResponse:
    response = JsonResponse({"error": exc.error, "error_description": exc.description},
                            status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def _endpoint(handler: Callable[[dict[str, Any]], dict[str, Any]], *, public: bool = False
              ) -> Callable[[HttpRequest], JsonResponse]:
    @csrf_exempt
    @functools.wraps(handler)
    def view(request: HttpRequest) -> JsonResponse:
        if not conf.csc_sandbox_enabled() or getattr(settings, "PRODUCTION", False):
            raise Http404("The CSC sandbox is switched off.")
        stats[handler.__name__] += 1
        try:
            if request.method != "POST":
                raise CscError(405, "invalid_request", "Only POST is supported")
            if not public:
                header = request.headers.get("Authorization", "")
                scheme, _, token = header.partition(" ")
                if scheme.lower() != "bearer" or not secrets.compare_digest(
                        token.strip().encode(), conf.csc_sandbox_token().encode()):
                    raise CscError(401, "invalid_token", "Invalid access token")
            if len(request.body) > MAX_BODY:
                raise _invalid("Request body too large")
            try:
                body = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                raise _invalid("The request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise _invalid("The request body must be a JSON object")
            return JsonResponse(handler(body))
        except CscError as exc:
            return _error_response(exc)

    return view


info_view = _endpoint(service_info, public=True)
credentials_info_view = _endpoint(credentials_info)
credentials_authorize_view = _endpoint(credentials_authorize)
sign_hash_view = _endpoint(signatures_sign_hash)
