"""Every write of the official-mail app.

``mail_send`` is the service other apps call (meeting invitations, the correspondence release):
it records the mail and its attachments in the caller's transaction and hands it to a Huey job
after the commit; ``mail_deliver`` (the job) makes one SMTP attempt and logs it. The address
book is seeded from the agencies and the officials (``address_book_seed``).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.core import blobs
from tinhso.core.errors import DomainError, PermissionDenied, ValidationFailed
from tinhso.core.text import fold, nfc
from tinhso.mail.models import AddressEntry, AddressKind, OutboundMail, OutboundState

logger = logging.getLogger(__name__)

MAX_RECIPIENTS = 200
MAX_SUBJECT = 300
MAX_BODY = 100_000
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
_ADDRESS = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class MailAttachment:
    name: str
    content_type: str
    content: bytes


class RetryLater(Exception):
    """An SMTP attempt failed; the Huey task is retried with backoff."""


def _valid_address(value: str, field: str) -> str:
    cleaned = (value or "").strip()
    if not _ADDRESS.match(cleaned):
        raise ValidationFailed("INVALID_EMAIL", f"Địa chỉ thư không hợp lệ: {cleaned[:100]}",
                               f"Invalid e-mail address: {cleaned[:100]}", {"field": field})
    return cleaned.lower()


def agency_address(agency: Any) -> str | None:
    """The agency's official address (its address-book entry), if it has one."""
    return (AddressEntry.objects.filter(agency=agency, kind=AddressKind.AGENCY, is_active=True)
            .order_by("id").values_list("email", flat=True).first())


@transaction.atomic
def mail_send(*, agency: Any, to: list[str], subject: str, body: str,
              attachments: list[MailAttachment] | None = None, acting_user: Any = None,
              source: str = "") -> OutboundMail:
    """Send official mail from ``agency``'s address; returns the queued ``OutboundMail``.

    Call it inside your own transaction: the mail goes out only if that transaction commits.
    """
    sender = agency_address(agency)
    if sender is None:
        raise DomainError("MAIL_NO_AGENCY_ADDRESS",
                          "Cơ quan chưa có địa chỉ thư công vụ trong danh bạ.",
                          "The agency has no official address in the address book.",
                          {"agency": agency.code}, status=409)
    recipients = list(dict.fromkeys(_valid_address(a, "to") for a in to))
    if not recipients or len(recipients) > MAX_RECIPIENTS:
        raise ValidationFailed("INVALID_RECIPIENTS",
                               f"Cần từ 1 đến {MAX_RECIPIENTS} người nhận.",
                               f"Between 1 and {MAX_RECIPIENTS} recipients are needed.",
                               {"field": "to"})
    subject = nfc(subject or "").strip()
    if not subject or len(subject) > MAX_SUBJECT or "\n" in subject or "\r" in subject:
        raise ValidationFailed("INVALID_FIELD", "Tiêu đề thư không hợp lệ.",
                               "Invalid subject.", {"field": "subject"})
    body = nfc(body or "")
    if len(body) > MAX_BODY:
        raise ValidationFailed("INVALID_FIELD", "Nội dung thư quá dài.", "Body too long.",
                               {"field": "body"})
    stored = []
    for attachment in attachments or []:
        if len(attachment.content) > MAX_ATTACHMENT_BYTES:
            raise ValidationFailed("FILE_TOO_LARGE", "Tệp đính kèm quá lớn.",
                                   "Attachment too large.", {"file": attachment.name})
        blob = blobs.put(attachment.content, area="mail")
        stored.append({"name": nfc(attachment.name)[:200], "content_type":
                       attachment.content_type, "file": blob.name, "sha256": blob.sha256,
                       "size": blob.size})
    domain = sender.rsplit("@", 1)[1]
    mail = OutboundMail.objects.create(
        agency=agency, from_address=sender, to=recipients, subject=subject, body=body,
        attachments=stored, message_id=make_msgid(domain=domain), source=source[:60],
        created_by=acting_user if getattr(acting_user, "pk", None) else None)
    transaction.on_commit(lambda: _enqueue(mail.pk))
    return mail


def _enqueue(mail_id: int) -> None:
    from tinhso.mail.tasks import deliver_mail

    try:
        deliver_mail(mail_id)
    except Exception:  # the queue is down: `tinhso mail retry` or the periodic sweep sends it
        logger.exception("could not enqueue mail %s", mail_id)


def build_message(mail: OutboundMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{mail.agency.name} <{mail.from_address}>"
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(timezone.localtime(mail.created_at))
    message.set_content(mail.body)
    for item in mail.attachments:
        with blobs.open_verified(item["file"], sha256=item["sha256"], size=item["size"]) as fh:
            content = fh.read()
        maintype, _, subtype = item["content_type"].partition("/")
        params: dict[str, Any] = {}
        if item["content_type"] == "text/calendar":
            params = {"params": {"method": "REQUEST"}}
        message.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=item["name"], **params)
    return message


