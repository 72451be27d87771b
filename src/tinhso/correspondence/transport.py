"""Transport to agencies outside this installation: each pending outgoing package or status
message is POSTed to TINHSO_EDXML_SEND_URL (the LGSP's document exchange service) as
``application/xml`` with the header ``X-EdXML-To`` naming the recipient codes. A 2xx answer
marks it sent; anything else is kept with its error for the next run."""

from __future__ import annotations

import httpx
from django.conf import settings
from django.utils import timezone

from tinhso.correspondence.exchange import message_bytes
from tinhso.correspondence.models import Direction, ExchangeMessage

BATCH = 200


def send_pending_messages() -> int:
    url = getattr(settings, "TINHSO_EDXML_SEND_URL", "")
    if not url:
        return 0
    sent = 0
    pending = (ExchangeMessage.objects.filter(direction=Direction.OUT, sent_at__isnull=True)
               .exclude(to_code="-").order_by("id")[:BATCH])
    for message in pending:
        try:
            response = httpx.post(url, content=message_bytes(message), timeout=getattr(
                settings, "TINHSO_EDXML_SEND_TIMEOUT", 30), headers={
                "Content-Type": "application/xml", "X-EdXML-To": message.to_code,
                "X-EdXML-Kind": message.kind})
        except httpx.HTTPError as exc:
            message.send_error = str(exc)[:300]
            message.save(update_fields=["send_error"])
            continue
        if 200 <= response.status_code < 300:
            message.sent_at, message.send_error = timezone.now(), ""
            sent += 1
        else:
            message.send_error = f"HTTP {response.status_code}"
        message.save(update_fields=["sent_at", "send_error"])
    return sent
