"""SMS sandbox (local, sends nothing): the gateway side of ``HttpSmsGateway``, for development.

A tiny WSGI application (no Django) run by ``tinhso sms-sandbox --port 8200``. It accepts what a
brandname SMS gateway accepts — ``POST /api/sms`` with a bearer token and JSON
``{"to", "text", "sender"}`` — checks it the way such gateways do (a Vietnamese number, one
unaccented GSM-7 message of at most 160 characters), and records it instead of sending it.
``GET /`` shows the recorded messages on a page; ``GET /api/sms`` returns them as JSON.
Messages are kept in memory and, with ``--log FILE``, appended to a JSON-lines file.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

NAME = "SMS sandbox (local, sends nothing)"
MAX_BODY = 16 * 1024
SMS_MAX = 160
# The GSM 03.38 basic character set (no Vietnamese letters beyond it).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
PHONE = re.compile(r"^84\d{9,10}$")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class SmsSandbox:
    def __init__(self, *, token: str, log_path: Path | None = None) -> None:
        self.token = token
        self.log_path = log_path
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if path == "/healthz":
            return self._json(start_response, "200 OK", {"status": "ok"})
        if path == "/api/sms" and method == "POST":
            return self.receive(environ, start_response)
        if path == "/api/sms" and method == "GET":
            if not self._authorised(environ):
                return self._error(start_response, "401 Unauthorized", "UNAUTHORIZED")
            with self.lock:
                return self._json(start_response, "200 OK", {"messages": list(self.messages)})
        if path == "/" and method == "GET":
            return self.index(start_response)
        return self._error(start_response, "404 Not Found", "NOT_FOUND")

    def _authorised(self, environ: dict[str, Any]) -> bool:
        return environ.get("HTTP_AUTHORIZATION", "") == f"Bearer {self.token}"

    @staticmethod
    def _json(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body, ensure_ascii=False).encode("utf-8")]

    def _error(self, start_response: StartResponse, status: str, code: str,
               detail: str = "") -> list[bytes]:
        return self._json(start_response, status, {"code": code, "detail": detail})

    def check(self, request: Any) -> str | None:
        """Why a gateway would refuse this message (None: accepted)."""
        if not isinstance(request, dict):
            return "body must be a JSON object"
        to, text = request.get("to"), request.get("text")
        if not isinstance(to, str) or not PHONE.match(to):
            return "'to' must be a Vietnamese number like 84912345678"
        if not isinstance(text, str) or not text.strip():
            return "'text' is required"
        if len(text) > SMS_MAX:
            return f"'text' is {len(text)} characters; one SMS holds {SMS_MAX}"
        bad = sorted({ch for ch in text if ch not in GSM7})
        if bad:
            return "'text' has characters outside GSM-7: " + "".join(bad[:10])
        return None

    def receive(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        if not self._authorised(environ):
            return self._error(start_response, "401 Unauthorized", "UNAUTHORIZED")
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
            request = json.loads(environ["wsgi.input"].read(length) or b"null")
        except (ValueError, UnicodeDecodeError):
            return self._error(start_response, "400 Bad Request", "BAD_JSON")
        problem = self.check(request)
        if problem:
            return self._error(start_response, "422 Unprocessable Entity", "REJECTED", problem)
        message = {"id": uuid.uuid4().hex, "to": request["to"], "text": request["text"],
                   "sender": str(request.get("sender") or "")[:11],
                   "received_at": dt.datetime.now(dt.UTC).isoformat()}
        with self.lock:
            self.messages.append(message)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(json.dumps(message, ensure_ascii=False) + "\n")
        return self._json(start_response, "200 OK", {"id": message["id"]})

    def index(self, start_response: StartResponse) -> list[bytes]:
        with self.lock:
            messages = list(reversed(self.messages))
        rows = "".join(
            f"<tr><td>{html.escape(m['received_at'][:19].replace('T', ' '))}</td>"
            f"<td>{html.escape(m['sender'])}</td><td><code>{html.escape(m['to'])}</code></td>"
            f"<td>{html.escape(m['text'])}</td><td>{len(m['text'])}</td></tr>"
            for m in messages)
        page = (
            "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Tin nhắn đã nhận · {NAME}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
            "padding:0 1rem}.banner{background:#fff3cd;border:2px solid #b58100;padding:.6rem;"
            "font-weight:700}table{border-collapse:collapse;width:100%}td,th{border:1px solid"
            " #ccc;padding:.3rem;text-align:left}</style></head><body>"
            f"<p class='banner' role='note'>{NAME} — môi trường thử nghiệm: tin nhắn chỉ được "
            "ghi lại ở đây, không gửi tới điện thoại nào.</p>"
            f"<h1>Tin nhắn đã nhận ({len(messages)})</h1>"
            "<table><thead><tr><th>Thời điểm (UTC)</th><th>Tên gửi</th><th>Số nhận</th>"
            f"<th>Nội dung</th><th>Ký tự</th></tr></thead><tbody>{rows}</tbody></table>"
            "</body></html>")
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                  ("Cache-Control", "no-store")])
        return [page.encode("utf-8")]
