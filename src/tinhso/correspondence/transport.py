"""Transport to agencies outside this installation: each pending outgoing package or status
message is POSTed to TINHSO_EDXML_SEND_URL as ``application/xml`` with the header
``X-EdXML-To`` naming the recipient's code (``{to}`` in the URL is replaced by it, so one
setting can address each receiving member's ``edxml`` service behind the LGSP gateway). With
TINHSO_EDXML_SEND_CLIENT set, the request carries the gateway's credentials (``X-Road-Client``
and the bearer token read from TINHSO_EDXML_SEND_TOKEN_FILE). A 2xx answer marks the message
sent (the receiver registers a package once, so a retry after a lost answer is harmless);
anything else is kept with its error for the next run."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
from django.conf import settings
from django.utils import timezone

from tinhso.correspondence.exchange import message_bytes
from tinhso.correspondence.models import Direction, ExchangeMessage

BATCH = 200


def _gateway_headers() -> dict[str, str]:
    client = getattr(settings, "TINHSO_EDXML_SEND_CLIENT", "")
    if not client:
        return {}
    headers = {"X-Road-Client": client}
    token_file = getattr(settings, "TINHSO_EDXML_SEND_TOKEN_FILE", "")
    if token_file:
        headers["Authorization"] = f"Bearer {Path(token_file).read_text().strip()}"
    return headers


def send_pending_messages() -> int:
    url = getattr(settings, "TINHSO_EDXML_SEND_URL", "")
    if not url:
        return 0
    sent = 0
    pending = (ExchangeMessage.objects.filter(direction=Direction.OUT, sent_at__isnull=True)
               .exclude(to_code="-").order_by("id")[:BATCH])
    auth = _gateway_headers()
    with httpx.Client(timeout=getattr(settings, "TINHSO_EDXML_SEND_TIMEOUT", 30)) as http:
        for message in pending:
            target = url.replace("{to}", quote(message.to_code, safe=""))
            try:
                response = http.post(target, content=message_bytes(message), headers={
                    **auth, "Content-Type": "application/xml", "X-EdXML-To": message.to_code,
                    "X-EdXML-Kind": message.kind})
            except httpx.HTTPError as exc:
                message.send_error = str(exc)[:300]
                message.save(update_fields=["send_error"])
                continue
            if 200 <= response.status_code < 300:
                message.sent_at, message.send_error = timezone.now(), ""
                sent += 1
            else:
                code = response.headers.get("x-road-error", "") or _error_code(response)
                message.send_error = f"HTTP {response.status_code} {code}".strip()[:300]
            message.save(update_fields=["sent_at", "send_error"])
    return sent


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""
