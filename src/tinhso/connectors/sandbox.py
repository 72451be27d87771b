"""Sandboxes of the national remote sides, for development and tests (never production):

- ``/dvcqg/…``: the national public-service portal (Cổng DVC quốc gia): ``POST
  /dvcqg/dossiers/status`` (a status update, idempotent by ``event_id``), ``GET
  /dvcqg/dossiers/{MaHoSo}`` (what it holds), ``GET /dvcqg/procedures`` (its catalogue);
- ``/dancu/…``: the national population database (CSDL quốc gia về dân cư): ``POST
  /dancu/citizens/lookup`` ``{"so_dinh_danh"}`` → the citizen, or 404;
- ``POST /_control`` ``{"fail": N}``: the next N portal calls answer 503 (outage drills);
- ``GET /healthz``.

Served by ``tinhso connectors-sandbox --port P`` (waitress) in a process of its own; tinhso
reaches it only through the LGSP gateway, where it is registered as provider services. State is
in memory: a restart forgets it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

CATALOGUE = [
    {"MaTTHC": "1.001612", "TenTTHC": "Đăng ký thành lập hộ kinh doanh"},
    {"MaTTHC": "2.000815", "TenTTHC": "Chứng thực bản sao từ bản chính giấy tờ, văn bản"},
    {"MaTTHC": "1.004227", "TenTTHC": "Đăng ký khai sinh"},
    {"MaTTHC": "1.000894", "TenTTHC": "Đăng ký kết hôn"},
]

CITIZENS = {
    "070090001234": {"so_dinh_danh": "070090001234", "ho_ten": "Nguyễn Văn An",
                     "ngay_sinh": "1990-05-17", "gioi_tinh": "Nam",
                     "noi_thuong_tru": "Phường Tân Phú, thành phố Đồng Xoài, tỉnh Bình Phước"},
    "070190004321": {"so_dinh_danh": "070190004321", "ho_ten": "Trần Thị Bình",
                     "ngay_sinh": "1990-11-02", "gioi_tinh": "Nữ",
                     "noi_thuong_tru": "Xã Tiến Hưng, thành phố Đồng Xoài, tỉnh Bình Phước"},
}


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.dossiers: dict[str, dict[str, Any]] = {}
        self.seen_events: set[str] = set()
        self.updates = 0
        self.fail_next = 0


STATE = State()


def _json(start_response: Any, status: str, body: Any) -> Iterable[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    start_response(status, [("Content-Type", "application/json; charset=utf-8"),
                            ("Content-Length", str(len(data)))])
    return [data]


def _body(environ: dict[str, Any]) -> Any:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return None


def _portal(method: str, path: str, environ: dict[str, Any], start_response: Any
            ) -> Iterable[bytes]:
    with STATE.lock:
        if STATE.fail_next > 0:
            STATE.fail_next -= 1
            return _json(start_response, "503 Service Unavailable",
                         {"error_code": 503, "message": "Hệ thống đang bảo trì"})
    if method == "POST" and path == "/dossiers/status":
        body = _body(environ)
        required = ("MaHoSo", "TrangThaiHoSo", "ThoiGian", "event_id")
        if not isinstance(body, dict) or any(k not in body for k in required):
            return _json(start_response, "400 Bad Request",
                         {"error_code": 400, "message": "Thiếu trường bắt buộc"})
        with STATE.lock:
            if body["event_id"] not in STATE.seen_events:
                STATE.seen_events.add(body["event_id"])
                STATE.updates += 1
                current = STATE.dossiers.get(body["MaHoSo"])
                if current is None or current["ThoiGian"] <= body["ThoiGian"]:
                    STATE.dossiers[body["MaHoSo"]] = {
                        k: body.get(k) for k in ("MaHoSo", "TrangThaiHoSo", "ThoiGian",
                                                 "MaTTHC", "MaDonVi")}
        return _json(start_response, "200 OK", {"error_code": 0, "message": "Thành công"})
    if method == "GET" and path.startswith("/dossiers/"):
        code = path.removeprefix("/dossiers/")
        with STATE.lock:
            record = STATE.dossiers.get(code)
        if record is None:
            return _json(start_response, "404 Not Found",
                         {"error_code": 404, "message": "Không có hồ sơ"})
        return _json(start_response, "200 OK", record)
    if method == "GET" and path == "/procedures":
        return _json(start_response, "200 OK", {"data": CATALOGUE})
    return _json(start_response, "404 Not Found", {"error_code": 404, "message": "Không có"})


def _population(method: str, path: str, environ: dict[str, Any], start_response: Any
                ) -> Iterable[bytes]:
    if method == "POST" and path == "/citizens/lookup":
        body = _body(environ)
        number = body.get("so_dinh_danh") if isinstance(body, dict) else None
        citizen = CITIZENS.get(str(number))
        if citizen is None:
            return _json(start_response, "404 Not Found",
                         {"error_code": 404, "message": "Không tìm thấy công dân"})
        return _json(start_response, "200 OK", citizen)
    return _json(start_response, "404 Not Found", {"error_code": 404, "message": "Không có"})


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")
    if path == "/healthz":
        return _json(start_response, "200 OK", {"status": "ok"})
    if path == "/_control" and method == "POST":
        body = _body(environ) or {}
        with STATE.lock:
            STATE.fail_next = int(body.get("fail", 0))
        return _json(start_response, "200 OK", {"fail_next": STATE.fail_next})
    if path.startswith("/dvcqg/"):
        return _portal(method, path.removeprefix("/dvcqg"), environ, start_response)
    if path.startswith("/dancu/"):
        return _population(method, path.removeprefix("/dancu"), environ, start_response)
    return _json(start_response, "404 Not Found", {"error_code": 404, "message": "Không có"})
