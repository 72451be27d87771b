"""A tiny provider information system for the gateway tests: a WSGI app served by waitress in
a thread of the test process, on a free port (real HTTP, real sockets).

- ``/echo/...``: the method, path, query, headers and the SHA-256/length of the body, as JSON.
- ``/big?n=BYTES``: ``n`` bytes streamed in 64 KiB chunks (never held whole).
- ``/hold``: answers after 3 s: a provider slower than a 1 s gateway timeout.
- ``/redirect``: a 302 the gateway must pass on, not follow.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from typing import Any

HOLD = threading.Event()
CHUNK = 64 * 1024


def _body_digest(environ: dict[str, Any]) -> tuple[str, int]:
    stream = environ["wsgi.input"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    digest, total = hashlib.sha256(), 0
    while total < length:
        chunk = stream.read(min(CHUNK, length - total))
        if not chunk:
            break
        digest.update(chunk)
        total += len(chunk)
    return digest.hexdigest(), total


def _stream(n: int) -> Iterator[bytes]:
    block = bytes(range(256)) * (CHUNK // 256)
    sent = 0
    while sent < n:
        piece = block[: min(CHUNK, n - sent)]
        sent += len(piece)
        yield piece


def app(environ: dict[str, Any], start_response: Any) -> Any:
    path = environ.get("PATH_INFO", "")
    if path.startswith("/echo"):
        sha, length = _body_digest(environ)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
                   if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        body = json.dumps({"method": environ["REQUEST_METHOD"], "path": path,
                           "query": environ.get("QUERY_STRING", ""), "headers": headers,
                           "sha256": sha, "length": length}).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body))),
                                  ("X-Road-Request-Hash", "forged-by-provider"),
                                  ("X-Provider", "yes")])
        return [body]
    if path == "/big":
        n = int(environ.get("QUERY_STRING", "n=0").split("=")[1])
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(n))])
        return _stream(n)
    if path == "/hold":
        HOLD.wait(3)  # never set: a bounded wait standing for a slow provider
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"late"]
    if path == "/redirect":
        start_response("302 Found", [("Location", "http://127.0.0.1:1/elsewhere")])
        return [b""]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no such path"]
