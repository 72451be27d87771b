"""The one NinjaAPI instance under /api/v1, its authentication and its error format."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from tinhso.core import ratelimit
from tinhso.core.errors import DomainError


class BearerTokenAuth(HttpBearer):
    """API clients: ``Authorization: Bearer <token>``; tokens are stored as SHA-256 only."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from tinhso.accounts.tokens import user_for_token

        # Guessing tokens: after too many bad ones an address is refused (429) for a while,
        # even with a good token, so the lock cannot be used to confirm a guess.
        limit = ratelimit.token_failure_limit()
        address = ratelimit.client_address(request)
        limit.check(address)
        user = user_for_token(token)
        if user is not None:
            request.user = user
        else:
            limit.fail(address)
        return user


class BrowserSessionAuth(SessionAuth):
    """Browser sessions (CSRF-checked for unsafe methods by ninja)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None


AUTH = [BearerTokenAuth(), BrowserSessionAuth(csrf=True)]

api = NinjaAPI(
    title="tinhso API",
    version="1",
    description=(
        "API của nền tảng tỉnh số: thủ tục hành chính, hồ sơ một cửa, lịch làm việc.\n\n"
        "Errors are JSON `{code, message_vi, message_en, details}`."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=AUTH,
)


def error_response(
    request: HttpRequest, status: int, code: str, vi: str, en: str, details: Any = None
) -> HttpResponse:
    return api.create_response(
        request,
        {"code": code, "message_vi": vi, "message_en": en, "details": details or {}},
        status=status,
    )


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, ratelimit.RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": list(err.get("loc", [])), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors
    ]
    return error_response(
        request, 422, "VALIDATION_ERROR",
        "Dữ liệu gửi lên không hợp lệ.", "The submitted data is invalid.", {"errors": errors},
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "UNAUTHENTICATED",
        "Bạn cần đăng nhập hoặc cung cấp mã truy cập hợp lệ.",
        "Sign in or provide a valid access token.",
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and "parse request body" in str(exc):
        return error_response(
            request, 400, "MALFORMED_JSON",
            "Nội dung yêu cầu không phải JSON hợp lệ.", "The request body is not valid JSON.",
        )
    return error_response(request, exc.status_code, f"HTTP_{exc.status_code}", str(exc), str(exc))


def register_routers() -> None:
    """Each domain app contributes one router; registered here so the order is stable."""
    from tinhso.accounts.api import router as accounts_router
    from tinhso.catalog.api import router as catalog_router
    from tinhso.dossiers.api import router as dossiers_router
    from tinhso.feedback.api import router as feedback_router
    from tinhso.ioc.api import router as ioc_router
    from tinhso.lgsp.api import router as lgsp_router
    from tinhso.payments.api import router as payments_router
    from tinhso.signatures.api import router as signatures_router
    from tinhso.units.api import router as units_router
    from tinhso.workdays.api import router as workdays_router

    api.add_router("/units", units_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/procedures", catalog_router)
    api.add_router("/workdays", workdays_router)
    api.add_router("/dossiers", dossiers_router)
    api.add_router("/payments", payments_router)
    api.add_router("/signatures", signatures_router)
    api.add_router("/ioc", ioc_router)
    api.add_router("/feedback", feedback_router)
    api.add_router("/lgsp", lgsp_router)


register_routers()
