"""The gateway: ``/lgsp/r1/{serviceId}/{path}`` proxies to the provider (X-Road PR-REST).

A plain Django view, so bodies stream both ways: the request body is read from the WSGI input
in 64 KiB chunks into httpx as it goes, and the provider's answer is passed on chunk by chunk
(``StreamingHttpResponse``); both are hashed on the fly (SHA-256 for the log, SHA-512 for
``X-Road-Request-Hash``). Nothing holds a whole body unless keeping bodies is configured and the
body is under the configured size. The exchange is appended to the message log when the response
has been fully passed on (or broken off).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from tinhso.core.ratelimit import RateLimit, parse_rate
from tinhso.lgsp import access, conf, credentials, errors, identifiers, messagelog, metadata
from tinhso.lgsp.models import Service, Subsystem

CHUNK = 64 * 1024
IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
# PR-REST §4.3 "Filtered headers" (hop-by-hop, and those naming the origin host), plus the
# gateway's own credentials, which are for the gateway and never reach a provider.
FILTERED = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
            "trailer", "transfer-encoding", "upgrade", "host", "user-agent", "server",
            "authorization"}
# Set by the gateway on the way to the provider and back; never taken from the other side.
XROAD_SET = {"x-road-client", "x-road-service", "x-road-id", "x-road-request-id",
             "x-road-request-hash", "x-road-error"}
PATH_SAFE = "/:@!$&'()*+,;=-._~"
HASHED_HEADERS = ("x-road-client", "x-road-id", "x-road-userid", "x-road-issue", "content-type")

_client_lock = threading.Lock()
_http: httpx.Client | None = None


def http_client() -> httpx.Client:
    """One pooled client per process (thread-safe); redirects are passed on, never followed."""
    global _http
    with _client_lock:
        if _http is None:
            _http = httpx.Client(follow_redirects=False,
                                 limits=httpx.Limits(max_connections=200,
                                                     max_keepalive_connections=50))
        return _http


@dataclass
class Exchange:
    """What the log keeps of one exchange, filled in as the request goes."""

    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    x_road_id: str = ""
    client: str = ""
    service: str = ""
    user_id: str = ""
    issue: str = ""
    method: str = ""
    path: str = ""
    status: int = 0
    error_type: str = ""
    started: float = field(default_factory=time.monotonic)
    request_sha256: Any = field(default_factory=hashlib.sha256)
    request_sha512: Any = field(default_factory=hashlib.sha512)
    response_sha256: Any = field(default_factory=hashlib.sha256)
    request_bytes: int = 0
    response_bytes: int = 0
    request_hash: str = ""
    kept_request: bytearray | None = None
    kept_response: bytearray | None = None

    def feed_request(self, chunk: bytes) -> None:
        self.request_sha256.update(chunk)
        self.request_sha512.update(chunk)
        self.request_bytes += len(chunk)
        self.kept_request = _keep(self.kept_request, chunk)

    def feed_response(self, chunk: bytes) -> None:
        self.response_sha256.update(chunk)
        self.response_bytes += len(chunk)
        self.kept_response = _keep(self.kept_response, chunk)

    def log(self) -> None:
        record = {
            "logged_at": timezone.now(), "x_road_id": self.x_road_id,
            "request_id": self.request_id, "client": self.client, "service": self.service,
            "user_id": self.user_id, "issue": self.issue, "method": self.method,
            "path": self.path[:2000], "status": self.status, "error_type": self.error_type,
            "duration_ms": int((time.monotonic() - self.started) * 1000),
            "request_bytes": self.request_bytes, "response_bytes": self.response_bytes,
            "request_sha256": self.request_sha256.hexdigest(),
            "response_sha256": self.response_sha256.hexdigest(),
            "request_hash": self.request_hash,
        }
        keep = conf.keep_bodies() and self.kept_request is not None \
            and self.kept_response is not None
        messagelog.log_append(record=record,
                              request_body=bytes(self.kept_request or b"") if keep else None,
                              response_body=bytes(self.kept_response or b"") if keep else None)


def _keep(buffer: bytearray | None, chunk: bytes) -> bytearray | None:
    """Accumulate a body to keep, giving up (None) once it passes the configured size."""
    if not conf.keep_bodies():
        return None
    if buffer is None:
        return None
    if len(buffer) + len(chunk) > conf.keep_bodies_max_bytes():
        return None
    buffer.extend(chunk)
    return buffer


def request_hash(header_bytes: bytes, body_sha512: bytes | None) -> str:
    """PR-REST §4.3: base64(SHA512(SHA512(headers) + SHA512(body))), or base64(SHA512(headers))
    when there is no body. ``headers`` is ``canonical_headers`` (docs/lgsp.md)."""
    head = hashlib.sha512(header_bytes).digest()
    if body_sha512 is None:
        return base64.b64encode(head).decode()
    return base64.b64encode(hashlib.sha512(head + body_sha512).digest()).decode()


def canonical_headers(method: str, target: str, headers: dict[str, str]) -> bytes:
    """The request line and the hashed headers, lower-case names, CRLF-terminated."""
    lines = [f"{method} {target}"]
    lines += [f"{name}: {headers[name]}" for name in HASHED_HEADERS if headers.get(name)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _incoming_headers(request: HttpRequest) -> dict[str, str]:
    out: dict[str, str] = {}
    cert_header = conf.client_cert_header()
    for key, value in request.META.items():
        if key.startswith("HTTP_") and key != cert_header:
            out[key[5:].replace("_", "-").lower()] = value
    if request.META.get("CONTENT_TYPE"):
        out["content-type"] = request.META["CONTENT_TYPE"]
    if request.META.get("CONTENT_LENGTH"):
        out["content-length"] = request.META["CONTENT_LENGTH"]
    return out


def _rate_limit(client: Subsystem) -> None:
    parsed = parse_rate(client.rate_limit or conf.default_rate())
    if parsed is None:
        return
    wait = RateLimit("lgsp-client", *parsed).hit(client.identifier)
    if wait:
        raise errors.rate_limited(wait)


def _find_service(sid: identifiers.ServiceId) -> Service:
    service = (Service.objects.select_related("subsystem__member").defer("openapi")
               .filter(subsystem__member__instance=sid.client.instance,
                       subsystem__member__member_class=sid.client.member_class,
                       subsystem__member__member_code=sid.client.member_code,
                       subsystem__code=sid.client.subsystem_code,
                       code=sid.service_code).first())
    if service is None:
        raise errors.unknown_service(str(sid))
    return service


def _header_value(request: HttpRequest, name: str, limit: int = 255) -> str:
    value = request.headers.get(name, "") or ""
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise errors.bad_request(f"The {name} header is too long or malformed.",
                                 f"Tiêu đề {name} quá dài hoặc không hợp lệ.")
    return value.strip()


@csrf_exempt
def gateway(request: HttpRequest, rest: str) -> HttpResponseBase:
    ex = Exchange(method=request.method or "GET")
    authenticated = False
    try:
        ex.x_road_id = _header_value(request, "X-Road-Id") or str(uuid.uuid4())
        parts = rest.split("/")
        sid = identifiers.parse_service("/".join(parts[:5])) if len(parts) >= 5 else None
        if sid is None:
            raise errors.bad_request(
                "The request URI must be /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path].",
                "Đường dẫn phải có dạng /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path].")
        ex.service = str(sid)
        if any(p in (".", "..") for p in parts[5:]):
            # PR-REST §4.2: a path must not climb out of the service's base URL (SSRF).
            raise errors.bad_request("Dot segments are not allowed in the service path.",
                                     "Đường dẫn dịch vụ không được chứa đoạn . hoặc ..")
        ex.path = "/" + "/".join(parts[5:]) if len(parts) > 5 else ""
        claimed = identifiers.parse_client(request.headers.get("X-Road-Client", ""))
        if claimed is None:
            raise errors.missing_client()
        ex.client = str(claimed)
        caller = credentials.authenticate(request)
        if caller.identifier != ex.client:
            raise errors.authentication_failed("X-Road-Client does not match the credential")
        authenticated = True
        ex.user_id = _header_value(request, "X-Road-UserId")
        ex.issue = _header_value(request, "X-Road-Issue")
        _rate_limit(caller)
        if sid.service_code in metadata.METASERVICES and len(parts) == 5:
            return _finish(ex, metadata.answer(request, sid, caller), request)
        service = _find_service(sid)
        if not service.is_enabled:
            raise errors.service_disabled(ex.service)
        if not access.is_allowed(caller, service, ex.method, ex.path or "/"):
            raise errors.access_denied(ex.client, ex.service)
        return _forward(request, ex, service)
    except errors.GatewayError as exc:
        ex.status, ex.error_type = exc.status, exc.type
        response = exc.response(ex.request_id)
        response["X-Road-Id"] = ex.x_road_id or ""
        response["X-Road-Request-Id"] = ex.request_id
        if authenticated:
            # Anonymous failures are not logged: nobody may fill the log without a credential.
            ex.log()
        return response


def _finish(ex: Exchange, response: HttpResponse, request: HttpRequest) -> HttpResponse:
    """A response the gateway makes itself (metaservices): hashed, headed and logged."""
    body = response.content
    ex.status = response.status_code
    ex.feed_response(body)
    headers = {"x-road-client": ex.client, "x-road-id": ex.x_road_id,
               "x-road-userid": ex.user_id, "x-road-issue": ex.issue}
    ex.request_hash = request_hash(canonical_headers(ex.method, request.get_full_path(),
                                                     headers), None)
    _xroad_response_headers(response, ex)
    ex.log()
    return response


def _xroad_response_headers(response: HttpResponseBase, ex: Exchange) -> None:
    response["X-Road-Client"] = ex.client
    response["X-Road-Service"] = ex.service
    response["X-Road-Id"] = ex.x_road_id
    response["X-Road-Request-Id"] = ex.request_id
    response["X-Road-Request-Hash"] = ex.request_hash


def _forward(request: HttpRequest, ex: Exchange, service: Service) -> HttpResponseBase:
    incoming = _incoming_headers(request)
    outgoing = {k: v for k, v in incoming.items() if k not in FILTERED and k not in XROAD_SET}
    outgoing.update({"x-road-client": ex.client, "x-road-service": ex.service,
                     "x-road-id": ex.x_road_id, "x-road-request-id": ex.request_id})
    if service.provider_authorization_enc:
        from tinhso.lgsp.services import decrypt_secret

        outgoing["authorization"] = decrypt_secret(bytes(service.provider_authorization_enc))
    if "accept" not in outgoing:
        outgoing["accept"] = "application/json"  # PR-REST §4.3: the default content type
    query = request.META.get("QUERY_STRING", "")
    # The path arrives percent-decoded (WSGI): encode it again for the provider's URL.
    url = service.url + quote(ex.path or "", safe=PATH_SAFE) + (f"?{query}" if query else "")
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if ex.kept_request is None and conf.keep_bodies():
        ex.kept_request, ex.kept_response = bytearray(), bytearray()
    started = {"body": False}

    def body() -> Iterator[bytes]:
        started["body"] = True
        while True:
            chunk = request.read(CHUNK)
            if not chunk:
                return
            ex.feed_request(chunk)
            yield chunk

    timeout = httpx.Timeout(float(service.timeout_seconds), connect=conf.connect_timeout())
    client = http_client()
    attempts = 2 if ex.method in IDEMPOTENT else 1
    upstream = None
    for attempt in range(attempts):
        try:
            built = client.build_request(ex.method, url, headers=outgoing,
                                         content=body() if length else None, timeout=timeout)
            upstream = client.send(built, stream=True)
            break
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # Only a request whose body was never read may go again, and only if idempotent.
            if attempt + 1 < attempts and not started["body"]:
                continue
            raise errors.network_error(type(exc).__name__) from None
        except httpx.TimeoutException:
            raise errors.timeout() from None
        except httpx.TransportError as exc:
            raise errors.network_error(type(exc).__name__) from None
    assert upstream is not None
    # A provider may answer before reading everything: the rest is still hashed (and dropped).
    while length and (chunk := request.read(CHUNK)):
        ex.feed_request(chunk)
    target = request.get_full_path()
    ex.request_hash = request_hash(
        canonical_headers(ex.method, target, {**incoming, **outgoing}),
        ex.request_sha512.digest() if ex.request_bytes else None)
    ex.status = upstream.status_code
    response = StreamingHttpResponse(_relay(upstream, ex), status=upstream.status_code)
    for name, value in upstream.headers.multi_items():
        lower = name.lower()
        if lower in FILTERED or lower in XROAD_SET:
            continue
        if lower == "content-type":
            response["Content-Type"] = value
        else:
            response.headers[name] = value
    if "content-type" not in upstream.headers:
        del response["Content-Type"]
    _xroad_response_headers(response, ex)
    return response


def _relay(upstream: httpx.Response, ex: Exchange) -> Iterator[bytes]:
    """Pass the provider's body on, one chunk behind: the exchange is committed to the log
    before its last bytes leave, so a client never holds a complete answer the log lacks (even
    if the process dies right then)."""
    held: bytes | None = None
    logged = False
    try:
        try:
            for chunk in upstream.iter_raw(CHUNK):
                ex.feed_response(chunk)
                if held is not None:
                    yield held
                held = chunk
        except httpx.TimeoutException:
            ex.error_type = errors.timeout().type
        except httpx.TransportError:
            ex.error_type = errors.network_error("").type
        upstream.close()
        logged = True
        ex.log()
        if held is not None:
            yield held
    finally:
        upstream.close()
        if not logged:  # the client went away mid-stream: still an exchange
            ex.log()
