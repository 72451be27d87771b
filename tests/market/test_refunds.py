"""Market payments after the browser left, against the payment sandbox over real HTTP: a lost
IPN resolved by the periodic job (querydr), refunds on cancellation and dispute (partial
allowed, never twice)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from tests.market.conftest import place
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.market import refunds
from tinhso.market.models import (
    MarketPayment,
    MarketPaymentStatus,
    MarketRefund,
    MarketRefundStatus,
    Order,
)
from tinhso.market.orders import order_act
from tinhso.market.payments import market_vnpay_ipn, market_vnpay_start
from tinhso.outbox.models import OutboxEvent
from tinhso.payments import vnpay_api
from tinhso.payments.sandbox import SandboxApp

pytestmark = pytest.mark.django_db
SECRET = "MARKET-SANDBOX-SECRET-0123456789"
TMN = "CHOTEST1"
TOTAL = 2 * 250_000


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[SandboxApp, str]]:
    """The sandbox on a free port (a thread, so a test can switch its failure modes); its IPN
    goes nowhere: every IPN is lost unless a test hands it over itself."""
    app = SandboxApp(secret=SECRET, tmn_code=TMN, ipn_url="http://127.0.0.1:9/none",
                     ipn_mode="none")
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def gw(sandbox, settings) -> SandboxApp:
    app, base = sandbox
    app.api_failure = ""
    settings.TINHSO_VNPAY_HASH_SECRET = SECRET
    settings.TINHSO_VNPAY_TMN_CODE = TMN
    settings.TINHSO_VNPAY_URL = f"{base}/paymentv2/vpcpay.html"
    settings.TINHSO_VNPAY_API_URL = f"{base}{vnpay_api.API_PATH}"
    settings.TINHSO_VNPAY_API_TIMEOUT = 2
    settings.TINHSO_PUBLIC_URL = "https://tinhso.example"
    return app


def pay(order: Order, buyer, *, choice: str = "success") -> tuple[MarketPayment, dict]:
    """The buyer pays on the sandbox's page; returns the attempt and the signed answer."""
    started = market_vnpay_start(acting_user=buyer, order=order, ip_addr="198.51.100.7")
    url = urlsplit(started.payment_url)
    reply = httpx.post(f"{url.scheme}://{url.netloc}/paymentv2/choose",
                       data={"q": url.query, "choice": choice})
    assert reply.status_code == 302, reply.text
    return started.payment, dict(parse_qsl(urlsplit(reply.headers["location"]).query))


def expire(payment: MarketPayment) -> None:
    MarketPayment.objects.filter(pk=payment.pk).update(
        expires_at=timezone.now() - dt.timedelta(hours=1))


@pytest.fixture
def paid(gw, listing, buyer) -> Order:
    order = place(listing, buyer, quantity=2, method="vnpay")
    _, answer = pay(order, buyer)
    assert market_vnpay_ipn(answer)["RspCode"] == "00"
    order.refresh_from_db()
    assert order.paid_at is not None
    return order


def refunded_events(order: Order) -> int:
    return OutboxEvent.objects.filter(type="market.order_refunded",
                                      aggregate_id=str(order.pk)).count()


def test_a_lost_ipn_is_resolved_by_the_periodic_job(gw, listing, buyer):
    order = place(listing, buyer, quantity=2, method="vnpay")
    payment, answer = pay(order, buyer)
    assert refunds.market_payments_sweep().queried == 0  # not yet expired: left alone
    expire(payment)
    summary = refunds.market_payments_sweep()
    assert (summary.queried, summary.succeeded, summary.errors) == (1, 1, [])
    order.refresh_from_db()
    payment.refresh_from_db()
    assert payment.status == MarketPaymentStatus.SUCCEEDED and payment.ipn_received_at
    assert order.paid_at is not None and order.payment_reference == answer["vnp_TransactionNo"]
    assert order.events.filter(action="pay").count() == 1
    assert market_vnpay_ipn(answer)["RspCode"] == "02"  # the late IPN: already confirmed
    assert refunds.market_payments_sweep().queried == 0


def test_an_unpaid_expired_attempt_fails_and_a_bad_answer_changes_nothing(gw, listing, buyer):
    order = place(listing, buyer, quantity=1, method="vnpay")
    never = market_vnpay_start(acting_user=buyer, order=order, ip_addr="1.2.3.4").payment
    expire(never)
    gw.api_failure = "error"  # a signed "99": nothing is known
    assert refunds.market_payments_sweep().failed == 0
    assert MarketPayment.objects.get(pk=never.pk).status == MarketPaymentStatus.PENDING
    gw.api_failure = ""
    assert refunds.market_payments_sweep().failed == 1
    assert MarketPayment.objects.get(pk=never.pk).status == MarketPaymentStatus.FAILED
    order.refresh_from_db()
    assert order.paid_at is None


