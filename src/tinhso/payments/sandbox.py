"""VNPAY sandbox (local, not real money): the gateway's side of protocol 2.1.0, for development.

A tiny WSGI application (no Django) run by ``tinhso payment-sandbox --port 8100``. It accepts the
merchant's signed payment URL at the same path as VNPAY (``/paymentv2/vpcpay.html``), shows the
order with three buttons — "Thanh toán thành công", "Hủy", "Lỗi" — and then does what the real
gateway does: it calls the merchant's IPN URL over real HTTP with a signed notification, and
redirects the browser to ``vnp_ReturnUrl`` with a signed response query. It signs with the same
hash secret as the merchant (``payments/vnpay.py`` is shared by both sides).

It keeps its transactions in memory only; ``/`` lists them with a "Gửi lại IPN" button (the real
gateway retries notifications, so merchants must answer duplicates with "02").
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from tinhso.payments import vnpay, vnpay_api
from tinhso.payments.sandbox_api import API_FAILURES, SandboxMerchantApi

logger = logging.getLogger("tinhso.payments.sandbox")

NAME = "VNPAY sandbox (local, not real money)"
PAY_PATH = "/paymentv2/vpcpay.html"
CHOOSE_PATH = "/paymentv2/choose"
RESEND_PATH = "/resend-ipn"
IPN_MODES = ("before", "after", "none")
MAX_BODY = 64 * 1024

# Button → (vnp_ResponseCode, vnp_TransactionStatus), as the real gateway reports them.
CHOICES: dict[str, tuple[str, str, str]] = {
    "success": ("00", "00", "Thanh toán thành công"),
    "cancel": ("24", "02", "Hủy"),
    "error": ("51", "02", "Lỗi"),
}

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class SandboxTxn:
    txn_ref: str
    request: dict[str, str]
    response: dict[str, str]
    return_url: str
    ipn_results: list[str] = field(default_factory=list)


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


class SandboxApp(SandboxMerchantApi):
    def __init__(self, *, secret: str, tmn_code: str, ipn_url: str, ipn_mode: str = "before",
                 http_timeout: float = 10.0, retry_pause: float = 0.5,
                 http: httpx.Client | None = None, api_failure: str = "") -> None:
        if ipn_mode not in IPN_MODES:
            raise ValueError(f"ipn_mode must be one of {IPN_MODES}")
        if api_failure not in API_FAILURES:
            raise ValueError(f"api_failure must be one of {API_FAILURES}")
        self.api_failure = api_failure
        self.secret = secret
        self.tmn_code = tmn_code
        self.ipn_url = ipn_url
        self.ipn_mode = ipn_mode
        self.http_timeout = http_timeout
        self.retry_pause = retry_pause
        self.http = http  # None: a plain httpx.get per notification
        self.transactions: dict[str, SandboxTxn] = {}
        self.lock = threading.Lock()

    # --- WSGI plumbing ----------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        try:
            if path == "/healthz":
                return self._text(start_response, "200 OK", "ok")
            if path == PAY_PATH and method == "GET":
                return self.pay_page(query, start_response)
            if path == CHOOSE_PATH and method == "POST":
                return self.choose(self._form(environ), start_response)
            if path == RESEND_PATH and method == "POST":
                return self.resend(self._form(environ), start_response)
            if path == vnpay_api.API_PATH and method == "POST":
                return self._json(start_response, self.merchant_api(self._body(environ)))
            if path == "/" and method == "GET":
                return self.index(start_response)
        except Exception:  # a development tool: show the error, keep serving
            logger.exception("sandbox error")
            return self._page(start_response, "500 Internal Server Error", "Lỗi sandbox",
                              "<p>Lỗi không mong đợi; xem nhật ký của tiến trình sandbox.</p>")
        return self._page(start_response, "404 Not Found", "Không tìm thấy", "<p>404</p>")

    @staticmethod
    def _body(environ: dict[str, Any]) -> bytes:
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
        except ValueError:
            length = 0
        return bytes(environ["wsgi.input"].read(length))

    @classmethod
    def _form(cls, environ: dict[str, Any]) -> dict[str, str]:
        body = cls._body(environ).decode("utf-8", errors="replace")
        return dict(parse_qsl(body, keep_blank_values=True))

    @staticmethod
    def _json(start_response: StartResponse, data: dict[str, str]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json; charset=utf-8")])
        return [json.dumps(data, ensure_ascii=False).encode("utf-8")]

    @staticmethod
    def _text(start_response: StartResponse, status: str, text: str) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [text.encode("utf-8")]

    @staticmethod
    def _page(start_response: StartResponse, status: str, title: str, body: str) -> list[bytes]:
        page = (
            "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)} · {NAME}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
            "padding:0 1rem}.banner{background:#fff3cd;border:2px solid #b58100;padding:.6rem;"
            "font-weight:700}button{font:inherit;padding:.6rem 1rem;margin:.3rem;min-height:44px}"
            ".ok{background:#0a7a2f;color:#fff}.cancel{background:#eee}.err{background:#b00020;"
            "color:#fff}dt{font-weight:700}table{border-collapse:collapse}td,th{border:1px solid"
            " #ccc;padding:.3rem}</style></head><body>"
            f"<p class='banner' role='note'>{NAME} — môi trường thử nghiệm, không trừ tiền thật."
            "</p>"
            f"<h1>{html.escape(title)}</h1>{body}</body></html>"
        )
        start_response(status, [("Content-Type", "text/html; charset=utf-8"),
                                ("Cache-Control", "no-store")])
        return [page.encode("utf-8")]

    # --- the gateway -------------------------------------------------------------------------

    def check_request(self, params: dict[str, str]) -> str | None:
        """What the real gateway refuses before showing its payment page (Vietnamese text)."""
        if not vnpay.verify(params, self.secret):
            return "Sai chữ ký (vnp_SecureHash)."
        if params.get("vnp_TmnCode") != self.tmn_code:
            return "Mã website (vnp_TmnCode) không hợp lệ."
        if params.get("vnp_Version") != vnpay.VERSION or params.get("vnp_Command") != "pay":
            return "Phiên bản hoặc lệnh không được hỗ trợ."
        if params.get("vnp_CurrCode") != vnpay.CURRENCY:
            return "Chỉ hỗ trợ đơn vị tiền tệ VND."
        amount = params.get("vnp_Amount", "")
        if not amount.isdigit() or int(amount) <= 0 or int(amount) % 100:
            return "Số tiền (vnp_Amount) không hợp lệ."
        if not vnpay.is_valid_txn_ref(params.get("vnp_TxnRef", "")):
            return "Mã tham chiếu giao dịch (vnp_TxnRef) không hợp lệ."
        if not params.get("vnp_ReturnUrl", "").startswith(("http://", "https://")):
            return "Địa chỉ trả về (vnp_ReturnUrl) không hợp lệ."
        try:
            expires = vnpay.parse_time(params.get("vnp_ExpireDate", ""))
            vnpay.parse_time(params.get("vnp_CreateDate", ""))
        except ValueError:
            return "Thời gian tạo hoặc hết hạn không đúng định dạng yyyyMMddHHmmss."
        if expires < dt.datetime.now(vnpay.GMT7):
            return "Giao dịch đã quá thời gian chờ thanh toán."
        with self.lock:
            if params["vnp_TxnRef"] in self.transactions:
                return "Giao dịch đã tồn tại (vnp_TxnRef đã được sử dụng)."
        return None

    def pay_page(self, params: dict[str, str], start_response: StartResponse) -> list[bytes]:
        problem = self.check_request(params)
        if problem:
            return self._page(start_response, "400 Bad Request", "Giao dịch không hợp lệ",
                              f"<p role='alert'>{html.escape(problem)}</p>")
        amount = int(params["vnp_Amount"]) // 100
        raw = html.escape(vnpay.signed_query(params, self.secret), quote=True)
        buttons = "".join(
            f"<button type='submit' name='choice' value='{key}' class='{css}'>{label}</button>"
            for key, css, label in (("success", "ok", CHOICES["success"][2]),
                                    ("cancel", "cancel", CHOICES["cancel"][2]),
                                    ("error", "err", CHOICES["error"][2]))
        )
        body = (
            "<dl>"
            f"<dt>Số tiền</dt><dd>{vnd(amount)}</dd>"
            f"<dt>Nội dung</dt><dd>{html.escape(params.get('vnp_OrderInfo', ''))}</dd>"
            f"<dt>Mã tham chiếu</dt><dd><code>{html.escape(params['vnp_TxnRef'])}</code></dd>"
            f"<dt>Đơn vị nhận</dt><dd>{html.escape(params['vnp_TmnCode'])}</dd>"
            "</dl>"
            f"<form method='post' action='{CHOOSE_PATH}'>"
            f"<input type='hidden' name='q' value='{raw}'>{buttons}</form>"
        )
        return self._page(start_response, "200 OK", "Thanh toán đơn hàng", body)

    def response_params(self, request: dict[str, str], choice: str) -> dict[str, str]:
        response_code, transaction_status, _ = CHOICES[choice]
        paid = choice == "success"
        params = {
            "vnp_Amount": request["vnp_Amount"],
            "vnp_BankCode": "NCB",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": request.get("vnp_OrderInfo", ""),
            "vnp_PayDate": vnpay.format_time(dt.datetime.now(vnpay.GMT7)),
            "vnp_ResponseCode": response_code,
            "vnp_TmnCode": request["vnp_TmnCode"],
            # The gateway numbers every transaction it processed; a cancelled one gets "0".
            "vnp_TransactionNo": str(10_000_000 + secrets.randbelow(89_999_999)) if paid else "0",
            "vnp_TransactionStatus": transaction_status,
            "vnp_TxnRef": request["vnp_TxnRef"],
        }
        if paid:
            params["vnp_BankTranNo"] = f"VNP{secrets.randbelow(10**8):08d}"
        params = dict(sorted(params.items()))
        params["vnp_SecureHash"] = vnpay.sign(params, self.secret)
        return params

    def choose(self, form: dict[str, str], start_response: StartResponse) -> list[bytes]:
        request = dict(parse_qsl(form.get("q", ""), keep_blank_values=True))
        choice = form.get("choice", "")
        problem = self.check_request(request) if choice in CHOICES else "Lựa chọn không hợp lệ."
        if problem:
            return self._page(start_response, "400 Bad Request", "Giao dịch không hợp lệ",
                              f"<p role='alert'>{html.escape(problem)}</p>")
        response = self.response_params(request, choice)
        txn = SandboxTxn(txn_ref=request["vnp_TxnRef"], request=request, response=response,
                         return_url=request["vnp_ReturnUrl"])
        with self.lock:
            self.transactions[txn.txn_ref] = txn
        logger.info("%s: %s chose %s", NAME, txn.txn_ref, choice)
        if self.ipn_mode == "before":
            self.send_ipn(txn)
        elif self.ipn_mode == "after":
            threading.Thread(target=self.send_ipn, args=(txn, 1.0), daemon=True).start()
        start_response("302 Found", [("Location", vnpay.url_with_query(txn.return_url, response)),
                                     ("Cache-Control", "no-store")])
        return [b""]

    def send_ipn(self, txn: SandboxTxn, delay: float = 0.0, tries: int = 3) -> str:
        """GET the merchant's IPN URL with the signed notification; retry transient failures."""
        if delay:
            time.sleep(delay)
        result = "no reply"
        for attempt in range(1, tries + 1):
            try:
                get = self.http.get if self.http is not None else httpx.get
                reply = get(self.ipn_url, params=txn.response, timeout=self.http_timeout)
                code = str(reply.json().get("RspCode", "?")) if reply.status_code == 200 else ""
                result = f"HTTP {reply.status_code} RspCode={code or '-'}"
                if code and code != "99":
                    break
            except (httpx.HTTPError, ValueError) as exc:
                result = f"{type(exc).__name__}: {exc}"
            if attempt < tries:
                time.sleep(self.retry_pause * attempt)
        logger.info("%s: IPN %s → %s", NAME, txn.txn_ref, result)
        with self.lock:
            txn.ipn_results.append(result)
        return result

    def resend(self, form: dict[str, str], start_response: StartResponse) -> list[bytes]:
        with self.lock:
            txn = self.transactions.get(form.get("txn_ref", ""))
        if txn is None:
            return self._page(start_response, "404 Not Found", "Không tìm thấy giao dịch", "")
        self.send_ipn(txn)
        start_response("303 See Other", [("Location", "/")])
        return [b""]

    def index(self, start_response: StartResponse) -> list[bytes]:
        with self.lock:
            txns = list(self.transactions.values())
        rows = "".join(
            "<tr>"
            f"<td><code>{html.escape(t.txn_ref)}</code></td>"
            f"<td>{vnd(int(t.request['vnp_Amount']) // 100)}</td>"
            f"<td>{html.escape(t.response['vnp_ResponseCode'])}</td>"
            f"<td>{html.escape('; '.join(t.ipn_results) or '—')}</td>"
            f"<td><form method='post' action='{RESEND_PATH}'>"
            f"<input type='hidden' name='txn_ref' value='{html.escape(t.txn_ref, quote=True)}'>"
            "<button type='submit'>Gửi lại IPN</button></form></td></tr>"
            for t in reversed(txns)
        )
        body = (
            f"<p>IPN URL: <code>{html.escape(self.ipn_url)}</code> (chế độ: {self.ipn_mode})</p>"
            "<table><thead><tr><th>vnp_TxnRef</th><th>Số tiền</th><th>vnp_ResponseCode</th>"
            f"<th>Kết quả IPN</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
        )
        return self._page(start_response, "200 OK", "Giao dịch đã xử lý", body)
