"""Real local mail servers for the tests: an SMTP server (aiosmtpd, as its own process,
delivering into a Maildir) and an IMAP server (Debian's Dovecot with a throw-away config,
plain-text login on 127.0.0.1). Without them a test skips on a laptop and FAILS in CI."""

from __future__ import annotations

import mailbox
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"mail test server unavailable in CI: {why}")
    pytest.skip(why)


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited ({proc.returncode}): "
                        f"{log.read_text(errors='replace')[-3000:] if log.exists() else ''}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"server did not listen on {port} within {seconds} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class SmtpServer:
    port: int
    maildir: Path

    def messages(self) -> list[mailbox.MaildirMessage]:
        box = mailbox.Maildir(self.maildir, create=False)
        return [box[key] for key in sorted(box.keys())]


@contextmanager
def smtp_server(tmp: Path) -> Iterator[SmtpServer]:
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        unavailable("aiosmtpd is not installed (pip install -e '.[dev]')")
    port = free_port()
    maildir = tmp / "smtp-maildir"
    mailbox.Maildir(maildir, create=True)
    log = tmp / "smtp.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_port(port, proc, log)
        yield SmtpServer(port=port, maildir=maildir)
    finally:
        _stop(proc)


@dataclass
class ImapServer:
    port: int
    passwords: dict[str, str]

    def deliver(self, address: str, raw: bytes) -> None:
        """Put a message into the user's INBOX (IMAP APPEND, as a mail server would deliver)."""
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(address, self.passwords[address])
            status, data = client.append("INBOX", None, None, raw)
            assert status == "OK", data
        finally:
            client.logout()


def _dovecot_config(root: Path, port: int) -> Path:
    if os.geteuid() == 0:
        internal, login = "dovecot", "dovenull"
    else:  # unprivileged: every dovecot process runs as the current user
        internal = login = pwd.getpwuid(os.geteuid()).pw_name
    try:
        mail_user = pwd.getpwnam(internal)
    except KeyError:
        unavailable(f"the system user {internal!r} of Dovecot does not exist")
    home = root / "home"
    home.mkdir(parents=True)
    if os.geteuid() == 0:
        os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
    root.chmod(0o755)
    config = root / "dovecot.conf"
    config.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={home}/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""", encoding="utf-8")
    return config


@contextmanager
def imap_server(passwords: dict[str, str]) -> Iterator[ImapServer]:
    if not os.path.exists(DOVECOT):
        unavailable("Dovecot is not installed (apt-get install dovecot-imapd)")
    # Not under pytest's tmp_path (mode 0700): Dovecot's mail processes run as its own user.
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="tinhso-dovecot-"))
    port = free_port()
    config = _dovecot_config(root, port)
    (root / "passwd").write_text(
        "".join(f"{user}:{{PLAIN}}{password}\n" for user, password in passwords.items()),
        encoding="utf-8")
    log = root / "dovecot.log"
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc, log)
        yield ImapServer(port=port, passwords=passwords)
    finally:
        _stop(proc)
        shutil.rmtree(root, ignore_errors=True)
