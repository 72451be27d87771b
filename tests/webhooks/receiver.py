"""A real HTTP receiver of webhooks (http.server in a thread) that checks every message's
signature with an implementation independent of tinhso's: the ``standardwebhooks`` package
when installed, else a few lines written from the spec here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify_independently(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """True when one of the ``v1,`` signatures matches (tolerance 5 min, as the spec says)."""
    try:
        from standardwebhooks.webhooks import Webhook

        Webhook(secret).verify(body, headers)
        return True
    except ImportError:
        pass
    except Exception:  # noqa: BLE001 - the package's verification error: not verified
        return False
    ts = int(headers["webhook-timestamp"])
    if abs(time.time() - ts) > 300:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{headers['webhook-id']}.{ts}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return any(sig.split(",", 1) == ["v1", expected]
               for sig in headers["webhook-signature"].split(" "))


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    valid_for: list[str]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str = ""
    secrets: list[str] = field(default_factory=list)
    messages: list[Received] = field(default_factory=list)
    status: int = 200  # what to answer
    server: Any = None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_receiver() -> Receiver:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            valid = [s for s in rec.secrets if verify_independently(s, headers, body)]
            rec.messages.append(Received(headers, body, valid))
            self.send_response(rec.status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if rec.status < 300 else b"nope")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rec.server = server
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    return rec
