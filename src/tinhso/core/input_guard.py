"""One gate for characters no field may hold, and for request bodies too large to read.

PostgreSQL text cannot hold NUL (U+0000): a NUL in any string that reaches a query — a search
term, a tracking code, a form field — made the database driver raise, and the user got a 500.
Lone UTF-16 surrogates (``"\\ud800"`` in JSON) cannot be encoded for the database either. Rather
than guard each of the hundred places a string reaches the database, this middleware refuses
such a request before any view runs: the path, the query string, form fields (not file
contents: a PDF holds NUL bytes legitimately) and JSON bodies, including JSON held in a form
field (the dossier submission's ``payload``). Under /api/ the answer is a 422 with code
``NUL_CHARACTER`` or ``INVALID_CHARACTER``; elsewhere a plain 400 page. Both databases get the
same answer, so behaviour does not depend on the deployment.

A declared ``Content-Length`` over ``TINHSO_MAX_REQUEST_BYTES`` is refused with 413 before the
body is read (Django's own cap, ``DATA_UPLOAD_MAX_MEMORY_SIZE``, covers non-file data and is
turned into a 413 by ``core.http_errors.bad_request``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from tinhso.core.http_errors import api_error, is_api, too_large

# JSON escapes that decode to NUL or to a lone surrogate; raw NUL bytes are caught directly.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)
_SUSPECT_ESCAPE_BYTES = re.compile(rb"\\u(?:0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)
_JSON_TYPES = ("application/json", "text/plain", "")


def bad_character(text: str) -> str | None:
    """``NUL_CHARACTER`` or ``INVALID_CHARACTER`` when ``text`` cannot be stored, else None."""
    if "\x00" in text:
        return "NUL_CHARACTER"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "INVALID_CHARACTER"
    return None


def _walk(value: Any) -> str | None:
    if isinstance(value, str):
        return bad_character(value)
    if isinstance(value, dict):
        return _first(item for pair in value.items() for item in pair)
    if isinstance(value, list):
        return _first(value)
    return None


def _first(values: Iterable[Any]) -> str | None:
    for value in values:
        found = _walk(value)
        if found:
            return found
    return None


def _json_text(text: str) -> str | None:
    """A form field or body that may be JSON: look inside when it escapes a bad character."""
    found = bad_character(text)
    if found or not _SUSPECT_ESCAPE.search(text):
        return found
    try:
        return _walk(json.loads(text))
    except ValueError:
        return None  # not JSON: the view reports it as it does today


def _json_body(raw: bytes) -> str | None:
    if b"\x00" in raw:
        return "NUL_CHARACTER"
    if not _SUSPECT_ESCAPE_BYTES.search(raw):
        return None
    try:
        return _walk(json.loads(raw))
    except (ValueError, UnicodeDecodeError):
        return None


def find_bad_input(request: HttpRequest) -> tuple[str, str] | None:
    """(code, where) of the first bad character in the request, or None."""
    found = bad_character(request.path)
    if found:
        return found, "path"
    for key, values in request.GET.lists():
        found = bad_character(key) or _first(values)
        if found:
            return found, "query"
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = request.content_type or ""
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for key, values in request.POST.lists():
            found = bad_character(key) or next(
                (f for f in (_json_text(v) for v in values) if f), None)
            if found:
                return found, "form"
        for upload in request.FILES.values():
            # An empty list is a possible value of a MultiValueDict key (no file).
            found = bad_character(getattr(upload, "name", None) or "")
            if found:
                return found, "file name"
        return None
    if content_type in _JSON_TYPES or content_type.endswith("+json"):
        found = _json_body(request.body)
        if found:
            return found, "body"
    return None


MESSAGES = {
    "NUL_CHARACTER": ("Dữ liệu gửi lên chứa ký tự NUL (mã 0), không được chấp nhận.",
                      "The request contains a NUL character (code 0), which is not accepted."),
    "INVALID_CHARACTER": ("Dữ liệu gửi lên chứa ký tự Unicode không hợp lệ.",
                          "The request contains an invalid Unicode character."),
}


def max_request_bytes() -> int:
    return int(getattr(settings, "TINHSO_MAX_REQUEST_BYTES", 0) or 0)


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = max_request_bytes()
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if limit and declared > limit:
            if is_api(request):
                return too_large(limit)
            return HttpResponse("Nội dung yêu cầu quá lớn.", status=413,
                                content_type="text/plain; charset=utf-8")
        bad = find_bad_input(request)
        if bad is not None:
            code, where = bad
            vi, en = MESSAGES[code]
            if is_api(request):
                return api_error(422, code, vi, en, {"where": where})
            return HttpResponseBadRequest(vi, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
