"""The VNPAY 2.1.0 signing rule and payment parameters, without a database."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinhso.payments import vnpay

# The example of VNPAY's integration guide (a pay URL for TmnCode DEMOV210), as parameters …
DOC_PARAMS = {
    "vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": "DEMOV210",
    "vnp_Amount": "1806000", "vnp_CreateDate": "20210801153333", "vnp_CurrCode": "VND",
    "vnp_IpAddr": "127.0.0.1", "vnp_Locale": "vn", "vnp_OrderInfo": "Thanh toan don hang :5",
    "vnp_OrderType": "other", "vnp_ReturnUrl": "https://domainmerchant.vn/ReturnUrl",
    "vnp_TxnRef": "5",
}
# … and the query string the guide shows for them (sorted keys, values form-encoded).
DOC_QUERY = (
    "vnp_Amount=1806000&vnp_Command=pay&vnp_CreateDate=20210801153333&vnp_CurrCode=VND"
    "&vnp_IpAddr=127.0.0.1&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+don+hang+%3A5"
    "&vnp_OrderType=other&vnp_ReturnUrl=https%3A%2F%2Fdomainmerchant.vn%2FReturnUrl"
    "&vnp_TmnCode=DEMOV210&vnp_TxnRef=5&vnp_Version=2.1.0"
)
KAT_SECRET = "KNOWN-ANSWER-SECRET-2026"
KAT_HASH = (
    "3c6b8a4dfdc522cba3dbca8afbc6d806351dd091ee1fe23af2c26d9e18e6adda"
    "464a136117da2c684592bdfe367af7525eab596d3b6a921d6f638530788a5044"
)


def test_signature_known_answer() -> None:
    assert vnpay.canonical_query(DOC_PARAMS) == DOC_QUERY
    independent = hmac.new(KAT_SECRET.encode(), DOC_QUERY.encode(), hashlib.sha512).hexdigest()
    assert independent == KAT_HASH
    assert vnpay.sign(DOC_PARAMS, KAT_SECRET) == KAT_HASH
    assert vnpay.signed_query(DOC_PARAMS, KAT_SECRET) == f"{DOC_QUERY}&vnp_SecureHash={KAT_HASH}"


def test_hash_keys_and_foreign_keys_are_not_signed() -> None:
    noisy = {**DOC_PARAMS, "vnp_SecureHash": "x", "vnp_SecureHashType": "HmacSHA512",
             "utm_source": "mail"}
    assert vnpay.sign(noisy, KAT_SECRET) == KAT_HASH


def test_verify_accepts_either_case_and_rejects_tampering() -> None:
    params = {**DOC_PARAMS, "vnp_SecureHash": KAT_HASH.upper()}
    assert vnpay.verify(params, KAT_SECRET)
    assert not vnpay.verify({**params, "vnp_Amount": "1806100"}, KAT_SECRET)
    assert not vnpay.verify(params, "another-secret-of-some-length")
    assert not vnpay.verify(DOC_PARAMS, KAT_SECRET)  # no hash at all


values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=40)


@given(order_info=values, return_url=values)
def test_signed_query_survives_url_decoding(order_info: str, return_url: str) -> None:
    """What the receiver parses from the query string (as Django's QueryDict does) verifies."""
    params = {**DOC_PARAMS, "vnp_OrderInfo": order_info, "vnp_ReturnUrl": return_url}
    parsed = dict(parse_qsl(vnpay.signed_query(params, KAT_SECRET), keep_blank_values=True))
    assert vnpay.verify(parsed, KAT_SECRET)
    if order_info != "x":
        assert not vnpay.verify({**parsed, "vnp_OrderInfo": "x"}, KAT_SECRET)


@given(st.text(max_size=400))
def test_order_info_is_plain_ascii(text: str) -> None:
    info = vnpay.order_info(text)
    assert info.isascii() and len(info) <= vnpay.ORDER_INFO_MAX
    assert all(ch.isalnum() or ch in " .,:_-" for ch in info)


def test_order_info_folds_vietnamese() -> None:
    assert vnpay.order_info("Thanh toán phí hồ sơ 000.00.01.H10-260302-0001: Đăng ký khai sinh"
                            ) == "thanh toan phi ho so 000.00.01.h10-260302-0001: dang ky khai sinh"
    assert vnpay.order_info("Lệ phí & <phí> #1") == "le phi phi 1"


def test_payment_request_parameters() -> None:
    created = dt.datetime(2026, 3, 2, 1, 0, 5, tzinfo=dt.UTC)  # 08:00:05 in Hà Nội
    request = vnpay.PaymentRequest(
        tmn_code="TESTTMN1", amount_vnd=50_000, txn_ref="12TABCDEF0123", order_info="phi",
        return_url="http://x/ret", ip_addr="203.0.113.7", created_at=created,
        expire_at=created + dt.timedelta(minutes=15),
    )
    params = request.params()
    assert params["vnp_Amount"] == "5000000"
    assert params["vnp_CreateDate"] == "20260302080005"
    assert params["vnp_ExpireDate"] == "20260302081505"
    assert params["vnp_Version"] == "2.1.0" and params["vnp_Command"] == "pay"
    assert params["vnp_CurrCode"] == "VND" and params["vnp_Locale"] == "vn"
    assert "vnp_BankCode" not in params  # empty optional parameters are not sent
    url = vnpay.payment_url("https://pay.example/vpcpay.html", request, KAT_SECRET)
    parts = urlsplit(url)
    assert parts.path == "/vpcpay.html"
    parsed = dict(parse_qsl(parts.query))
    assert {k: v for k, v in parsed.items() if k != "vnp_SecureHash"} == params
    assert vnpay.verify(parsed, KAT_SECRET)


@pytest.mark.parametrize("change", [{"locale": "fr"}, {"amount_vnd": 0}, {"amount_vnd": -5},
                                    {"txn_ref": "12-34"}, {"txn_ref": ""}])
def test_payment_request_rejects_bad_values(change: dict) -> None:
    now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    fields = {"tmn_code": "T", "amount_vnd": 1, "txn_ref": "1", "order_info": "a",
              "return_url": "http://x", "ip_addr": "127.0.0.1", "created_at": now,
              "expire_at": now, **change}
    with pytest.raises(ValueError):
        vnpay.PaymentRequest(**fields).params()


def test_success_needs_both_codes() -> None:
    assert vnpay.is_success({"vnp_ResponseCode": "00", "vnp_TransactionStatus": "00"})
    assert not vnpay.is_success({"vnp_ResponseCode": "00", "vnp_TransactionStatus": "02"})
    assert not vnpay.is_success({"vnp_ResponseCode": "24", "vnp_TransactionStatus": "00"})
    assert not vnpay.is_success({})


def test_time_round_trip() -> None:
    at = dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC)
    assert vnpay.format_time(at) == "20270101003000"
    assert vnpay.parse_time("20270101003000") == at
    with pytest.raises(ValueError):
        vnpay.format_time(dt.datetime(2026, 1, 1))  # naive
