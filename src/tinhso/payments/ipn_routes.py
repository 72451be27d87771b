"""Other apps' VNPAY transactions on the same merchant terminal (one IPN URL per terminal).

An app whose transaction references start with its own prefix (letters: the dossier fees'
references start with a digit) registers a handler at start-up; the IPN view hands it every
notification whose signature checked out and whose ``vnp_TxnRef`` starts with that prefix.
The handler returns the reply for the gateway, exactly like ``payment_vnpay_ipn``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

IpnHandler = Callable[[Mapping[str, str], str], dict[str, str]]
_ROUTES: dict[str, IpnHandler] = {}


def register(prefix: str, handler: IpnHandler) -> None:
    if not prefix.isalpha():
        raise ValueError("an IPN route prefix is letters only")
    _ROUTES[prefix] = handler


def handler_for(txn_ref: str) -> IpnHandler | None:
    for prefix, handler in _ROUTES.items():
        if txn_ref.startswith(prefix):
            return handler
    return None
