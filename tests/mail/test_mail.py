"""Official mail: the address book, sending through a real SMTP server process, the delivery
log, retries, and the API and pages."""

from __future__ import annotations

import pytest

from tests import factories
from tinhso.core.errors import DomainError, ValidationFailed
from tinhso.mail import selectors, services
from tinhso.mail.models import AddressEntry, AddressKind, OutboundMail, OutboundState


@pytest.mark.django_db
def test_seeding_gives_agencies_and_officials_official_addresses(agency, official):
    made = services.address_book_seed()
    assert made == 2
    assert services.address_book_seed() == 0  # idempotent
    mine = AddressEntry.objects.get(kind=AddressKind.AGENCY, agency=agency)
    assert mine.email.endswith("@binhphuoc.gov.vn")
    person = AddressEntry.objects.get(kind=AddressKind.OFFICIAL, user=official)
    assert person.email.endswith("@binhphuoc.gov.vn")


@pytest.mark.django_db
def test_search_without_diacritics_and_scoped_to_officials(agency, official, citizen):
    services.address_entry_save(acting_user=None, agency=agency, kind=AddressKind.OFFICIAL,
                                name="Trần Thị Hương", position="Chánh Văn phòng",
                                email="huong.tt@binhphuoc.gov.vn")
    found = list(selectors.address_book(official, "tran thi huong"))
    assert [e.email for e in found] == ["huong.tt@binhphuoc.gov.vn"]
    assert list(selectors.address_book(official, "chanh van phong")) == found
    assert not selectors.address_book(official, "không có ai").exists()
    assert not selectors.address_book(citizen, "").exists()


@pytest.mark.django_db
def test_mail_send_refuses_bad_input_and_agencies_without_address(agency, agency_address):
    with pytest.raises(ValidationFailed) as bad:
        services.mail_send(agency=agency, to=["not an address"], subject="A", body="b")
    assert bad.value.code == "INVALID_EMAIL"
    with pytest.raises(ValidationFailed):
        services.mail_send(agency=agency, to=["a@b.vn"], subject="A\r\nBcc: x@y.vn", body="b")
    other = factories.make_agency(unit=agency.unit, code="000.00.77.H10", name="Sở Khác")
    with pytest.raises(DomainError) as none:
        services.mail_send(agency=other, to=["a@b.vn"], subject="A", body="b")
    assert none.value.code == "MAIL_NO_AGENCY_ADDRESS"
    assert not OutboundMail.objects.exists()


@pytest.mark.django_db
def test_sent_through_a_real_smtp_server_with_attachment(
        agency, agency_address, smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mail = services.mail_send(
            agency=agency, to=["ubnd.xa@binhphuoc.gov.vn", "UBND.XA@binhphuoc.gov.vn"],
            subject="Giấy mời họp giao ban", body="Kính mời dự họp.",
            attachments=[services.MailAttachment("moi-hop.ics", "text/calendar",
                                                 b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")])
    mail.refresh_from_db()
    assert mail.state == OutboundState.SENT, mail.log
    assert mail.to == ["ubnd.xa@binhphuoc.gov.vn"]
    assert mail.attempts == 1 and mail.log[-1]["ok"] is True
    [received] = smtp.messages()
    assert received["Message-ID"] == mail.message_id
    assert "sotuphap@binhphuoc.gov.vn" in received["From"]
    from email import policy
    from email.parser import BytesParser

    parsed = BytesParser(policy=policy.default).parsebytes(received.as_bytes())
    assert parsed["Subject"] == "Giấy mời họp giao ban"
    [ics] = list(parsed.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_filename() == "moi-hop.ics"


@pytest.mark.django_db
def test_a_failed_attempt_is_retried_then_given_up(agency, agency_address, settings):
    from tests.processes import free_port

    settings.TINHSO_MAIL_SMTP_HOST = "127.0.0.1"
    settings.TINHSO_MAIL_SMTP_PORT = free_port()  # nobody listens
    settings.TINHSO_MAIL_MAX_ATTEMPTS = 2
    mail = services.mail_send(agency=agency, to=["a@binhphuoc.gov.vn"], subject="A", body="b")
    with pytest.raises(services.RetryLater):
        services.mail_deliver(mail_id=mail.pk)
    mail.refresh_from_db()
    assert (mail.state, mail.attempts) == (OutboundState.RETRIED, 1)
    assert services.mail_deliver(mail_id=mail.pk) == OutboundState.FAILED
    mail.refresh_from_db()
    assert mail.attempts == 2 and [e["ok"] for e in mail.log] == [False, False]
    assert "ConnectionRefused" in mail.log[0]["error"]


@pytest.mark.django_db
def test_api_address_book_and_send(client, agency, official, agency_address, citizen):
    services.address_book_seed()
    client.force_login(official)
    listed = client.get("/api/v1/mail/addresses?q=so tu phap")
    assert listed.status_code == 200
    assert "sotuphap@binhphuoc.gov.vn" in [e["email"] for e in listed.json()["items"]]
    sent = client.post("/api/v1/mail/send", {"to": ["a@binhphuoc.gov.vn"], "subject": "Thử",
                                             "body": "Nội dung"}, content_type="application/json")
    assert sent.status_code == 201, sent.content
    assert sent.json()["from_address"] == "sotuphap@binhphuoc.gov.vn"
    assert client.get("/api/v1/mail/sent").json()["count"] == 1
    client.force_login(citizen)
    assert client.get("/api/v1/mail/addresses").status_code == 403
    assert client.get("/api/v1/mail/sent").json()["count"] == 0


@pytest.mark.django_db
def test_pages_for_officials_only(client, official, agency_address, citizen):
    client.force_login(official)
    page = client.get("/thu-cong-vu/?q=sotuphap")
    assert page.status_code == 200
    assert "Danh bạ thư công vụ" in page.content.decode()
    assert "sotuphap@binhphuoc.gov.vn" in page.content.decode()
    assert client.get("/thu-cong-vu/da-gui/").status_code == 200
    assert client.get("/thu-cong-vu/thu-den/").status_code == 200
    client.force_login(citizen)
    assert client.get("/thu-cong-vu/").status_code == 404


@pytest.mark.django_db
def test_stale_mail_is_queued_again_once_the_relay_answers(agency, agency_address, smtp):
    import datetime as dt

    from django.utils import timezone

    mail = services.mail_send(agency=agency, to=["a@binhphuoc.gov.vn"], subject="A", body="b")
    assert services.mail_requeue_stale() == 0  # too fresh
    OutboundMail.objects.filter(pk=mail.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1))
    assert services.mail_requeue_stale() == 1  # Huey runs at once in the tests
    mail.refresh_from_db()
    assert mail.state == OutboundState.SENT and len(smtp.messages()) == 1
    assert services.mail_requeue_stale() == 0
