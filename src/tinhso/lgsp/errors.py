"""X-Road-style errors of the gateway (PR-REST §4.6): a JSON body ``{type, message, detail}``
and the ``X-Road-Error`` header carrying the type.

Types follow X-Road's error codes (``Client.*``: the caller's fault; ``Server.ClientProxy.*``:
the consumer side of the gateway; ``Server.ServerProxy.*``: the provider side). tinhso answers
with the precise HTTP status of each instead of X-Road's blanket 400/500 (documented in
docs/lgsp.md); ``message_vi`` is an extra field beside X-Road's English ``message``.
"""

from __future__ import annotations

import json

from django.http import HttpResponse


class GatewayError(Exception):
    def __init__(self, type_: str, status: int, message: str, message_vi: str,
                 *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.type = type_
        self.status = status
        self.message = message
        self.message_vi = message_vi
        self.retry_after = retry_after

    def response(self, detail: str) -> HttpResponse:
        body = {"type": self.type, "message": self.message, "message_vi": self.message_vi,
                "detail": detail}
        response = HttpResponse(json.dumps(body, ensure_ascii=False), status=self.status,
                                content_type="application/json; charset=utf-8")
        response["X-Road-Error"] = self.type
        if self.retry_after:
            response["Retry-After"] = str(self.retry_after)
        return response


def bad_request(message: str, message_vi: str) -> GatewayError:
    return GatewayError("Client.BadRequest", 400, message, message_vi)


def missing_client() -> GatewayError:
    return GatewayError("Client.MissingHeader", 400,
                        "The X-Road-Client header is missing or malformed "
                        "(INSTANCE/CLASS/MEMBER/SUBSYSTEM).",
                        "Thiếu hoặc sai tiêu đề X-Road-Client (INSTANCE/CLASS/MEMBER/SUBSYSTEM).")


def authentication_failed(reason: str) -> GatewayError:
    return GatewayError("Server.ClientProxy.SslAuthenticationFailed", 401,
                        f"Client authentication failed: {reason}.",
                        "Xác thực hệ thống gọi dịch vụ không thành công.")


def unknown_service(service: str) -> GatewayError:
    return GatewayError("Server.ServerProxy.UnknownService", 404,
                        f"Unknown service: {service}.", "Không tìm thấy dịch vụ.")


def access_denied(client: str, service: str) -> GatewayError:
    return GatewayError("Server.ServerProxy.AccessDenied", 403,
                        f"Request not allowed: {client} may not call {service} this way.",
                        "Hệ thống không được cấp quyền gọi dịch vụ này.")


def service_disabled(service: str) -> GatewayError:
    return GatewayError("Server.ServerProxy.ServiceDisabled", 503,
                        f"Service {service} is disabled.", "Dịch vụ đang tạm dừng.")


def rate_limited(retry_after: int) -> GatewayError:
    return GatewayError("Server.ClientProxy.RateLimited", 429,
                        f"Too many requests; retry in {retry_after} s.",
                        "Hệ thống gọi quá nhiều yêu cầu; vui lòng thử lại sau.",
                        retry_after=retry_after)


def network_error(detail: str) -> GatewayError:
    return GatewayError("Server.ServerProxy.NetworkError", 502,
                        f"Cannot reach the provider: {detail}.",
                        "Không kết nối được tới hệ thống cung cấp dịch vụ.")


def timeout() -> GatewayError:
    return GatewayError("Server.ServerProxy.ServiceFailed.Timeout", 504,
                        "The provider did not answer in time.",
                        "Hệ thống cung cấp dịch vụ không trả lời kịp thời hạn.")
