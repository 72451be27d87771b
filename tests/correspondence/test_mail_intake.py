"""Official mail becomes incoming documents: a message fetched from the agency's mailbox by a
real IMAP server (Dovecot) with a PDF attachment is registered once, source "email", with the
attachment byte for byte; a message without a PDF stays mail."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from tests.mail.test_imap import ADDRESS, PDF, _message, imap  # noqa: F401  (fixture)
from tinhso.correspondence.models import IncomingDocument
from tinhso.mail.models import Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _plain(message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Người dân <dan@example.vn>"
    message["To"] = ADDRESS
    message["Subject"] = "Hỏi thủ tục"
    message["Message-ID"] = message_id
    message.set_content("Xin hỏi thủ tục chứng thực.")
    return message.as_bytes()


def test_mail_with_a_pdf_is_registered_once_as_an_incoming_document(agency, imap, drain):  # noqa: F811
    Mailbox.objects.create(agency=agency, address=ADDRESS,
                           password_env="TINHSO_TEST_MAILBOX_PASSWORD")
    imap.deliver(ADDRESS, _message("<cv-200@dongphu.binhphuoc.gov.vn>", "Công văn số 200"))
    imap.deliver(ADDRESS, _plain("<hoi-1@example.vn>"))
    call_command("mail", "fetch")
    drain()
    doc = IncomingDocument.objects.get()
    assert (doc.agency, doc.source, doc.subject) == (agency, "email", "Công văn số 200")
    assert doc.sender_name == "UBND huyện Đồng Phú" and doc.incoming_number == 1
    [stored] = doc.files.all()
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest() and stored.name == "cong-van-123.pdf"
    call_command("mail", "fetch")  # nothing new on the server
    drain()
    from tinhso.correspondence import mail_intake
    from tinhso.outbox.models import OutboxEvent

    event = OutboxEvent.objects.filter(type="mail.received",
                                       payload__subject="Công văn số 200").get()
    assert mail_intake.handle_event(event) == 1  # a redelivery registers nothing new
    assert IncomingDocument.objects.count() == 1
