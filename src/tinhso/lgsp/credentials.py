"""Who is calling the gateway: a bearer token of a client subsystem, or a client TLS certificate
issued by the province's CA (mutual TLS ends at the reverse proxy, which passes the certificate
URL-encoded in a header), checked against the CA's current CRL.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from django.http import HttpRequest
from django.utils import timezone

from tinhso.core import ratelimit
from tinhso.lgsp import conf, errors
from tinhso.lgsp.models import ClientCertificate, ClientToken, Subsystem
from tinhso.lgsp.services import TOKEN_PREFIX, hash_token

_crl_lock = threading.Lock()
_crl_cache: dict[int, tuple[int, x509.CertificateRevocationList]] = {}


def _bearer(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _subsystem_for_token(raw: str) -> Subsystem | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (ClientToken.objects.select_related("subsystem__member")
             .filter(key_hash=hash_token(raw), revoked_at__isnull=True).first())
    if token is None:
        return None
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return None
    return token.subsystem


def _crl(ca: Any) -> x509.CertificateRevocationList:
    """The CA's current CRL, parsed once per CRL number in this process."""
    from tinhso.signatures.services import crl_current

    der = crl_current(ca)
    with _crl_lock:
        cached = _crl_cache.get(ca.pk)
        if cached is not None and cached[0] == ca.crl_number:
            return cached[1]
        crl = x509.load_der_x509_crl(der)
        _crl_cache[ca.pk] = (ca.crl_number, crl)
        return crl


def _subsystem_for_certificate(pem_text: str) -> Subsystem:
    from tinhso.signatures import pki
    from tinhso.signatures.models import CertificateStatus

    try:
        cert = pki.load_cert(pem_text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise errors.authentication_failed("the client certificate is not valid PEM") from None
    binding = (ClientCertificate.objects
               .select_related("subsystem__member", "certificate__ca")
               .filter(certificate__fingerprint=pki.fingerprint(cert)).first())
    if binding is None:
        raise errors.authentication_failed("unknown client certificate")
    row = binding.certificate
    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise errors.authentication_failed("the client certificate is outside its validity")
    from tinhso.signatures.services import ca_cert

    try:
        cert.verify_directly_issued_by(ca_cert(row.ca))
    except (InvalidSignature, ValueError, TypeError):
        raise errors.authentication_failed("the client certificate is not from the CA") from None
    if _crl(row.ca).get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
        raise errors.authentication_failed("the client certificate is revoked")
    if row.status != CertificateStatus.ACTIVE:
        raise errors.authentication_failed("the client certificate is not active")
    return binding.subsystem


def authenticate(request: HttpRequest) -> Subsystem:
    """The calling subsystem, or ``GatewayError`` (401; 429 after too many bad tokens)."""
    limit = ratelimit.token_failure_limit()
    address = ratelimit.client_address(request)
    wait = limit.locked_for(address)
    if wait:
        raise errors.rate_limited(wait)
    header = conf.client_cert_header()
    cert_value = request.META.get(header, "") if header else ""
    subsystem: Subsystem | None = None
    if cert_value:
        subsystem = _subsystem_for_certificate(unquote(cert_value))
    else:
        raw = _bearer(request)
        if raw is None:
            raise errors.authentication_failed("no bearer token or client certificate")
        subsystem = _subsystem_for_token(raw)
        if subsystem is None:
            limit.fail(address)
            raise errors.authentication_failed("unknown, revoked or expired token")
    if not subsystem.is_active:
        raise errors.authentication_failed("the client subsystem is disabled")
    return subsystem
