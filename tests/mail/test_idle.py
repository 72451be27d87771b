"""IMAP IDLE against a real Dovecot: a waiting watcher wakes when a message arrives (not at
its timeout) and fetches it; with nothing arriving IDLE ends at its timeout with the
connection still usable; a server without IDLE falls back to polling."""

from __future__ import annotations

import threading

import pytest

from tests.mail.test_imap import ADDRESS, _message, imap  # noqa: F401 - the fixture
from tinhso.mail import idle
from tinhso.mail.imap import connect
from tinhso.mail.models import InboundMessage, Mailbox

pytestmark = pytest.mark.django_db
LONG = 120.0  # far longer than delivery takes: waking before it means IDLE reported the mail


def _mailbox(agency):
    return Mailbox.objects.create(agency=agency, address=ADDRESS,
                                  password_env="TINHSO_TEST_MAILBOX_PASSWORD")


def test_idle_wakes_on_new_mail_and_the_watcher_fetches_it(agency, imap):  # noqa: F811
    box = _mailbox(agency)
    client = connect(box)
    client.select("INBOX", readonly=True)
    woke: list[bool] = []
    ready = threading.Event()
    waiter = threading.Thread(target=lambda: woke.append(
        idle.idle_wait(client, LONG, on_ready=ready.set)))
    waiter.start()
    assert ready.wait(30), "the server did not accept IDLE"
    imap.deliver(ADDRESS, _message("<idle-1@dongphu.binhphuoc.gov.vn>", "Công văn qua IDLE"))
    waiter.join(LONG + 10)
    assert woke == [True]
    # The connection is still in order after DONE: a normal command works.
    assert client.noop()[0] == "OK"
    client.logout()
    assert idle.watch(box, rounds=1) == 1
    assert InboundMessage.objects.get().subject == "Công văn qua IDLE"


def test_idle_times_out_quietly_and_without_idle_the_watcher_polls(agency, imap,  # noqa: F811
                                                                     settings):
    box = _mailbox(agency)
    client = connect(box)
    client.select("INBOX", readonly=True)
    assert idle.idle_wait(client, 1.0) is False
    assert client.noop()[0] == "OK"
    client.capabilities = tuple(c for c in client.capabilities if c != "IDLE")
    with pytest.raises(idle.IdleUnsupported):
        idle.idle_wait(client, 1.0)
    client.logout()

    slept: list[float] = []
    original = idle.wait_for_mail

    def no_idle(mailbox, seconds):
        raise idle.IdleUnsupported("test server without IDLE")
    idle.wait_for_mail = no_idle
    try:
        imap.deliver(ADDRESS, _message("<poll-1@dongphu.binhphuoc.gov.vn>", "Thư thăm dò"))
        settings.TINHSO_MAIL_FETCH_MINUTES = 5
        assert idle.watch(box, rounds=2, sleep=slept.append) == 1
    finally:
        idle.wait_for_mail = original
    assert slept == [300]
