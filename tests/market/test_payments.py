"""Paying a market order through the platform's VNPAY channel: the shared protocol, the one
IPN URL of the terminal (routed by the ``CHO`` prefix), the return page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.market.conftest import place
from tinhso.core.errors import Conflict, NotFound
from tinhso.market.models import MarketPayment, Order, OrderEvent
from tinhso.market.orders import allowed_actions, order_act
from tinhso.market.payments import market_vnpay_start
from tinhso.outbox.models import OutboxEvent
from tinhso.payments import services as payment_services
from tinhso.payments import vnpay

pytestmark = pytest.mark.django_db

SECRET = "TEST-HASH-SECRET-0123456789ABCDEF"
TMN = "TESTTMN1"


@pytest.fixture(autouse=True)
def _gateway(settings) -> None:
    settings.TINHSO_VNPAY_HASH_SECRET = SECRET
    settings.TINHSO_VNPAY_TMN_CODE = TMN
    settings.TINHSO_VNPAY_URL = "https://sandbox.example/paymentv2/vpcpay.html"
    settings.TINHSO_PUBLIC_URL = "https://tinhso.example"


def ipn(payment: MarketPayment, *, code: str = "00", amount: int | None = None,
        secret: str = SECRET) -> dict[str, str]:
    params = {"vnp_Amount": str((payment.amount if amount is None else amount) * 100),
              "vnp_BankCode": "NCB", "vnp_ResponseCode": code, "vnp_TmnCode": TMN,
              "vnp_TransactionNo": "14226112", "vnp_TransactionStatus": code,
              "vnp_TxnRef": payment.txn_ref, "vnp_PayDate": "20261206093000"}
    params["vnp_SecureHash"] = vnpay.sign(params, secret)
    return params


@pytest.fixture
def started(listing, buyer):
    order = place(listing, buyer, quantity=2, method="vnpay")
    return market_vnpay_start(acting_user=buyer, order=order, ip_addr="198.51.100.7")


def test_start_signs_a_gateway_url_for_the_order_total(started):
    url = urlsplit(started.payment_url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["vnp_Amount"] == str(500_000 * 100)
    assert query["vnp_TxnRef"].startswith("CHO")
    assert query["vnp_ReturnUrl"] == "https://tinhso.example/cho-nong-san/thanh-toan/ket-qua"
    assert vnpay.verify(query, SECRET)


def test_ipn_through_the_terminals_one_url_marks_the_order_paid(started, seller):
    reply = Client().get("/thanh-toan/vnpay/ipn", ipn(started.payment)).json()
    assert reply == {"RspCode": "00", "Message": "Confirm Success"}
    order = Order.objects.get(pk=started.payment.order_id)
    assert order.paid_at is not None and order.payment_reference == "14226112"
    assert OrderEvent.objects.filter(order=order, action="pay").count() == 1
    assert OutboxEvent.objects.filter(type="market.order_paid").count() == 1
    assert "confirm" in allowed_actions(seller.owner, order)
    again = payment_services.payment_vnpay_ipn(params=ipn(started.payment))
    assert again["RspCode"] == "02"


def test_bad_signature_amount_and_reference(started):
    assert payment_services.payment_vnpay_ipn(
        params=ipn(started.payment, secret="wrong-secret-0123456789"))["RspCode"] == "97"
    assert payment_services.payment_vnpay_ipn(
        params=ipn(started.payment, amount=1))["RspCode"] == "04"
    unknown = ipn(started.payment)
    unknown["vnp_TxnRef"] = "CHO999T00"
    unknown["vnp_SecureHash"] = vnpay.sign(unknown, SECRET)
    assert payment_services.payment_vnpay_ipn(params=unknown)["RspCode"] == "01"
    assert Order.objects.get(pk=started.payment.order_id).paid_at is None


def test_failed_payment_leaves_the_order_unpaid(started):
    assert payment_services.payment_vnpay_ipn(params=ipn(started.payment, code="24"))[
        "RspCode"] == "00"
    assert MarketPayment.objects.get(pk=started.payment.pk).status == "failed"
    assert Order.objects.get(pk=started.payment.order_id).paid_at is None


def test_paid_then_cancelled_order_needs_a_refund(started, seller):
    payment_services.payment_vnpay_ipn(params=ipn(started.payment))
    order = Order.objects.get(pk=started.payment.order_id)
    order = order_act(acting_user=seller.owner, order=order, action="cancel", reason="hết hàng")
    assert order.needs_refund


def test_only_the_buyer_starts_a_payment_of_an_unpaid_online_order(listing, buyer, buyer2):
    cod = place(listing, buyer)
    with pytest.raises(Conflict):
        market_vnpay_start(acting_user=buyer, order=cod, ip_addr="1.2.3.4")
    online = place(listing, buyer, method="vnpay")
    with pytest.raises(NotFound):
        market_vnpay_start(acting_user=buyer2, order=online, ip_addr="1.2.3.4")


def test_return_page_shows_the_state(started):
    client = Client()
    params = ipn(started.payment)
    assert "đang xác nhận" in client.get("/cho-nong-san/thanh-toan/ket-qua", params).content \
        .decode()
    client.get("/thanh-toan/vnpay/ipn", params)
    page = client.get("/cho-nong-san/thanh-toan/ket-qua", params).content.decode()
    assert "đã được thanh toán" in page
    tampered = {**params, "vnp_Amount": "1"}
    assert client.get("/cho-nong-san/thanh-toan/ket-qua", tampered).status_code == 400


def test_dossier_fee_ipns_still_go_to_the_payments_app(started):
    params = ipn(started.payment)
    params["vnp_TxnRef"] = "12T0000000000"
    params["vnp_SecureHash"] = vnpay.sign(params, SECRET)
    assert payment_services.payment_vnpay_ipn(params=params)["RspCode"] == "01"
