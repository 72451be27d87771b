"""More than one SMTP relay: a relay that is down (nothing listens) or refuses (answers 554 to
the greeting) hands the mail to the next one; the delivery log names each relay tried. The
relay that takes it is a real SMTP server process (aiosmtpd)."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.processes import free_port
from tinhso.mail import services
from tinhso.mail.models import OutboundState

pytestmark = pytest.mark.django_db


@pytest.fixture
def refusing_relay():
    """An SMTP server that refuses every session at the greeting (RFC 5321 §3.1: 554)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"554 5.3.2 Khong nhan thu luc nay\r\n")
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_a_relay_down_or_refusing_hands_over_to_the_next(
        agency, agency_address, smtp, refusing_relay, settings,
        django_capture_on_commit_callbacks):
    down = free_port()  # nothing listens there
    working = settings.TINHSO_MAIL_SMTP_PORT
    settings.TINHSO_MAIL_SMTP_PORT = down
    settings.TINHSO_MAIL_SMTP_FALLBACK = [f"127.0.0.1:{refusing_relay}", f"127.0.0.1:{working}"]
    assert services.relays() == [("127.0.0.1", down), ("127.0.0.1", refusing_relay),
                                 ("127.0.0.1", working)]
    with django_capture_on_commit_callbacks(execute=True):
        mail = services.mail_send(agency=agency, to=["vanthu@binhphuoc.gov.vn"],
                                  subject="Công văn", body="Kính gửi.")
    mail.refresh_from_db()
    assert mail.state == OutboundState.SENT, mail.log
    entry = mail.log[-1]
    assert entry["relay"] == f"127.0.0.1:{working}"
    assert [t["relay"] for t in entry["tried"]] == [f"127.0.0.1:{down}",
                                                    f"127.0.0.1:{refusing_relay}"]
    assert "ConnectionRefusedError" in entry["tried"][0]["error"]
    assert "554" in entry["tried"][1]["error"]
    assert [m["Message-ID"] for m in smtp.messages()] == [mail.message_id]


def test_every_relay_failing_is_one_failed_attempt_with_each_error(
        agency, agency_address, refusing_relay, settings):
    settings.TINHSO_MAIL_SMTP_HOST, settings.TINHSO_MAIL_SMTP_PORT = "127.0.0.1", free_port()
    settings.TINHSO_MAIL_SMTP_FALLBACK = [f"127.0.0.1:{refusing_relay}"]
    settings.TINHSO_MAIL_SMTP_SECURITY, settings.TINHSO_MAIL_SMTP_USER = "none", ""
    mail = services.mail_send(agency=agency, to=["a@binhphuoc.gov.vn"], subject="A", body="b")
    with pytest.raises(services.RetryLater):
        services.mail_deliver(mail_id=mail.pk)
    mail.refresh_from_db()
    assert mail.state == OutboundState.RETRIED and mail.attempts == 1
    assert len(mail.log[-1]["tried"]) == 2 and "554" in mail.log[-1]["error"]
