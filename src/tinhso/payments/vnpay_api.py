"""VNPAY merchant web API 2.1.0: transaction query (``querydr``) and refund (``refund``).

Both are JSON POSTs to one endpoint (``/merchant_webapi/api/transaction``). Unlike the payment
URL, their checksums are NOT over the sorted query string: each message signs a fixed list of
fields joined by ``|`` (empty string for an absent field, never dropped), HMAC-SHA512 hex with the
terminal's hash secret. The field orders below are VNPAY's; they differ between request and
response and between the two commands, and the response of ``querydr`` ends with the two
promotion fields even when they are empty.

Pure functions shared by the merchant (``services_gateway``) and the sandbox, so both sides sign
exactly the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tinhso.payments.vnpay import VERSION, amount_param, format_time

API_PATH = "/merchant_webapi/api/transaction"
COMMAND_QUERY = "querydr"
COMMAND_REFUND = "refund"

QUERY_REQUEST_FIELDS = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef",
    "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)
QUERY_RESPONSE_FIELDS = (
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
    "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
    "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode",
    "vnp_PromotionAmount",
)
REFUND_REQUEST_FIELDS = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType",
    "vnp_TxnRef", "vnp_Amount", "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy",
    "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)
REFUND_RESPONSE_FIELDS = QUERY_RESPONSE_FIELDS[:13]

# vnp_TransactionType
TYPE_PAYMENT = "01"
TYPE_FULL_REFUND = "02"
TYPE_PARTIAL_REFUND = "03"

# vnp_ResponseCode of the merchant web API (the request's fate, not the transaction's).
API_OK = "00"
API_INVALID_MERCHANT = "02"
API_INVALID_FORMAT = "03"
API_NOT_FOUND = "91"
API_DUPLICATE = "94"
API_REFUND_REFUSED = "95"
API_INVALID_CHECKSUM = "97"
API_OTHER = "99"
API_MESSAGES = {
    API_OK: "Yêu cầu thành công",
    API_INVALID_MERCHANT: "Mã định danh kết nối không hợp lệ (vnp_TmnCode)",
    API_INVALID_FORMAT: "Dữ liệu gửi sang không đúng định dạng",
    API_NOT_FOUND: "Không tìm thấy giao dịch yêu cầu",
    API_DUPLICATE: "Yêu cầu trùng lặp trong thời gian giới hạn",
    API_REFUND_REFUSED: "Giao dịch này không thành công bên VNPAY, VNPAY từ chối xử lý",
    API_INVALID_CHECKSUM: "Checksum không hợp lệ",
    API_OTHER: "Lỗi khác",
}

# vnp_TransactionStatus (the transaction's state at the gateway).
TXN_SUCCESS = "00"
TXN_INCOMPLETE = "01"
TXN_FAILED = "02"
TXN_REVERSED = "04"
TXN_REFUND_PROCESSING = "05"
TXN_REFUND_SENT = "06"
TXN_SUSPECTED = "07"
TXN_REFUND_REFUSED = "09"


def checksum_data(message: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    return "|".join(str(message.get(name, "") or "") for name in fields)


def checksum(message: Mapping[str, Any], fields: tuple[str, ...], secret: str) -> str:
    data = checksum_data(message, fields).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha512).hexdigest()


def verify(message: Mapping[str, Any], fields: tuple[str, ...], secret: str) -> bool:
    received = str(message.get("vnp_SecureHash", "")).lower()
    return bool(received) and hmac.compare_digest(received, checksum(message, fields, secret))


def request_id() -> str:
    """vnp_RequestId: unique per request and merchant within the day, at most 32 characters."""
    return secrets.token_hex(16)


def _signed(message: dict[str, str], fields: tuple[str, ...], secret: str) -> dict[str, str]:
    message["vnp_SecureHash"] = checksum(message, fields, secret)
    return message


@dataclass(frozen=True)
class QueryRequest:
    tmn_code: str
    txn_ref: str
    transaction_date: dt.datetime  # vnp_CreateDate of the payment being asked about
    ip_addr: str
    order_info: str
    created_at: dt.datetime
    transaction_no: str = ""

    def message(self, secret: str, *, req_id: str | None = None) -> dict[str, str]:
        message = {
            "vnp_RequestId": req_id or request_id(),
            "vnp_Version": VERSION,
            "vnp_Command": COMMAND_QUERY,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": self.txn_ref,
            "vnp_OrderInfo": self.order_info,
            "vnp_TransactionDate": format_time(self.transaction_date),
            "vnp_CreateDate": format_time(self.created_at),
            "vnp_IpAddr": self.ip_addr,
        }
        if self.transaction_no:
            message["vnp_TransactionNo"] = self.transaction_no
        return _signed(message, QUERY_REQUEST_FIELDS, secret)


@dataclass(frozen=True)
class RefundRequest:
    tmn_code: str
    txn_ref: str
    amount_vnd: int
    full: bool
    transaction_no: str
    transaction_date: dt.datetime
    create_by: str
    ip_addr: str
    order_info: str
    created_at: dt.datetime

    def message(self, secret: str, *, req_id: str | None = None) -> dict[str, str]:
        message = {
            "vnp_RequestId": req_id or request_id(),
            "vnp_Version": VERSION,
            "vnp_Command": COMMAND_REFUND,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TransactionType": TYPE_FULL_REFUND if self.full else TYPE_PARTIAL_REFUND,
            "vnp_TxnRef": self.txn_ref,
            "vnp_Amount": amount_param(self.amount_vnd),
            "vnp_OrderInfo": self.order_info,
            "vnp_TransactionNo": self.transaction_no,
            "vnp_TransactionDate": format_time(self.transaction_date),
            "vnp_CreateBy": self.create_by,
            "vnp_CreateDate": format_time(self.created_at),
            "vnp_IpAddr": self.ip_addr,
        }
        return _signed(message, REFUND_REQUEST_FIELDS, secret)


def response_fields(command: str) -> tuple[str, ...]:
    return QUERY_RESPONSE_FIELDS if command == COMMAND_QUERY else REFUND_RESPONSE_FIELDS


def sign_response(message: dict[str, str], command: str, secret: str) -> dict[str, str]:
    return _signed(message, response_fields(command), secret)


def request_fields(command: str) -> tuple[str, ...]:
    return QUERY_REQUEST_FIELDS if command == COMMAND_QUERY else REFUND_REQUEST_FIELDS
