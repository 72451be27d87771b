"""The VNPAY sandbox (local, not real money) as a WSGI app, without a network."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from django.core.management import CommandError, call_command

from tinhso.payments import vnpay
from tinhso.payments.sandbox import NAME, SandboxApp

SECRET = "SANDBOX-UNIT-TEST-SECRET-123456"
TMN = "SANDBOX1"


def request(**overrides) -> vnpay.PaymentRequest:
    now = dt.datetime.now(dt.UTC)
    fields = {"tmn_code": TMN, "amount_vnd": 75_000, "txn_ref": "7TABCDEF1234",
              "order_info": "thanh toan phi ho so x", "return_url": "http://merchant/ret?a=1",
              "ip_addr": "127.0.0.1", "created_at": now,
              "expire_at": now + dt.timedelta(minutes=15), **overrides}
    return vnpay.PaymentRequest(**fields)


@pytest.fixture
def sandbox() -> SandboxApp:
    return SandboxApp(secret=SECRET, tmn_code=TMN, ipn_url="http://merchant/ipn",
                      ipn_mode="none")


@pytest.fixture
def http(sandbox) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url="http://sandbox")


def pay_url(req: vnpay.PaymentRequest, secret: str = SECRET) -> str:
    return vnpay.payment_url("http://sandbox/paymentv2/vpcpay.html", req, secret)


def form_of(page: str) -> tuple[str, dict[str, str]]:
    action = re.search(r"<form method='post' action='([^']+)'>", page).group(1)
    hidden = dict(re.findall(r"<input type='hidden' name='(\w+)' value='([^']*)'>", page))
    return action, {k: unescape(v) for k, v in hidden.items()}


def test_payment_page_shows_the_order(http):
    page = http.get(pay_url(request()))
    assert page.status_code == 200
    text = page.text
    assert NAME in text and "75.000 đ" in text and "thanh toan phi ho so x" in text
    for label in ("Thanh toán thành công", "Hủy", "Lỗi"):
        assert label in text


@pytest.mark.parametrize(("choice", "response_code", "status"), [
    ("success", "00", "00"), ("cancel", "24", "02"), ("error", "51", "02")])
def test_choice_redirects_with_a_signed_response(http, sandbox, choice, response_code, status):
    action, fields = form_of(http.get(pay_url(request())).text)
    response = http.post(action, data={**fields, "choice": choice})
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "http://merchant/ret"
    params = dict(parse_qsl(location.query))
    assert params.pop("a") == "1"  # the merchant's own query survives
    assert vnpay.verify(params, SECRET)
    assert params["vnp_ResponseCode"] == response_code
    assert params["vnp_TransactionStatus"] == status
    assert params["vnp_Amount"] == "7500000" and params["vnp_TxnRef"] == "7TABCDEF1234"
    assert (params["vnp_TransactionNo"] != "0") == (choice == "success")
    # The same transaction cannot be paid twice.
    again = http.post(action, data={**fields, "choice": "success"})
    assert again.status_code == 400 and "đã tồn tại" in again.text


@pytest.mark.parametrize(("req", "secret", "message"), [
    (request(), "WRONG-SECRET-OF-SOME-LENGTH", "Sai chữ ký"),
    (request(tmn_code="OTHER123"), SECRET, "vnp_TmnCode"),
    (request(expire_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)), SECRET,
     "quá thời gian"),
])
def test_invalid_requests_are_refused(http, req, secret, message):
    page = http.get(pay_url(req, secret))
    assert page.status_code == 400 and message in page.text
    assert "Thanh toán thành công" not in page.text


def test_tampered_form_is_refused(http):
    action, fields = form_of(http.get(pay_url(request())).text)
    fields["q"] = fields["q"].replace("vnp_Amount=7500000", "vnp_Amount=100")
    assert http.post(action, data={**fields, "choice": "success"}).status_code == 400
    assert http.post(action, data={**fields, "choice": "steal"}).status_code == 400


def test_ipn_failure_is_reported_not_fatal(sandbox, http):
    sandbox.ipn_mode = "before"
    sandbox.ipn_url = "http://127.0.0.1:9/ipn"  # discard port: nothing listens
    sandbox.http_timeout = 1.0
    sandbox.retry_pause = 0.0
    action, fields = form_of(http.get(pay_url(request())).text)
    response = http.post(action, data={**fields, "choice": "success"})
    assert response.status_code == 302
    txn = sandbox.transactions["7TABCDEF1234"]
    assert len(txn.ipn_results) == 1 and "Error" in txn.ipn_results[0]
    assert "7TABCDEF1234" in http.get("/").text


def test_sandbox_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="TINHSO_PRODUCTION"):
        call_command("payment_sandbox", "--port", "0")


def test_ipn_is_signed_and_retried_on_99(sandbox, http):
    """The notification the merchant receives verifies; a 99 reply is retried, a 02 is not."""
    received: list[dict[str, str]] = []
    replies = iter(["99", "00", "02"])

    def merchant(req: httpx.Request) -> httpx.Response:
        assert req.method == "GET" and req.url.path == "/ipn"
        received.append(dict(req.url.params))
        return httpx.Response(200, json={"RspCode": next(replies), "Message": "x"})

    sandbox.http = httpx.Client(transport=httpx.MockTransport(merchant))
    sandbox.ipn_mode = "before"
    sandbox.retry_pause = 0.0
    action, fields = form_of(http.get(pay_url(request())).text)
    redirect = http.post(action, data={**fields, "choice": "success"})
    assert redirect.status_code == 302
    assert len(received) == 2 and received[0] == received[1]
    assert vnpay.verify(received[0], SECRET) and vnpay.is_success(received[0])
    back = dict(parse_qsl(urlsplit(redirect.headers["location"]).query))
    back.pop("a")
    assert back == received[0]  # the browser and the IPN carry the same signed result
    assert sandbox.transactions["7TABCDEF1234"].ipn_results == ["HTTP 200 RspCode=00"]
    assert http.post("/resend-ipn", data={"txn_ref": "7TABCDEF1234"}).status_code == 303
    assert sandbox.transactions["7TABCDEF1234"].ipn_results[-1] == "HTTP 200 RspCode=02"
    assert len(received) == 3


def test_ipn_mode_none_only_redirects(sandbox, http):
    calls: list[httpx.Request] = []
    sandbox.http = httpx.Client(transport=httpx.MockTransport(
        lambda req: calls.append(req) or httpx.Response(200, json={"RspCode": "00"})))
    action, fields = form_of(http.get(pay_url(request())).text)
    assert http.post(action, data={**fields, "choice": "cancel"}).status_code == 302
    assert calls == [] and sandbox.transactions["7TABCDEF1234"].ipn_results == []
