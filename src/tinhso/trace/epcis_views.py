"""The GS1 EPCIS 2.0 REST binding (the paths are fixed by the standard, so these are plain Django
views outside the /api/v1 ninja router):

* ``OPTIONS|POST /epcis/capture`` — capture an EPCISDocument asynchronously (202 + Location);
  ``GET /epcis/capture`` the caller's jobs, ``GET /epcis/capture/{id}`` one job with its errors;
* ``GET|POST /epcis/events`` — query (an EPCISQueryDocument, keyset pages, ``Link: rel="next"``)
  or capture one event (201, 409 if its eventID exists);
* ``GET /epcis/events/{eventID}`` — one event.

Writes need a bearer token (``Authorization: Bearer tsk_…``) of an account registered as a trace
party; browsers' sessions are not used, so no CSRF token is needed. Reads answer what the
caller may read (docs/decisions/0020: the capturing party, the province, or anyone for parties
that made their events public). Errors are RFC 7807 ``application/problem+json`` with the
EPCIS exception types.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from tinhso.core import ratelimit
from tinhso.trace import errors, selectors, services
from tinhso.trace.models import CaptureJob, CaptureState

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
JSON_TYPES = ("application/json", "application/ld+json")
XML_TYPES = ("application/xml", "text/xml")
VERSION_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0",
                   "GS1-EPCIS-Min": "2.0.0", "GS1-EPCIS-Max": "2.0.0",
                   "GS1-CBV-Min": "2.0.0", "GS1-CBV-Max": "2.0.0",
                   "GS1-EPC-Format": "Never_Translates"}


def _headers(response: HttpResponse) -> HttpResponse:
    for name, value in VERSION_HEADERS.items():
        response[name] = value
    return response


def problem_response(exc: errors.EpcisError, request: HttpRequest) -> HttpResponse:
    response = JsonResponse(exc.problem(request.path), status=exc.status,
                            content_type="application/problem+json",
                            json_dumps_params={"ensure_ascii": False})
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="epcis"'
    return _headers(response)


def _json(body: Any, status: int = 200) -> HttpResponse:
    return _headers(JsonResponse(body, status=status, safe=False,
                                 json_dumps_params={"ensure_ascii": False}))


def _authenticate(request: HttpRequest) -> Any:
    from tinhso.accounts.tokens import user_for_token

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.EpcisError(errors.SECURITY, 401, "TRACE_UNAUTHENTICATED",
                                "Cần mã truy cập (tiêu đề “Authorization: Bearer <mã>”).",
                                "A bearer token is required.")
    limit = ratelimit.token_failure_limit()
    address = ratelimit.client_address(request)
    limit.check(address)
    user = user_for_token(token.strip())
    if user is None:
        limit.fail(address)
        raise errors.EpcisError(errors.SECURITY, 401, "TRACE_UNAUTHENTICATED",
                                "Mã truy cập không hợp lệ.", "Invalid bearer token.")
    return user


def _viewer(request: HttpRequest) -> Any:
    """Who reads: the bearer token's account when one is sent (a bad one is 401), else the
    session's user (anonymous included). What each may read: decision 0020."""
    if "Authorization" in request.headers:
        return _authenticate(request)
    return getattr(request, "user", None)


def _body(request: HttpRequest, *, xml: bool = False) -> Any:
    """The JSON body (or, where ``xml``, an XML EPCISDocument read as its JSON-LD form)."""
    content_type = request.content_type or ""
    is_xml = xml and content_type in XML_TYPES
    if content_type not in JSON_TYPES and not is_xml:
        raise errors.EpcisError(errors.UNSUPPORTED_MEDIA, 415, "TRACE_MEDIA_TYPE",
                                "Chỉ nhận JSON / JSON-LD" + (" / XML." if xml else "."),
                                "Only application/json or application/ld+json"
                                + (" or application/xml." if xml else "."))
    too_large = errors.EpcisError(errors.CAPTURE_LIMIT, 413, "TRACE_CAPTURE_TOO_LARGE",
                                  "Tài liệu quá lớn.", "The document is too large.")
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > services.capture_file_size_limit():
        raise too_large
    try:
        if is_xml:
            from tinhso.trace.xml_binding import document_from_xml

            return document_from_xml(request.body)
        return json.loads(request.body)
    except RequestDataTooBig:
        raise too_large from None
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid([("", "the body is not valid JSON")]) from None


def _guard(view: Any) -> Any:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except errors.EpcisError as exc:
            return problem_response(exc, request)
    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


def _not_allowed(allowed: str) -> HttpResponse:
    response = _headers(HttpResponse(status=405))
    response["Allow"] = allowed
    return response


