"""Receiving official mail: fetch new messages of the agencies' mailboxes over IMAP.

Each mailbox keeps the IMAP UIDVALIDITY and the last UID it stored; a run asks for the UIDs
above it (``UID SEARCH UID n:*``), stores each message once — the unique (mailbox, Message-ID)
constraint decides, so a run that dies after storing and before moving the cursor, two workers
at once, or a message delivered twice, never make a second row — and moves the cursor. A
changed UIDVALIDITY (the server renumbered the folder) starts from UID 1 again; Message-IDs keep
that idempotent. Every new message publishes ``mail.received`` in the same transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import logging
import os
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.core import blobs
from tinhso.core.text import nfc
from tinhso.mail.models import InboundMessage, Mailbox

logger = logging.getLogger(__name__)
BATCH = 200
MAX_MESSAGE_BYTES = 50 * 1024 * 1024


class MailboxUnavailable(Exception):
    pass


@dataclass
class FetchResult:
    mailbox: str
    stored: int = 0
    duplicates: int = 0
    error: str = ""


def mailbox_password(mailbox: Mailbox) -> str:
    """From the environment variable the mailbox names, or the file ``<NAME>_FILE`` names."""
    name = mailbox.password_env
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    value = os.environ.get(name)
    if value is None:
        raise MailboxUnavailable(f"environment variable {name} (or {name}_FILE) is not set")
    return value


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    host = mailbox.imap_host or settings.TINHSO_MAIL_IMAP_HOST
    if not host:
        raise MailboxUnavailable("no IMAP host (TINHSO_MAIL_IMAP_HOST)")
    port = mailbox.imap_port or settings.TINHSO_MAIL_IMAP_PORT
    client: imaplib.IMAP4
    if settings.TINHSO_MAIL_IMAP_SSL:
        client = imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(),
                                   timeout=30)
    else:
        client = imaplib.IMAP4(host, port, timeout=30)
    client.login(mailbox.imap_user or mailbox.address, mailbox_password(mailbox))
    return client


def _ok(response: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = response
    if status != "OK":
        raise MailboxUnavailable(f"{what}: {status} {data!r}"[:300])
    return data


def _uidvalidity(client: imaplib.IMAP4) -> int | None:
    data = client.response("UIDVALIDITY")[1]
    try:
        return int(data[0]) if data and data[0] is not None else None
    except (TypeError, ValueError):
        return None


def mailbox_fetch(*, mailbox: Mailbox) -> FetchResult:
    """Fetch and store this mailbox's new messages (the job and ``tinhso mail fetch`` call it)."""
    result = FetchResult(mailbox=mailbox.address)
    try:
        client = connect(mailbox)
    except (OSError, imaplib.IMAP4.error, MailboxUnavailable) as exc:
        return _failed(mailbox, result, exc)
    try:
        _ok(client.select(f'"{mailbox.folder}"', readonly=True), "SELECT")
        validity = _uidvalidity(client)
        start = mailbox.last_uid + 1
        if validity is not None and mailbox.uidvalidity not in (None, validity):
            start = 1
        data = _ok(client.uid("SEARCH", f"UID {start}:*"), "SEARCH")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) >= start)
        for uid in uids[:BATCH]:
            fetched = _ok(client.uid("FETCH", str(uid), "(RFC822)"), "FETCH")
            raw = next((part[1] for part in fetched if isinstance(part, tuple)), None)
            if raw is None or len(raw) > MAX_MESSAGE_BYTES:
                logger.warning("mailbox %s: uid %s has no body or is too large", mailbox, uid)
            elif message_store(mailbox=mailbox, raw=raw, uid=uid) is None:
                result.duplicates += 1
            else:
                result.stored += 1
            Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=uid, uidvalidity=validity)
            mailbox.last_uid, mailbox.uidvalidity = uid, validity
        Mailbox.objects.filter(pk=mailbox.pk).update(
            uidvalidity=validity, last_fetch_at=timezone.now(), last_error="")
    except (OSError, imaplib.IMAP4.error, MailboxUnavailable) as exc:
        return _failed(mailbox, result, exc)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return result


def _failed(mailbox: Mailbox, result: FetchResult, exc: Exception) -> FetchResult:
    result.error = f"{type(exc).__name__}: {exc}"[:500]
    logger.warning("mailbox %s: %s", mailbox.address, result.error)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_fetch_at=timezone.now(),
                                                 last_error=result.error)
    return result


def _text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return nfc(part.get_content())[:100_000]
    except (LookupError, UnicodeError):
        return ""


def _header(message: EmailMessage, name: str, limit: int) -> str:
    value = message.get(name)
    return nfc(str(value)).replace("\x00", "")[:limit] if value is not None else ""


def message_store(*, mailbox: Mailbox, raw: bytes, uid: int | None = None
                  ) -> InboundMessage | None:
    """Store one received message and its attachments once; None when already stored."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    raw_sha = hashlib.sha256(raw).hexdigest()
    message_id = _header(message, "Message-ID", 250).strip() or f"<sha256.{raw_sha}@tinhso>"
    if InboundMessage.objects.filter(mailbox=mailbox, message_id=message_id).exists():
        return None
    sent_at = None
    try:
        sent_at = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        blob = blobs.put(content, area="mail")
        attachments.append({"name": nfc(part.get_filename() or "tep-dinh-kem")[:200],
                            "content_type": part.get_content_type(), "file": blob.name,
                            "sha256": blob.sha256, "size": blob.size})
    raw_blob = blobs.put(raw, area="mail", suffix=".eml")
    received_at = timezone.now()
    from_address = _header(message, "From", 300)
    subject = _header(message, "Subject", 500)
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                mailbox=mailbox, agency_id=mailbox.agency_id, message_id=message_id, uid=uid,
                from_address=from_address, to=_header(message, "To", 1000), subject=subject,
                body=_text_body(message), sent_at=sent_at, received_at=received_at,
                raw_file=raw_blob.name, raw_sha256=raw_blob.sha256, raw_size=raw_blob.size,
                attachments=attachments)
            _publish(inbound)
    except IntegrityError:
        return None
    return inbound


def _publish(inbound: InboundMessage) -> None:
    from tinhso.outbox.services import event_publish

    event_publish(
        type="mail.received", aggregate_type="mail", aggregate_id=inbound.pk,
        agency_id=inbound.agency_id, actor_id=None, occurred_at=inbound.received_at,
        payload={"message_id": inbound.message_id, "inbound_id": inbound.pk,
                 "agency_id": inbound.agency_id, "mailbox": inbound.mailbox.address,
                 "from": inbound.from_address, "subject": inbound.subject,
                 "received_at": inbound.received_at.isoformat(),
                 "attachments": [{"name": a["name"], "sha256": a["sha256"], "size": a["size"]}
                                 for a in inbound.attachments]})


def fetch_all() -> list[FetchResult]:
    results = []
    for mailbox in Mailbox.objects.filter(is_active=True).order_by("pk"):
        results.append(mailbox_fetch(mailbox=mailbox))
    return results
