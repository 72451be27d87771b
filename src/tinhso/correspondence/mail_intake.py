"""Incoming documents from the agency's official mailbox.

The mail app stores each message fetched by IMAP once and publishes ``mail.received``; this
outbox consumer ("correspondence-mail") registers it as an incoming document (source
``email``) with the message's PDF attachments, byte for byte. An official document travels as
a (signed) PDF, so a message without a PDF attachment is not a document: it stays in the
mailbox's list for a clerk to read, and nothing is registered. The registration is keyed on the
message (``external_ref = mail:<id>``): a redelivered event registers nothing twice.
"""

from __future__ import annotations

import email.utils
from typing import Any

from tinhso.core import blobs

NAME = "correspondence-mail"
TYPES = {"mail.received"}
NO_SUBJECT = "(Thư công vụ không có tiêu đề)"


def _is_pdf(attachment: dict[str, Any]) -> bool:
    return (attachment.get("content_type") == "application/pdf"
            or str(attachment.get("name", "")).lower().endswith(".pdf"))


def _read(attachment: dict[str, Any]) -> bytes:
    with blobs.open_verified(attachment["file"], sha256=attachment["sha256"],
                             size=attachment["size"]) as handle:
        return handle.read()


def handle_event(event: Any) -> int:
    """Register the message as an incoming document; 1 when registered, 0 otherwise."""
    from tinhso.correspondence.services_in import incoming_register
    from tinhso.mail.models import InboundMessage

    payload = event.payload or {}
    inbound = (InboundMessage.objects.select_related("agency")
               .filter(pk=payload.get("inbound_id") or 0).first())
    if inbound is None:
        return 0
    pdfs = [a for a in inbound.attachments if _is_pdf(a)]
    if not pdfs:
        return 0
    name, address = email.utils.parseaddr(inbound.from_address)
    incoming_register(
        acting_user=None, agency=inbound.agency, source="email",
        sender_name=(name or address or inbound.from_address or "?")[:200],
        subject=inbound.subject or NO_SUBJECT,
        attachments=[(a["name"], _read(a)) for a in pdfs],
        content_types=["application/pdf"] * len(pdfs),
        external_ref=f"mail:{inbound.pk}", received_at=inbound.received_at)
    return 1
