"""The error contract outside the ninja views: 404, 500, 403 (CSRF), 400 and 413 under /api/.

Django answers these before (or after) any ninja view runs — an unknown path, a body larger
than ``DATA_UPLOAD_MAX_MEMORY_SIZE``, an exception outside the views, a CSRF failure — and its
default pages are HTML. An API client must always get the same JSON shape
``{code, message_vi, message_en, details}`` with a stable code (docs/api.md). Pages outside
/api/ keep the HTML pages they had.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(status: int, code: str, message_vi: str, message_en: str,
              details: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse({"code": code, "message_vi": message_vi, "message_en": message_en,
                         "details": details or {}}, status=status,
                         json_dumps_params={"ensure_ascii": False})


def too_large(max_bytes: int | None = None) -> JsonResponse:
    return api_error(413, "REQUEST_TOO_LARGE", "Nội dung yêu cầu quá lớn.",
                     "The request body is too large.",
                     {"max_bytes": max_bytes} if max_bytes else {})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return api_error(404, "NOT_FOUND", "Không tìm thấy địa chỉ này trong API.",
                         "No such API address.", {"path": request.path})
    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return api_error(500, "SERVER_ERROR",
                         "Hệ thống gặp lỗi, vui lòng thử lại sau. Lỗi đã được ghi lại.",
                         "An internal error occurred; it has been logged. Please retry later.")
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 (SuspiciousOperation). Too large a body is a 413 under /api/."""
    if not is_api(request):
        return defaults.bad_request(request, exception)  # type: ignore[arg-type]
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        from django.conf import settings

        return too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return api_error(400, "BAD_REQUEST", "Yêu cầu không hợp lệ.", "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return api_error(403, "FORBIDDEN", "Bạn không có quyền thực hiện thao tác này.",
                         "You are not allowed to perform this action.")
    return defaults.permission_denied(request, exception)  # type: ignore[arg-type]


CSRF_VI = ("Phiên làm việc trên trình duyệt thiếu mã chống giả mạo (CSRF) hoặc mã đã hết hạn. "
           "Hãy tải lại trang, hoặc dùng mã truy cập (Bearer) cho hệ thống khác.")
CSRF_EN = ("The browser session's CSRF token is missing or stale. Reload the page, or use a "
           "bearer token from another system.")


def csrf_failed() -> JsonResponse:
    return api_error(403, "CSRF_FAILED", CSRF_VI, CSRF_EN)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: JSON under /api/, Django's page elsewhere."""
    if is_api(request):
        return csrf_failed()
    return django_csrf_failure(request, reason=reason)