def _capture_options() -> HttpResponse:
    response = _headers(HttpResponse(status=204))
    response["Allow"] = "OPTIONS, GET, POST"
    response["GS1-EPCIS-Capture-Limit"] = str(services.CAPTURE_LIMIT)
    response["GS1-EPCIS-Capture-File-Size-Limit"] = str(services.capture_file_size_limit())
    response["GS1-Capture-Error-Behaviour"] = "rollback, proceed"
    return response


def job_json(job: CaptureJob) -> dict[str, Any]:
    return {"captureID": str(job.pk), "createdAt": job.created_at.isoformat(),
            "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
            "running": job.state in (CaptureState.QUEUED, CaptureState.RUNNING),
            "success": job.state == CaptureState.DONE and not job.errors,
            "captureErrorBehaviour": "rollback" if job.rollback else "proceed",
            "eventCount": job.event_count, "capturedCount": job.captured,
            "errors": job.errors}


@_guard
def capture(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return _capture_options()
    if request.method == "GET":
        user = _authenticate(request)
        return _json([job_json(j) for j in selectors.capture_jobs_for(user)[:100]])
    if request.method != "POST":
        return _not_allowed("OPTIONS, GET, POST")
    user = _authenticate(request)
    behaviour = request.headers.get("GS1-Capture-Error-Behaviour", "rollback").lower()
    if behaviour not in ("rollback", "proceed"):
        raise errors.invalid([("GS1-Capture-Error-Behaviour", "must be rollback or proceed")])
    document = _body(request, xml=True)
    job = services.capture_job_create(acting_user=user, document=document,
                                      rollback=behaviour == "rollback")
    response = _headers(HttpResponse(status=202))
    response["Location"] = f"/epcis/capture/{job.pk}"
    response["GS1-Capture-Error-Behaviour"] = behaviour
    return response


@_guard
def capture_job(request: HttpRequest, capture_id: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _not_allowed("GET")
    user = _authenticate(request)
    return _json(job_json(selectors.capture_job_for(user, str(capture_id))))


def query_document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": [EPCIS_CONTEXT], "type": "EPCISQueryDocument", "schemaVersion": "2.0",
            "creationDate": timezone.now().isoformat(timespec="milliseconds"),
            "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery",
                                           "resultsBody": {"eventList": events}}}}


@_guard
def events(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        response = _headers(HttpResponse(status=204))
        response["Allow"] = "OPTIONS, GET, POST"
        return response
    if request.method == "POST":
        user = _authenticate(request)
        body = _body(request)
        context = body.get("@context") if isinstance(body, dict) else None
        event = services.event_capture(acting_user=user, event=body, context=context)
        response = _json(event.document, status=201)
        response["Location"] = "/epcis/events/" + _quote(event.event_id)
        return response
    if request.method not in ("GET", "HEAD"):
        return _not_allowed("OPTIONS, GET, POST")
    page = selectors.events_query(request.GET, _viewer(request))
    response = query_response(request, [e.document for e in page.events], "SimpleEventQuery")
    _link_next(request, response, page.next_token)
    return response


def wants_xml(request: HttpRequest) -> bool:
    """``Accept: application/xml`` (or text/xml) before any JSON type: the XML binding."""
    for part in request.headers.get("Accept", "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in XML_TYPES:
            return True
        if media in (*JSON_TYPES, "application/*", "*/*"):
            return False
    return False


def query_response(request: HttpRequest, events: list[dict[str, Any]],
                   query_name: str) -> HttpResponse:
    """An EPCISQueryDocument in JSON-LD, or in XML when the client asks for it."""
    if wants_xml(request):
        from tinhso.trace.xml_binding import query_document_xml

        body = query_document_xml(events, query_name=query_name, creation_date=timezone.now()
                                  .isoformat(timespec="milliseconds"))
        response = _headers(HttpResponse(body, content_type="application/xml; charset=utf-8"))
    else:
        document = query_document(events)
        document["epcisBody"]["queryResults"]["queryName"] = query_name
        response = _json(document)
    response["Vary"] = "Accept"
    return response


def _link_next(request: HttpRequest, response: HttpResponse, token: str | None) -> None:
    if token:
        params = [(k, v) for k in request.GET if k != "nextPageToken"
                  for v in request.GET.getlist(k)]
        params.append(("nextPageToken", token))
        response["Link"] = f'<{request.path}?{urlencode(params)}>; rel="next"'


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@_guard
def event_detail(request: HttpRequest, event_id: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _not_allowed("GET")
    return _json(selectors.event_get(event_id, _viewer(request)).document)
