"""The channels a delivery goes out on: e-mail (Django's mail) and SMS (a gateway over HTTP).

``SmsGateway`` is the interface; ``HttpSmsGateway`` speaks the small JSON protocol of the local
SMS sandbox (``tinhso sms-sandbox``). A provider with another protocol (a brandname gateway of a
Vietnamese carrier) is one more class with the same ``send`` method.
"""

from __future__ import annotations

import re
from typing import Protocol

import httpx
from django.conf import settings
from django.core.mail import send_mail

from tinhso.core.observability import outgoing_headers
from tinhso.notifications import conf


class DeliveryError(Exception):
    """An attempt failed; ``reason`` is what the delivery log shows."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent  # retrying cannot help (bad number, rejected text)


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str) -> str:
        """Send one SMS; return the gateway's message id or raise DeliveryError."""
        ...


_PHONE = re.compile(r"^(?:\+?84|0)(\d{9,10})$")


def normalise_phone(raw: str) -> str | None:
    """``0912 345 678`` / ``+84912345678`` → ``84912345678``; None when not a VN number."""
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    match = _PHONE.match(digits)
    return f"84{match.group(1)}" if match else None


class HttpSmsGateway:
    def __init__(self, *, url: str, token: str, sender: str, timeout: float,
                 client: httpx.Client | None = None) -> None:
        self.url = url
        self.token = token
        self.sender = sender
        self.timeout = timeout
        self.client = client

    def send(self, *, to: str, text: str) -> str:
        request = {"to": to, "text": text, "sender": self.sender}
        headers = {"Authorization": f"Bearer {self.token}", **outgoing_headers()}
        try:
            if self.client is not None:
                response = self.client.post("/api/sms", json=request, headers=headers)
            else:
                response = httpx.post(f"{self.url}/api/sms", json=request, headers=headers,
                                      timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"SMS gateway unreachable: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 200:
            return str(response.json().get("id", ""))
        detail = response.text[:300]
        # 4xx (other than 429) means this message will never be accepted as it is.
        permanent = 400 <= response.status_code < 500 and response.status_code != 429
        raise DeliveryError(f"SMS gateway HTTP {response.status_code}: {detail}",
                            permanent=permanent)


def sms_gateway() -> SmsGateway | None:
    """The configured gateway, or None when SMS is off (``TINHSO_SMS_URL`` unset)."""
    url = conf.sms_url()
    if not url:
        return None
    return HttpSmsGateway(url=url, token=conf.sms_token(), sender=conf.sms_sender(),
                          timeout=conf.sms_timeout())


def send_email(*, to: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    except Exception as exc:  # SMTP errors come in many classes (smtplib, socket, ssl)
        raise DeliveryError(f"e-mail not sent: {type(exc).__name__}: {exc}") from exc
