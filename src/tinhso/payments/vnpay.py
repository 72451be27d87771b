"""VNPAY merchant protocol 2.1.0, both sides: signing, the payment URL, the response codes.

Pure functions without database access, shared by the merchant (``services``, ``views``) and by
the local gateway sandbox (``sandbox``), so that both sides sign exactly the same bytes.

Signing rule of version 2.1.0 (VNPAY's integration guide and its reference code in PHP, Python,
Java and C#): take every ``vnp_*`` parameter except ``vnp_SecureHash`` and ``vnp_SecureHashType``,
sort by key, join ``key=quote_plus(value)`` with ``&`` — i.e. the URL-encoded query string itself,
spaces as ``+`` — and HMAC-SHA512 it with the terminal's hash secret (hex digest). The payment URL
is that same query string followed by ``&vnp_SecureHash=<hex>``. Version 2.1.0 no longer sends
``vnp_SecureHashType``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode

from tinhso.core.text import fold

VERSION = "2.1.0"
COMMAND_PAY = "pay"
CURRENCY = "VND"
# VNPAY's category for goods and services not listed elsewhere; fees of public services fit here.
ORDER_TYPE = "other"
HASH_KEYS = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})
# vnp_CreateDate, vnp_ExpireDate and vnp_PayDate are wall-clock times in GMT+7 (no DST in VN).
GMT7 = dt.timezone(dt.timedelta(hours=7), "GMT+7")
TIME_FORMAT = "%Y%m%d%H%M%S"

# Transaction outcome (vnp_ResponseCode), Vietnamese text as VNPAY documents it.
RESPONSE_CODES: dict[str, str] = {
    "00": "Giao dịch thành công",
    "07": "Trừ tiền thành công, giao dịch bị nghi ngờ (lừa đảo, giao dịch bất thường)",
    "09": "Thẻ/Tài khoản chưa đăng ký dịch vụ Internet Banking tại ngân hàng",
    "10": "Xác thực thông tin thẻ/tài khoản không đúng quá 3 lần",
    "11": "Đã hết hạn chờ thanh toán",
    "12": "Thẻ/Tài khoản bị khóa",
    "13": "Nhập sai mật khẩu xác thực giao dịch (OTP)",
    "24": "Khách hàng hủy giao dịch",
    "51": "Tài khoản không đủ số dư để thực hiện giao dịch",
    "65": "Tài khoản đã vượt quá hạn mức giao dịch trong ngày",
    "75": "Ngân hàng thanh toán đang bảo trì",
    "79": "Nhập sai mật khẩu thanh toán quá số lần quy định",
    "99": "Lỗi khác",
}

# The merchant's answers to an IPN (the gateway retries while it gets neither "00" nor "02").
IPN_CONFIRMED = {"RspCode": "00", "Message": "Confirm Success"}
IPN_ORDER_NOT_FOUND = {"RspCode": "01", "Message": "Order not found"}
IPN_ALREADY_CONFIRMED = {"RspCode": "02", "Message": "Order already confirmed"}
IPN_INVALID_AMOUNT = {"RspCode": "04", "Message": "Invalid amount"}
IPN_INVALID_SIGNATURE = {"RspCode": "97", "Message": "Invalid signature"}
IPN_UNKNOWN_ERROR = {"RspCode": "99", "Message": "Unknown error"}

ORDER_INFO_MAX = 255
_ORDER_INFO_DISALLOWED = re.compile(r"[^A-Za-z0-9 .,:_\-]+")
_TXN_REF = re.compile(r"^[A-Za-z0-9]{1,100}$")


def canonical_query(params: Mapping[str, str]) -> str:
    """The signed string: ``vnp_*`` keys (hash keys excluded) sorted, values ``quote_plus``-ed."""
    items = sorted(
        (key, value) for key, value in params.items()
        if key.startswith("vnp_") and key not in HASH_KEYS
    )
    return "&".join(f"{key}={quote_plus(str(value))}" for key, value in items)


def sign(params: Mapping[str, str], secret: str) -> str:
    """HMAC-SHA512 (hex) of the canonical query with the terminal's hash secret."""
    data = canonical_query(params).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha512).hexdigest()


