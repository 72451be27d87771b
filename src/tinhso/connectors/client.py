"""Calls to national systems THROUGH the LGSP gateway (X-Road REST), never directly.

``{TINHSO_LGSP_GATEWAY_URL}/r1/{service id}{path}`` with ``X-Road-Client:
{TINHSO_LGSP_CLIENT}`` and the client's bearer token (``TINHSO_LGSP_CLIENT_TOKEN``): every
call is access-checked, rate-limited and written to the verifiable message log like any other
member's. ``X-Road-UserId`` carries the officer who asked (population lookups).
"""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

# Tests put the Django application here (httpx.WSGITransport): the real gateway code runs in
# the test's thread and database transaction, and forwards over real HTTP to the sandbox.
transport: httpx.BaseTransport | None = None


class ConnectorError(RuntimeError):
    """The remote side (or the gateway) did not answer as expected."""


class GatewayClient:
    def __init__(self, service_id: str, *, timeout: float = 15.0) -> None:
        if not service_id:
            raise ConnectorError("the connector's LGSP service is not configured")
        self.service_id = service_id
        self.timeout = timeout

    def request(self, method: str, path: str, *, json: Any = None,
                user_id: str = "") -> httpx.Response:
        base = str(getattr(settings, "TINHSO_LGSP_GATEWAY_URL", "")).rstrip("/")
        headers = {"X-Road-Client": str(getattr(settings, "TINHSO_LGSP_CLIENT", "")),
                   "Authorization": f"Bearer {getattr(settings, 'TINHSO_LGSP_CLIENT_TOKEN', '')}",
                   "Accept": "application/json"}
        if user_id:
            headers["X-Road-UserId"] = user_id
        try:
            with httpx.Client(transport=transport, timeout=self.timeout) as http:
                return http.request(method, f"{base}/r1/{self.service_id}{path}", json=json,
                                    headers=headers)
        except httpx.HTTPError as exc:
            raise ConnectorError(f"{type(exc).__name__}: {exc}") from exc
