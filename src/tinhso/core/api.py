"""The one NinjaAPI instance under /api/v1, its authentication and its error format."""

from __future__ import annotations

import logging
from typing import Any, cast

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from tinhso.core import ratelimit
from tinhso.core.api_schema import PARAMS_KEY, ErrorOut
from tinhso.core.errors import DomainError
from tinhso.core.http_errors import CSRF_EN, CSRF_VI

logger = logging.getLogger(__name__)


# Declared on every operation (``declare_errors``): whatever the route, a client may meet a
# malformed body (400), missing or bad credentials (401), a role or CSRF refusal (403), a record
# outside its scope (404), a conflict (409), too large a body (413), invalid input (422) or a
# rate limit (429) — all in the one error shape.
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429)
BODY_ERROR_STATUSES = (415,)


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
            return user
        limit.fail(address)
        # A client that sent a token is told the token is wrong (401), not passed on to the
        # browser-session check, whose CSRF refusal (403) would send it looking in vain.
        raise DomainError("UNAUTHENTICATED",
                          "Mã truy cập (token) không hợp lệ, đã hết hạn hoặc đã bị thu hồi.",
                          "The access token is invalid, expired or revoked.", status=401)


class BrowserSessionAuth(SessionAuth):
    """Browser sessions (CSRF-checked for unsafe methods by ninja)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None


AUTH = [BearerTokenAuth(), BrowserSessionAuth(csrf=True)]


class TinhsoAPI(NinjaAPI):
    """Applies each operation's ``PARAMS_KEY`` corrections to its parameters in the schema
    (ninja would append a second parameter of the same name through ``openapi_extra``)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                fixes = operation.pop(PARAMS_KEY, None) if isinstance(operation, dict) else None
                for param in (operation.get("parameters", []) if fixes else []):
                    fix = cast(dict[str, Any], fixes).get(param.get("name"))  # set: we loop
                    if fix:
                        param.update({k: v for k, v in fix.items() if k != "schema"})
                        param["schema"] = {**fix.get("schema", param.get("schema", {}))}
        return schema


api = TinhsoAPI(
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
    if exc.status_code == 403 and "CSRF" in str(exc):  # ninja's session check
        return error_response(request, 403, "CSRF_FAILED", CSRF_VI, CSRF_EN)
    return error_response(request, exc.status_code, f"HTTP_{exc.status_code}", str(exc), str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "NOT_FOUND", "Không tìm thấy.", "Not found.")


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A value the database cannot hold (an id beyond 64 bits on SQLite, a number out of a
    column's range on PostgreSQL). Schemas bound the values they know; this is the net under
    them, so such input is a 422 and never a 500. Logged: each one is a bound to add."""
    logger.warning("value out of range on %s %s: %s", request.method, request.path, exc)
    return error_response(
        request, 422, "VALUE_OUT_OF_RANGE",
        "Giá trị gửi lên nằm ngoài phạm vi cho phép.", "A submitted value is out of range.",
    )


def register_routers() -> None:
    """Each domain app contributes one router; registered here so the order is stable."""
    from tinhso.accounts.api import router as accounts_router
    from tinhso.catalog.api import router as catalog_router
    from tinhso.connectors.api import router as connectors_router
    from tinhso.correspondence.api import router as correspondence_router
    from tinhso.documents.api import router as documents_router
    from tinhso.dossiers.api import router as dossiers_router
    from tinhso.feedback.api import router as feedback_router
    from tinhso.ioc.api import router as ioc_router
    from tinhso.iot.api import router as iot_router
    from tinhso.lgsp.api import router as lgsp_router
    from tinhso.mail.api import router as mail_router
    from tinhso.market.api import router as market_router
    from tinhso.meetings.api import router as meetings_router
    from tinhso.notifications.api import router as notifications_router
    from tinhso.payments.api import router as payments_router
    from tinhso.signatures.api import router as signatures_router
    from tinhso.units.api import router as units_router
    from tinhso.webhooks.api import router as webhooks_router
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
    api.add_router("/notifications", notifications_router)
    api.add_router("/documents", documents_router)
    api.add_router("/iot", iot_router)
    api.add_router("/correspondence", correspondence_router)

    api.add_router("/lgsp", lgsp_router)
    api.add_router("/meetings", meetings_router)
    api.add_router("/mail", mail_router)
    api.add_router("/market", market_router)
    api.add_router("/webhooks", webhooks_router)
    api.add_router("/connectors", connectors_router)


def declare_errors(router: Router) -> None:
    """Add the error schema for ``ERROR_STATUSES`` to every operation of ``router`` (and of the
    routers nested in it) that does not declare them itself, so the OpenAPI schema lists every
    status a client may get."""
    for _child_prefix, child, *_tags in getattr(router, "_routers", []):
        declare_errors(child)
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            statuses: tuple[int, ...] = ERROR_STATUSES
            if set(operation.methods) - {"GET", "HEAD", "OPTIONS"}:
                statuses += BODY_ERROR_STATUSES
            for status in statuses:
                if status not in operation.response_models:
                    operation.response_models[status] = operation._create_response_model(
                        ErrorOut)


register_routers()
for _prefix, _router in api._routers:
    declare_errors(_router)