def relays() -> list[tuple[str, int]]:
    """The relays in the order they are tried: TINHSO_MAIL_SMTP_HOST, then each
    ``host[:port]`` of TINHSO_MAIL_SMTP_FALLBACK (same security and credentials)."""
    out = []
    if settings.TINHSO_MAIL_SMTP_HOST:
        out.append((settings.TINHSO_MAIL_SMTP_HOST, settings.TINHSO_MAIL_SMTP_PORT))
    for item in getattr(settings, "TINHSO_MAIL_SMTP_FALLBACK", []):
        host, sep, port = item.strip().rpartition(":")
        if not sep:
            host, port = item.strip(), ""
        out.append((host, int(port) if port else settings.TINHSO_MAIL_SMTP_PORT))
    return out


def smtp_connection(relay: tuple[str, int] | None = None) -> smtplib.SMTP:
    host, port = relay or (relays() or [("", 0)])[0]
    if not host:
        raise RetryLater("TINHSO_MAIL_SMTP_HOST is not set")
    timeout = settings.TINHSO_MAIL_SMTP_TIMEOUT
    security = settings.TINHSO_MAIL_SMTP_SECURITY
    smtp: smtplib.SMTP
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.TINHSO_MAIL_SMTP_USER:
        smtp.login(settings.TINHSO_MAIL_SMTP_USER, settings.TINHSO_MAIL_SMTP_PASSWORD)
    return smtp


class RelaysFailed(Exception):
    """Every relay failed this attempt; ``last`` is the last relay's error."""

    def __init__(self, tried: list[dict[str, str]], last: BaseException) -> None:
        super().__init__(f"{type(last).__name__}: {last}")
        self.tried, self.last = tried, last


def _send_via_relays(message: EmailMessage, mail: OutboundMail
                     ) -> tuple[str, dict[str, Any], list[dict[str, str]]]:
    """Try each relay in turn: one that is down or refuses (connection, greeting, sender,
    recipients or data) hands over to the next. Returns the relay that took the mail, what it
    refused and the errors of those tried before it."""
    tried: list[dict[str, str]] = []
    last: BaseException = RetryLater("TINHSO_MAIL_SMTP_HOST is not set")
    for host, port in relays():
        name = f"{host}:{port}"
        try:
            with smtp_connection((host, port)) as smtp:
                refused = smtp.send_message(message, from_addr=mail.from_address,
                                            to_addrs=mail.to)
        except (OSError, smtplib.SMTPException) as exc:
            tried.append({"relay": name, "error": f"{type(exc).__name__}: {exc}"[:300]})
            last = exc
            continue
        return name, refused, tried
    raise RelaysFailed(tried, last)


def mail_deliver(*, mail_id: int, final: bool = False) -> str:
    """One SMTP attempt of one mail, logged on the row. Raises ``RetryLater`` on failure unless
    it was the last allowed attempt (then the mail is ``failed``)."""
    with transaction.atomic():
        mail = (OutboundMail.objects.select_for_update(skip_locked=True)
                .select_related("agency").filter(pk=mail_id).first())
        if mail is None or mail.state in (OutboundState.SENT, OutboundState.FAILED):
            return mail.state if mail is not None else "missing"
        mail.attempts += 1
        at = timezone.now()
        tried: list[dict[str, str]] = []
        try:
            message = build_message(mail)
            relay, refused, tried = _send_via_relays(message, mail)
        except (RelaysFailed, RetryLater, DomainError) as exc:
            last = exc.last if isinstance(exc, RelaysFailed) else exc
            tried = exc.tried if isinstance(exc, RelaysFailed) else []
            # Recipients refused by the last relay too: no later attempt will do better.
            give_up = final or mail.attempts >= settings.TINHSO_MAIL_MAX_ATTEMPTS or isinstance(
                last, smtplib.SMTPRecipientsRefused)
            mail.state = OutboundState.FAILED if give_up else OutboundState.RETRIED
            mail.log = [*mail.log, {"at": at.isoformat(), "ok": False, "tried": tried,
                                    "error": f"{type(last).__name__}: {last}"[:500]}]
            mail.save(update_fields=["attempts", "state", "log"])
            if give_up:
                return mail.state
        else:
            mail.state, mail.sent_at = OutboundState.SENT, at
            mail.log = [*mail.log, {"at": at.isoformat(), "ok": True, "relay": relay,
                                    "tried": tried, "refused": sorted(refused)}]
            mail.save(update_fields=["attempts", "state", "log", "sent_at"])
            return mail.state
    raise RetryLater(f"mail {mail_id}: attempt {mail.attempts} failed")


