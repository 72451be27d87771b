"""Receiving official mail from a real IMAP server (Dovecot) started by the test: each message
stored once with its attachments, and ``mail.received`` published once."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from tinhso.core import blobs
from tinhso.mail.models import InboundMessage, Mailbox
from tinhso.outbox.models import OutboxEvent

ADDRESS = "vanthu.sotuphap@binhphuoc.gov.vn"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _message(message_id: str, subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "UBND huyện Đồng Phú <vanthu.dongphu@binhphuoc.gov.vn>"
    message["To"] = ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Sun, 06 Dec 2026 08:00:00 +0700"
    message.set_content("Kính gửi Sở Tư pháp, gửi kèm công văn.")
    message.add_attachment(PDF, maintype="application", subtype="pdf",
                           filename="cong-van-123.pdf")
    return message.as_bytes()


@pytest.fixture
def imap(settings, monkeypatch):
    from tests.mail.servers import imap_server

    with imap_server({ADDRESS: "mat-khau-thu"}) as server:
        settings.TINHSO_MAIL_IMAP_HOST = "127.0.0.1"
        settings.TINHSO_MAIL_IMAP_PORT = server.port
        settings.TINHSO_MAIL_IMAP_SSL = False
        monkeypatch.setenv("TINHSO_TEST_MAILBOX_PASSWORD", "mat-khau-thu")
        yield server


@pytest.mark.django_db
def test_fetch_stores_each_message_once_and_publishes_it(agency, imap):
    box = Mailbox.objects.create(agency=agency, address=ADDRESS,
                                 password_env="TINHSO_TEST_MAILBOX_PASSWORD")
    imap.deliver(ADDRESS, _message("<cv-123@dongphu.binhphuoc.gov.vn>", "Công văn số 123"))
    imap.deliver(ADDRESS, _message("<cv-124@dongphu.binhphuoc.gov.vn>", "Công văn số 124"))
    call_command("mail", "fetch")
    assert InboundMessage.objects.count() == 2
    stored = InboundMessage.objects.get(message_id="<cv-123@dongphu.binhphuoc.gov.vn>")
    assert stored.subject == "Công văn số 123" and stored.agency == agency
    [attachment] = stored.attachments
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert attachment["size"] == len(PDF) and attachment["name"] == "cong-van-123.pdf"
    with blobs.open_verified(attachment["file"], sha256=attachment["sha256"],
                             size=attachment["size"]) as handle:
        assert handle.read() == PDF
    events = OutboxEvent.objects.filter(type="mail.received").order_by("id")
    assert events.count() == 2
    payload = events.first().payload
    assert payload["message_id"] == "<cv-123@dongphu.binhphuoc.gov.vn>"
    assert payload["agency_id"] == agency.pk and "Đồng Phú" in payload["from"]
    assert payload["attachments"] == [{"name": "cong-van-123.pdf",
                                       "sha256": attachment["sha256"], "size": len(PDF)}]
    box.refresh_from_db()
    assert box.last_uid == 2 and box.last_error == ""

    # Nothing new: nothing stored. The cursor lost (or UIDVALIDITY changed): still once.
    call_command("mail", "fetch")
    Mailbox.objects.filter(pk=box.pk).update(last_uid=0)
    call_command("mail", "fetch")
    imap.deliver(ADDRESS, _message("<cv-123@dongphu.binhphuoc.gov.vn>", "Công văn số 123"))
    call_command("mail", "fetch")
    assert InboundMessage.objects.count() == 2
    assert OutboxEvent.objects.filter(type="mail.received").count() == 2


@pytest.mark.django_db
def test_a_wrong_password_is_logged_on_the_mailbox(agency, imap, monkeypatch):
    monkeypatch.setenv("TINHSO_TEST_MAILBOX_PASSWORD", "sai")
    box = Mailbox.objects.create(agency=agency, address=ADDRESS,
                                 password_env="TINHSO_TEST_MAILBOX_PASSWORD")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("mail", "fetch")
    box.refresh_from_db()
    assert box.last_error and not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_the_password_may_come_from_a_secret_file(agency, imap, tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("mat-khau-thu\n", encoding="utf-8")
    monkeypatch.delenv("TINHSO_TEST_MAILBOX_PASSWORD")
    monkeypatch.setenv("TINHSO_TEST_MAILBOX_PASSWORD_FILE", str(secret))
    Mailbox.objects.create(agency=agency, address=ADDRESS,
                           password_env="TINHSO_TEST_MAILBOX_PASSWORD")
    imap.deliver(ADDRESS, _message("<cv-9@x.vn>", "Thư"))
    call_command("mail", "fetch")
    assert InboundMessage.objects.count() == 1
