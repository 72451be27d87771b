"""The VNPAY sandbox's merchant web API: ``querydr`` and ``refund`` (local, not real money).

Mixed into ``sandbox.SandboxApp``. It answers from the sandbox's in-memory transactions with
the real gateway's codes and checksums, and can be told to misbehave (``api_failure``) so the
merchant's handling of each failure is tested against a real HTTP peer:

- ``checksum``: answers with a wrong vnp_SecureHash;
- ``error``: answers vnp_ResponseCode 99;
- ``slow``: waits ``slow_seconds`` before answering (the merchant's time-out);
- ``refund-refused``: refunds answer 95.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from tinhso.payments import vnpay_api

API_FAILURES = ("", "checksum", "error", "slow", "refund-refused")


@dataclass
class SandboxRefund:
    request_id: str
    amount: int  # × 100, as on the wire
    transaction_no: str
    status: str


class SandboxMerchantApi:
    secret: str
    tmn_code: str
    transactions: dict[str, Any]
    lock: Any
    api_failure: str = ""
    slow_seconds: float = 2.0

    def merchant_api(self, body: bytes) -> dict[str, str]:
        try:
            message = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            message = None
        if not isinstance(message, dict):
            return self._api_reply({}, vnpay_api.API_INVALID_FORMAT, "")
        message = {str(k): str(v) for k, v in message.items()}
        command = message.get("vnp_Command", "")
        if command not in (vnpay_api.COMMAND_QUERY, vnpay_api.COMMAND_REFUND):
            return self._api_reply(message, vnpay_api.API_INVALID_FORMAT, command)
        if not vnpay_api.verify(message, vnpay_api.request_fields(command), self.secret):
            return self._api_reply(message, vnpay_api.API_INVALID_CHECKSUM, command)
        if message.get("vnp_TmnCode") != self.tmn_code:
            return self._api_reply(message, vnpay_api.API_INVALID_MERCHANT, command)
        if self.api_failure == "slow":
            time.sleep(self.slow_seconds)
        if self.api_failure == "error":
            return self._api_reply(message, vnpay_api.API_OTHER, command)
        with self.lock:
            txn = self.transactions.get(message.get("vnp_TxnRef", ""))
        if txn is None:
            return self._api_reply(message, vnpay_api.API_NOT_FOUND, command)
        if command == vnpay_api.COMMAND_QUERY:
            return self._api_reply(message, vnpay_api.API_OK, command, txn=txn)
        return self._refund(message, txn)

    def _refund(self, message: dict[str, str], txn: Any) -> dict[str, str]:
        command = vnpay_api.COMMAND_REFUND
        paid = txn.response.get("vnp_TransactionStatus") == vnpay_api.TXN_SUCCESS
        if self.api_failure == "refund-refused" or not paid:
            return self._api_reply(message, vnpay_api.API_REFUND_REFUSED, command, txn=txn)
        amount = message.get("vnp_Amount", "")
        with self.lock:
            refunds: list[SandboxRefund] = txn.__dict__.setdefault("refunds", [])
            if any(r.request_id == message.get("vnp_RequestId") for r in refunds):
                return self._api_reply(message, vnpay_api.API_DUPLICATE, command, txn=txn)
            already = sum(r.amount for r in refunds)
            if (not amount.isdigit() or int(amount) <= 0
                    or already + int(amount) > int(txn.request["vnp_Amount"])):
                return self._api_reply(message, vnpay_api.API_INVALID_FORMAT, command, txn=txn)
            refund = SandboxRefund(request_id=message["vnp_RequestId"], amount=int(amount),
                                   transaction_no=str(10_000_000 + secrets.randbelow(89_999_999)),
                                   status=vnpay_api.TXN_REFUND_SENT)
            refunds.append(refund)
        return self._api_reply(message, vnpay_api.API_OK, command, txn=txn, refund=refund)

    def _api_reply(self, request: dict[str, str], code: str, command: str, *, txn: Any = None,
                   refund: SandboxRefund | None = None) -> dict[str, str]:
        reply = {
            "vnp_ResponseId": secrets.token_hex(16),
            "vnp_Command": command,
            "vnp_ResponseCode": code,
            "vnp_Message": vnpay_api.API_MESSAGES.get(code, vnpay_api.API_MESSAGES["99"]),
            "vnp_TmnCode": request.get("vnp_TmnCode", ""),
            "vnp_TxnRef": request.get("vnp_TxnRef", ""),
        }
        if txn is not None and code == vnpay_api.API_OK:
            response = txn.response
            reply.update({
                "vnp_Amount": refund and str(refund.amount) or txn.request["vnp_Amount"],
                "vnp_OrderInfo": txn.request.get("vnp_OrderInfo", ""),
                "vnp_BankCode": response.get("vnp_BankCode", ""),
                "vnp_PayDate": response.get("vnp_PayDate", ""),
                "vnp_TransactionNo": (refund.transaction_no if refund
                                      else response.get("vnp_TransactionNo", "")),
                "vnp_TransactionType": (request.get("vnp_TransactionType", "")
                                        if refund else vnpay_api.TYPE_PAYMENT),
                "vnp_TransactionStatus": (refund.status if refund
                                          else response.get("vnp_TransactionStatus", "")),
            })
            if command == vnpay_api.COMMAND_QUERY:
                reply.update({"vnp_PromotionCode": "", "vnp_PromotionAmount": ""})
        reply = vnpay_api.sign_response(reply, command or vnpay_api.COMMAND_QUERY, self.secret)
        if self.api_failure == "checksum":
            reply["vnp_SecureHash"] = "0" * 128
        return reply

