"""IMAP IDLE (RFC 2177): wait on a mailbox until the server announces new mail, then fetch.

``tinhso mail watch --mailbox ADDRESS`` runs ``watch`` for one mailbox: fetch, IDLE until a
change or ``TINHSO_MAIL_IDLE_SECONDS`` (RFC 2177 asks clients to re-issue IDLE at least every
29 minutes), fetch again, and so on. A server without the IDLE capability, or a connection
that fails, falls back to the periodic polling job (``TINHSO_MAIL_FETCH_MINUTES``), which keeps
running either way: IDLE only makes arrival quicker, it is never the only path.

Python's imaplib (3.11) has no IDLE command; the few lines of the protocol are written here on
its connection (``send``/``readline``). The socket is only read after ``select`` says a line
is there, so the buffered reader never sees a timeout.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import select
import time
from collections.abc import Callable

from django.conf import settings

from tinhso.mail.imap import MailboxUnavailable, _ok, connect, mailbox_fetch
from tinhso.mail.models import Mailbox

logger = logging.getLogger(__name__)
CHANGES = (b" EXISTS", b" RECENT", b" EXPUNGE")


class IdleUnsupported(Exception):
    """The server does not offer IDLE: poll instead."""


def idle_wait(client: imaplib.IMAP4, seconds: float,
              on_ready: Callable[[], None] | None = None) -> bool:
    """IDLE on the selected mailbox until the server reports a change (True) or ``seconds``
    pass (False); then DONE, and the tagged answer is read so the connection stays usable.
    ``on_ready`` is called once the server has accepted the IDLE."""
    if "IDLE" not in client.capabilities:
        raise IdleUnsupported("the server has no IDLE capability")
    tag = client._new_tag()  # imaplib's own tag counter, so later commands stay in order
    client.send(tag + b" IDLE\r\n")
    first = client.readline()
    if not first.startswith(b"+"):
        raise IdleUnsupported(first.decode(errors="replace")[:200])
    if on_ready is not None:
        on_ready()
    changed, deadline = False, time.monotonic() + seconds
    while not changed:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([client.sock], [], [], remaining)[0]:
            break
        line = client.readline()
        if not line:
            raise OSError("the IMAP server closed the connection during IDLE")
        changed = line.startswith(b"*") and any(c in line for c in CHANGES)
    client.send(b"DONE\r\n")
    while True:
        line = client.readline()
        if not line:
            raise OSError("the IMAP server closed the connection after IDLE")
        if line.startswith(tag):
            return changed


def wait_for_mail(mailbox: Mailbox, seconds: float) -> bool:
    """One IDLE round on ``mailbox``'s folder (a connection of its own)."""
    client = connect(mailbox)
    try:
        _ok(client.select(f'"{mailbox.folder}"', readonly=True), "SELECT")
        return idle_wait(client, seconds)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def watch(mailbox: Mailbox, *, rounds: int | None = None,
          sleep: Callable[[float], None] = time.sleep) -> int:
    """Fetch, then IDLE and fetch again, ``rounds`` times (None: until stopped). Returns the
    number of messages stored. Without IDLE, or on an error, waits one polling interval."""
    stored, done = 0, 0
    seconds = getattr(settings, "TINHSO_MAIL_IDLE_SECONDS", 29 * 60)
    while rounds is None or done < rounds:
        stored += mailbox_fetch(mailbox=mailbox).stored
        done += 1
        if rounds is not None and done >= rounds:
            break
        try:
            wait_for_mail(mailbox, seconds)
        except (IdleUnsupported, OSError, imaplib.IMAP4.error, MailboxUnavailable) as exc:
            logger.info("mailbox %s: no IDLE (%s); polling", mailbox, exc)
            sleep(settings.TINHSO_MAIL_FETCH_MINUTES * 60)
    return stored