def test_a_cancelled_paid_order_is_refunded_once(paid, seller, officer,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order_act(acting_user=seller.owner, order=paid, action="cancel", reason="Hết hàng")
    paid.refresh_from_db()
    (refund,) = MarketRefund.objects.filter(order=paid)
    assert (refund.status, refund.amount, refund.full) == (MarketRefundStatus.SUCCEEDED, TOTAL,
                                                           True)
    assert not paid.needs_refund and refunded_events(paid) == 1
    assert refunds.market_payments_sweep().refunds_sent == 0
    with pytest.raises(Conflict) as caught:
        refunds.market_refund(acting_user=officer, order=paid, reason="Hoàn lần nữa")
    assert caught.value.code == "NOTHING_TO_REFUND"
    assert MarketRefund.objects.filter(order=paid).count() == 1


def test_a_refund_the_gateway_could_not_take_is_sent_by_the_job(paid, seller, gw, settings):
    api_url = settings.TINHSO_VNPAY_API_URL
    settings.TINHSO_VNPAY_API_URL = "http://127.0.0.1:9/merchant_webapi/api/transaction"
    order_act(acting_user=seller.owner, order=paid, action="cancel", reason="Hết hàng")
    summary = refunds.market_payments_sweep()
    assert summary.refunds_sent == 0 and len(summary.errors) == 1
    (pending,) = MarketRefund.objects.filter(order=paid)
    assert pending.status == MarketRefundStatus.PENDING
    settings.TINHSO_VNPAY_API_URL = api_url
    assert refunds.market_payments_sweep().refunds_sent == 1
    pending.refresh_from_db()
    assert pending.status == MarketRefundStatus.SUCCEEDED and refunded_events(paid) == 1


def test_a_refund_answered_too_late_is_never_paid_twice(paid, seller, gw):
    gw.api_failure, gw.slow_seconds = "slow", 3.0  # the gateway refunds, our call times out
    order_act(acting_user=seller.owner, order=paid, action="cancel", reason="Hết hàng")
    assert len(refunds.market_payments_sweep().errors) == 1
    gw.api_failure = ""
    assert refunds.market_payments_sweep().refunds_sent == 0  # sent again: "94", once only
    (refund,) = MarketRefund.objects.filter(order=paid)
    assert (refund.status, refund.response_code) == (MarketRefundStatus.PENDING, "94")
    txn = gw.transactions[paid.payments.get().txn_ref]
    assert [r.amount for r in txn.refunds] == [TOTAL * 100]
    assert refunds.market_payments_sweep().refunds_sent == 0  # left for an officer


def test_partial_refunds_of_a_dispute_never_exceed_the_payment(paid, seller, buyer, officer,
                                                               gw):
    for action, who in (("confirm", seller.owner), ("ship", seller.owner),
                        ("dispute", buyer)):
        order_act(acting_user=who, order=paid, action=action, reason="Thiếu 1 kg")
    paid.refresh_from_db()
    with pytest.raises(PermissionDenied):
        refunds.market_refund(acting_user=buyer, order=paid, reason="Tự hoàn")
    (part,) = refunds.market_refund(acting_user=officer, order=paid, reason="Bù 1 kg thiếu",
                                    amount=100_000)
    assert part.status == MarketRefundStatus.SUCCEEDED and not part.full
    for amount in (0, TOTAL - 100_000 + 1):
        with pytest.raises(ValidationFailed) as caught:
            refunds.market_refund(acting_user=officer, order=paid, reason="Sai số tiền",
                                  amount=amount)
        assert caught.value.code == "INVALID_REFUND_AMOUNT"
    gw.api_failure = "refund-refused"
    (refused,) = refunds.market_refund(acting_user=officer, order=paid, reason="Bị từ chối",
                                       amount=50_000)
    assert refused.status == MarketRefundStatus.FAILED and refused.response_code == "95"
    gw.api_failure = ""
    (rest,) = refunds.market_refund(acting_user=officer, order=paid, reason="Hoàn phần còn lại")
    assert rest.amount == TOTAL - 100_000 and rest.status == MarketRefundStatus.SUCCEEDED
    with pytest.raises(Conflict):
        refunds.market_refund(acting_user=officer, order=paid, reason="Lần nữa")
    assert refunded_events(paid) == 2


def test_the_refund_api_for_market_officers(paid, seller, buyer, officer):
    order_act(acting_user=seller.owner, order=paid, action="cancel", reason="Hết hàng")
    officer_client = Client()
    officer_client.force_login(officer)
    url = f"/api/v1/market/orders/{paid.code}/refund"
    reply = officer_client.post(url, {"reason": "Hoàn một phần", "amount": 1000},
                                content_type="application/json")
    assert reply.status_code == 201, reply.content
    assert reply.json()[0]["status"] == "succeeded" and reply.json()[0]["amount"] == 1000
    buyer_client = Client()
    buyer_client.force_login(buyer)
    assert buyer_client.post(url, {"reason": "Tự hoàn tiền"},
                             content_type="application/json").status_code == 403
    too_much = officer_client.post(url, {"reason": "Quá số tiền", "amount": TOTAL},
                                   content_type="application/json")
    assert too_much.status_code == 422 and too_much.json()["code"] == "INVALID_REFUND_AMOUNT"


def test_the_order_page_refund_form_for_market_officers(paid, seller, buyer, officer):
    order_act(acting_user=seller.owner, order=paid, action="cancel", reason="Hết hàng")
    client = Client()
    client.force_login(officer)
    page = client.get(f"/cho-nong-san/don-hang/{paid.code}/").content.decode()
    assert "Hoàn tiền qua VNPAY" in page
    client.post(f"/cho-nong-san/don-hang/{paid.code}/hoan-tien/",
                {"amount": "200000", "reason": "Hoàn một phần theo thỏa thuận"})
    client.post(f"/cho-nong-san/don-hang/{paid.code}/hoan-tien/",
                {"amount": "", "reason": "Phần còn lại"})
    assert sorted(MarketRefund.objects.filter(order=paid).values_list("amount", flat=True)) == [
        200_000, TOTAL - 200_000]
    page = client.get(f"/cho-nong-san/don-hang/{paid.code}/").content.decode()
    assert "200.000" in page and "Đã hoàn tiền" in page
    buyer_client = Client()
    buyer_client.force_login(buyer)
    assert "Hoàn tiền qua VNPAY" not in buyer_client.get(
        f"/cho-nong-san/don-hang/{paid.code}/").content.decode()
    buyer_client.post(f"/cho-nong-san/don-hang/{paid.code}/hoan-tien/", {"reason": "Tự hoàn"})
    assert MarketRefund.objects.filter(order=paid).count() == 2