def signed_query(params: Mapping[str, str], secret: str) -> str:
    return f"{canonical_query(params)}&vnp_SecureHash={sign(params, secret)}"


def verify(params: Mapping[str, str], secret: str) -> bool:
    """Is ``vnp_SecureHash`` the signature of the other ``vnp_*`` parameters?

    Compared in constant time; the hex may arrive in either case (VNPAY's samples differ).
    """
    received = str(params.get("vnp_SecureHash", "")).lower()
    if not received:
        return False
    return hmac.compare_digest(received, sign(params, secret))


def format_time(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("aware datetime required")
    return at.astimezone(GMT7).strftime(TIME_FORMAT)


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, TIME_FORMAT).replace(tzinfo=GMT7)


def order_info(text: str) -> str:
    """vnp_OrderInfo: Vietnamese without diacritics and without special characters.

    ``fold`` strips the diacritics (and lower-cases); characters VNPAY rejects become spaces.
    """
    ascii_text = _ORDER_INFO_DISALLOWED.sub(" ", fold(text))
    return " ".join(ascii_text.split())[:ORDER_INFO_MAX].strip()


def is_valid_txn_ref(value: str) -> bool:
    return bool(_TXN_REF.match(value))


def amount_param(amount_vnd: int) -> str:
    """vnp_Amount carries the amount × 100 (no decimal separator)."""
    if not isinstance(amount_vnd, int) or isinstance(amount_vnd, bool) or amount_vnd <= 0:
        raise ValueError("amount must be a positive whole number of VND")
    return str(amount_vnd * 100)


@dataclass(frozen=True)
class PaymentRequest:
    """What the merchant asks the gateway to collect (vnp_Command=pay)."""

    tmn_code: str
    amount_vnd: int
    txn_ref: str
    order_info: str
    return_url: str
    ip_addr: str
    created_at: dt.datetime
    expire_at: dt.datetime
    locale: str = "vn"
    order_type: str = ORDER_TYPE
    bank_code: str = ""

    def params(self) -> dict[str, str]:
        if self.locale not in ("vn", "en"):
            raise ValueError("vnp_Locale is 'vn' or 'en'")
        if not is_valid_txn_ref(self.txn_ref):
            raise ValueError("vnp_TxnRef must be 1-100 letters or digits")
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": COMMAND_PAY,
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": amount_param(self.amount_vnd),
            "vnp_CreateDate": format_time(self.created_at),
            "vnp_CurrCode": CURRENCY,
            "vnp_IpAddr": self.ip_addr,
            "vnp_Locale": self.locale,
            "vnp_OrderInfo": self.order_info,
            "vnp_OrderType": self.order_type,
            "vnp_ReturnUrl": self.return_url,
            "vnp_TxnRef": self.txn_ref,
            "vnp_ExpireDate": format_time(self.expire_at),
        }
        if self.bank_code:
            params["vnp_BankCode"] = self.bank_code
        return params


def payment_url(gateway_url: str, request: PaymentRequest, secret: str) -> str:
    separator = "&" if "?" in gateway_url else "?"
    return f"{gateway_url}{separator}{signed_query(request.params(), secret)}"


def url_with_query(url: str, params: Mapping[str, str]) -> str:
    """Append an already ordered mapping as a query string (used for redirects and IPN calls)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urlencode(list(params.items()))}"


def is_success(params: Mapping[str, str]) -> bool:
    """A payment succeeded only when both the response code and the transaction status say so."""
    return params.get("vnp_ResponseCode") == "00" and params.get("vnp_TransactionStatus") == "00"


def response_text(code: str) -> str:
    return RESPONSE_CODES.get(code, RESPONSE_CODES["99"])