def mail_requeue_stale(*, older_than_minutes: int = 15) -> int:
    """Queue again the mail still waiting (queued, or retried but no longer in the job queue:
    the queue was down, Huey gave up before ``TINHSO_MAIL_MAX_ATTEMPTS``, the relay was not
    configured yet). Idempotent: ``mail_deliver`` skips mail already sent or failed."""
    from datetime import timedelta

    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(OutboundMail.objects.filter(
        state__in=[OutboundState.QUEUED, OutboundState.RETRIED], created_at__lt=cutoff)
        .order_by("created_at").values_list("pk", flat=True)[:500])
    stale = [pk for pk in ids if _last_try_before(pk, cutoff)]
    for pk in stale:
        _enqueue(pk)
    return len(stale)


def _last_try_before(mail_id: int, cutoff: Any) -> bool:
    log = OutboundMail.objects.filter(pk=mail_id).values_list("log", flat=True).first() or []
    return not log or str(log[-1].get("at", "")) < cutoff.isoformat()


@transaction.atomic
def mail_retry(*, acting_user: Any, mail: OutboundMail) -> OutboundMail:
    """An official sends a failed mail again (from the delivery log page)."""
    from tinhso.accounts.permissions import can_act_on_agency

    if not can_act_on_agency(acting_user, mail.agency_id):
        raise PermissionDenied()
    mail = OutboundMail.objects.select_for_update().get(pk=mail.pk)
    if mail.state != OutboundState.FAILED:
        raise DomainError("MAIL_NOT_FAILED", "Chỉ gửi lại được thư đã gửi thất bại.",
                          "Only failed mail can be sent again.", {"state": mail.state},
                          status=409)
    mail.state, mail.attempts = OutboundState.QUEUED, 0
    mail.save(update_fields=["state", "attempts"])
    transaction.on_commit(lambda: _enqueue(mail.pk))
    return mail


# --- the address book -----------------------------------------------------------------------

def _search_text(*parts: str) -> str:
    return fold(" ".join(p for p in parts if p))[:600]


def local_part(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text).replace(" ", ""))[:40] or "coquan"


@transaction.atomic
def address_entry_save(*, acting_user: Any, agency: Any, kind: str, name: str, email: str,
                       position: str = "", phone: str = "", user: Any = None) -> AddressEntry:
    if acting_user is not None and not (
            getattr(acting_user, "is_superuser", False)
            or getattr(acting_user, "is_province_admin", False)
            or (getattr(acting_user, "is_official", False)
                and acting_user.agency_id == getattr(agency, "pk", None))):
        raise PermissionDenied()
    if kind not in AddressKind.values:
        raise ValidationFailed("INVALID_FIELD", "Loại địa chỉ không hợp lệ.", "Invalid kind.",
                               {"field": "kind"})
    name = nfc(name or "").strip()[:200]
    if not name:
        raise ValidationFailed("INVALID_FIELD", "Tên không được để trống.", "Name required.",
                               {"field": "name"})
    email = _valid_address(email, "email")
    entry, _ = AddressEntry.objects.update_or_create(email=email, defaults={
        "kind": kind, "agency": agency, "name": name, "position": nfc(position)[:200],
        "phone": phone[:20], "user": user, "is_active": True,
        "search_text": _search_text(name, position, email, agency.name)})
    return entry


def address_book_seed() -> int:
    """Official addresses of every active agency and its officials (``@TINHSO_MAIL_DOMAIN``);
    idempotent: an address already in the book is left as it is."""
    from tinhso.accounts.models import AccountKind, User
    from tinhso.units.models import Agency

    domain = settings.TINHSO_MAIL_DOMAIN
    made = 0
    taken = set(AddressEntry.objects.values_list("email", flat=True))
    for agency in Agency.objects.filter(is_active=True).order_by("code"):
        base = local_part(agency.short_name or agency.name)
        email = f"{base}@{domain}"
        if email in taken:
            email = f"{base}.{local_part(agency.code)}@{domain}"
        if email in taken or AddressEntry.objects.filter(
                agency=agency, kind=AddressKind.AGENCY).exists():
            continue
        address_entry_save(acting_user=None, agency=agency, kind=AddressKind.AGENCY,
                           name=agency.name, email=email, phone=agency.phone)
        taken.add(email)
        made += 1
    officials = User.objects.filter(kind=AccountKind.OFFICIAL, is_active=True,
                                     agency__isnull=False).select_related("agency")
    for official in officials.order_by("pk"):
        email = f"{local_part(official.username)}@{domain}"
        if email in taken:
            continue
        address_entry_save(acting_user=None, agency=official.agency, kind=AddressKind.OFFICIAL,
                           name=official.full_name or official.username, email=email,
                           user=official)
        taken.add(email)
        made += 1
    return made
