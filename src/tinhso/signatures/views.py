"""Public endpoints of the PKI under /chu-ky-so/: CRL, CA certificates, OCSP, TSA, verification.

These are plain Django views, not ninja: their bodies are DER (RFC 5280/6960/3161 media types),
and relying parties call them without authentication or CSRF tokens.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from tinhso.core.errors import DomainError
from tinhso.signatures import conf, pki, selectors, services, tsa

logger = logging.getLogger(__name__)

MAX_PROTOCOL_BODY = 64 * 1024  # OCSP and time-stamp requests are a few hundred bytes


@require_GET
def crl(request: HttpRequest, name: str) -> HttpResponse:
    ca = selectors.ca_by_name(name)
    if ca is None:
        raise Http404("No such CA")
    response = HttpResponse(services.crl_current(ca), content_type="application/pkix-crl")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def ca_certificate(request: HttpRequest, name: str) -> HttpResponse:
    ca = selectors.ca_by_name(name)
    if ca is None:
        raise Http404("No such CA")
    der = pki.load_cert(ca.certificate_pem).public_bytes(Encoding.DER)
    return HttpResponse(der, content_type="application/pkix-cert")


def _ocsp_lookup(issuer: pki.OcspIssuer, serial: int) -> pki.OcspStatus:
    from tinhso.signatures.models import CertificateStatus

    ca = selectors.ca_by_fingerprint(pki.fingerprint(issuer.cert))
    cert = selectors.certificate_status_row(ca, pki.serial_hex(serial)) if ca else None
    if cert is None:
        return pki.OcspStatus(ocsp.OCSPCertStatus.UNKNOWN)
    if cert.status in (CertificateStatus.REVOKED, CertificateStatus.SUSPENDED):
        at = cert.revoked_at or cert.suspended_at
        return pki.OcspStatus(ocsp.OCSPCertStatus.REVOKED, at, services.reason_flag(cert))
    return pki.OcspStatus(ocsp.OCSPCertStatus.GOOD)


def ocsp_response_for(request_der: bytes) -> bytes:
    issuers = [pki.OcspIssuer(services.ca_cert(ca), services.ca_key(ca))
               for ca in selectors.ca_all()]
    return pki.build_ocsp_response(request_der, issuers=issuers, lookup=_ocsp_lookup)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def ocsp_responder(request: HttpRequest, encoded: str = "") -> HttpResponse:
    """RFC 6960: POST the DER request, or GET /ocsp/<base64 of the DER request>."""
    if request.method == "POST":
        body = request.body[:MAX_PROTOCOL_BODY]
    else:
        try:
            body = base64.b64decode(encoded.replace("-", "+").replace("_", "/"), validate=False)
        except (binascii.Error, ValueError):
            body = b""
    response = HttpResponse(ocsp_response_for(body), content_type="application/ocsp-response")
    response["Cache-Control"] = "no-cache"
    return response


@csrf_exempt
@require_http_methods(["POST"])
def tsa_endpoint(request: HttpRequest) -> HttpResponse:
    """RFC 3161 over HTTP: application/timestamp-query in, application/timestamp-reply out."""
    if request.content_type != "application/timestamp-query":
        return HttpResponse("Content-Type must be application/timestamp-query", status=415,
                            content_type="text/plain; charset=utf-8")
    try:
        authority = tsa.authority()
    except DomainError as exc:
        return HttpResponse(exc.message_en, status=503, content_type="text/plain; charset=utf-8")
    reply = authority.respond_der(request.body[:MAX_PROTOCOL_BODY])
    return HttpResponse(reply, content_type="application/timestamp-reply")


def verify_page(request: HttpRequest) -> HttpResponse:
    """Public upload form; the result is computed by the same code as the API."""
    context: dict[str, Any] = {"result": None, "error": None}
    if request.method == "POST":
        from tinhso.core import ratelimit
        from tinhso.signatures.verify import verify_known_or_full

        try:
            ratelimit.check_rate(ratelimit.verify_rate(), ratelimit.client_address(request))
        except ratelimit.RateLimited as exc:
            context["error"] = exc.message_vi
            response = render(request, "signatures/verify.html", context, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = "Vui lòng chọn tệp PDF cần kiểm tra."
        elif upload.size is not None and upload.size > conf.max_upload_bytes():
            context["error"] = "Tệp quá lớn."
        else:
            try:
                result = verify_known_or_full(upload.read()).as_dict()
                for sig in result["signatures"]:
                    # Shown as local time on the page, never the raw ISO/UTC string.
                    raw = sig.get("signed_at")
                    sig["signed_local"] = dt.datetime.fromisoformat(raw) if raw else None
                context["result"] = result
            except DomainError as exc:
                context["error"] = exc.message_vi
    return render(request, "signatures/verify.html", context,
                  status=422 if context["error"] else 200)


def document_page(request: HttpRequest, uuid: str) -> HttpResponse:
    """Target of the QR code on every document: what it is and whether it still holds.

    Shows the dossier code, document kind, issuing agency, signers and signing time; never
    the applicant's name or ID (anyone holding the paper can open this page).
    """
    info = selectors.public_document_info(uuid)
    if info is None:
        raise Http404("No such document")
    return render(request, "signatures/document.html", {"doc": info})

