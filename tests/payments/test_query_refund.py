"""VNPAY querydr and refund: checksums, and the merchant against the sandbox over real HTTP."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
from django.utils import timezone

from tests import factories
from tests.payments.conftest import FEE, SECRET, TMN, make_awaiting, start
from tinhso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tinhso.dossiers.models import Action, DossierEvent, Status
from tinhso.payments import gateway, services, vnpay, vnpay_api
from tinhso.payments.models import (
    AttemptEventKind,
    AttemptStatus,
    PaymentAttempt,
    PaymentStatus,
    RefundStatus,
)
from tinhso.payments.sandbox import SandboxApp

AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=vnpay.GMT7)


# --- checksums: expected strings written by hand, not rebuilt from the same field lists -------

def test_querydr_request_signs_vnpays_field_order():
    message = vnpay_api.QueryRequest(
        tmn_code="TMN1", txn_ref="5TABC", transaction_date=AT, ip_addr="127.0.0.1",
        order_info="Truy van", created_at=AT + dt.timedelta(hours=1),
    ).message("s3cret", req_id="r1")
    expected = "r1|2.1.0|querydr|TMN1|5TABC|20260302093000|20260302103000|127.0.0.1|Truy van"
    assert vnpay_api.checksum_data(message, vnpay_api.QUERY_REQUEST_FIELDS) == expected
    assert message["vnp_SecureHash"] == vnpay_api.checksum(
        message, vnpay_api.QUERY_REQUEST_FIELDS, "s3cret")
    assert vnpay_api.verify(message, vnpay_api.QUERY_REQUEST_FIELDS, "s3cret")
    assert not vnpay_api.verify({**message, "vnp_TxnRef": "6TABC"},
                                vnpay_api.QUERY_REQUEST_FIELDS, "s3cret")


def test_refund_request_signs_vnpays_field_order():
    message = vnpay_api.RefundRequest(
        tmn_code="TMN1", txn_ref="5TABC", amount_vnd=50_000, full=False, transaction_no="777",
        transaction_date=AT, create_by="thu.ngan", ip_addr="127.0.0.1", order_info="Hoan tien",
        created_at=AT,
    ).message("s3cret", req_id="r2")
    expected = ("r2|2.1.0|refund|TMN1|03|5TABC|5000000|777|20260302093000|thu.ngan|"
                "20260302093000|127.0.0.1|Hoan tien")
    assert vnpay_api.checksum_data(message, vnpay_api.REFUND_REQUEST_FIELDS) == expected


def test_querydr_response_keeps_the_empty_promotion_fields():
    answer = {"vnp_ResponseId": "x", "vnp_Command": "querydr", "vnp_ResponseCode": "00",
              "vnp_Message": "ok", "vnp_TmnCode": "T", "vnp_TxnRef": "R", "vnp_Amount": "100",
              "vnp_BankCode": "NCB", "vnp_PayDate": "1", "vnp_TransactionNo": "2",
              "vnp_TransactionType": "01", "vnp_TransactionStatus": "00",
              "vnp_OrderInfo": "o"}
    assert vnpay_api.checksum_data(answer, vnpay_api.QUERY_RESPONSE_FIELDS) == (
        "x|querydr|00|ok|T|R|100|NCB|1|2|01|00|o||")
    assert vnpay_api.checksum_data(answer, vnpay_api.REFUND_RESPONSE_FIELDS).endswith("|00|o")


# --- the merchant against the sandbox, over HTTP ----------------------------------------------

class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[SandboxApp, str]]:
    """The sandbox on a free port of this machine (a thread: tests flip its failure mode)."""
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
    app.slow_seconds = 2.0
    settings.TINHSO_VNPAY_URL = f"{base}/paymentv2/vpcpay.html"
    settings.TINHSO_VNPAY_API_URL = f"{base}{vnpay_api.API_PATH}"
    settings.TINHSO_VNPAY_API_TIMEOUT = 1
    return app


def pay_at_sandbox(gw: SandboxApp, attempt: PaymentAttempt, choice: str = "success") -> dict:
    """The citizen pays on the sandbox's page; the IPN is lost (ipn_mode none)."""
    query = vnpay.signed_query(_request_params(attempt), SECRET)
    base = settings_api_url().removesuffix(vnpay_api.API_PATH)
    with httpx.Client(base_url=base) as http:
        reply = http.post("/paymentv2/choose", data={"q": query, "choice": choice})
    assert reply.status_code == 302, reply.text
    return dict(parse_qsl(urlsplit(reply.headers["location"]).query))


def settings_api_url() -> str:
    from django.conf import settings

    return str(settings.TINHSO_VNPAY_API_URL)


def _request_params(attempt: PaymentAttempt) -> dict[str, str]:
    return vnpay.PaymentRequest(
        tmn_code=TMN, amount_vnd=attempt.amount, txn_ref=attempt.txn_ref,
        order_info=attempt.order_info, return_url="http://tinhso.invalid/ret",
        ip_addr=attempt.ip_addr, created_at=attempt.created_at, expire_at=attempt.expires_at,
    ).params()


def expire(attempt: PaymentAttempt) -> None:
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        expires_at=timezone.now() - dt.timedelta(hours=1))
    attempt.refresh_from_db()


def test_lost_ipn_is_resolved_by_querydr(gw, awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    returned = pay_at_sandbox(gw, attempt)
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.PENDING

    # Not yet past expiry + grace: the job leaves it alone.
    assert gateway.payments_resolve_pending().queried == 0
    expire(attempt)
    summary = gateway.payments_resolve_pending()
    assert (summary.queried, summary.succeeded, summary.errors) == (1, 1, [])

    attempt.refresh_from_db()
    awaiting.payment.refresh_from_db()
    awaiting.dossier.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED and attempt.ipn_received_at is None
    assert attempt.transaction_no == returned["vnp_TransactionNo"]
    assert attempt.events.filter(kind=AttemptEventKind.QUERY, rsp_code="00").count() == 1
    assert awaiting.payment.status == PaymentStatus.PAID
    assert awaiting.dossier.status == Status.PROCESSING
    # Nothing more to do, and the IPN arriving late now is "already confirmed".
    assert gateway.payments_resolve_pending().queried == 0
    late = {**returned}
    assert services.payment_vnpay_ipn(params=late)["RspCode"] == "02"
    assert DossierEvent.objects.filter(dossier=awaiting.dossier, action=Action.PAY).count() == 1


def test_unpaid_expired_attempt_fails_and_a_fresh_one_waits(gw, awaiting, citizen):
    never_paid = start(citizen, awaiting.payment)
    expire(never_paid)
    cancelled = start(citizen, awaiting.payment)
    pay_at_sandbox(gw, cancelled, choice="cancel")
    expire(cancelled)
    fresh = start(citizen, awaiting.payment)

    summary = gateway.payments_resolve_pending()
    assert (summary.queried, summary.failed) == (2, 2)
    for attempt in (never_paid, cancelled):
        attempt.refresh_from_db()
        assert attempt.status == AttemptStatus.FAILED
    # Direct query of a live, unknown attempt: logged, still pending.
    assert gateway.payment_attempt_query(attempt=fresh) == AttemptStatus.PENDING
    assert fresh.events.filter(kind=AttemptEventKind.QUERY, rsp_code="91").exists()
    awaiting.payment.refresh_from_db()
    assert awaiting.payment.status == PaymentStatus.REQUESTED


@pytest.mark.parametrize("failure", ["checksum", "error", "slow"])
def test_a_bad_gateway_answer_changes_nothing(gw, awaiting, citizen, failure):
    attempt = start(citizen, awaiting.payment)
    pay_at_sandbox(gw, attempt)
    expire(attempt)
    gw.api_failure = failure
    summary = gateway.payments_resolve_pending()
    attempt.refresh_from_db()
    awaiting.payment.refresh_from_db()
    if failure == "error":  # a signed "99": the gateway answered, nothing is known
        assert summary.still_pending == 1
    else:
        assert len(summary.errors) == 1
    assert attempt.status == AttemptStatus.PENDING
    assert awaiting.payment.status == PaymentStatus.REQUESTED


@pytest.fixture
def paid_twice(gw, awaiting, citizen):
    """Two attempts paid at the gateway: the second cannot be applied and must be refunded."""
    first, second = start(citizen, awaiting.payment), start(citizen, awaiting.payment)
    for attempt in (first, second):
        returned = pay_at_sandbox(gw, attempt)
        assert services.payment_vnpay_ipn(params=returned)["RspCode"] == "00"
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.needs_refund and second.needs_refund
    return first, second


def test_refund_of_a_duplicate_payment(paid_twice, officers, awaiting):
    first, second = paid_twice
    refund = gateway.payment_refund(acting_user=officers["receiver"], attempt=second,
                                    reason="Thanh toán trùng lần hai")
    assert refund.status == RefundStatus.SUCCEEDED and refund.amount == FEE
    assert refund.response_code == "00" and refund.transaction_no
    second.refresh_from_db()
    assert not second.needs_refund
    assert second.events.filter(kind=AttemptEventKind.REFUND).count() == 1
    awaiting.payment.refresh_from_db()
    assert awaiting.payment.status == PaymentStatus.PAID  # the first attempt's money stays
    with pytest.raises(Conflict) as exc:
        gateway.payment_refund(acting_user=officers["receiver"], attempt=second,
                               reason="Lần nữa cho chắc")
    assert exc.value.code == "REFUND_NOT_ALLOWED"
    # The applied payment of a dossier still being processed is not refundable.
    with pytest.raises(Conflict):
        gateway.payment_refund(acting_user=officers["receiver"], attempt=first,
                               reason="Không được hoàn")


def test_refund_checks_who_how_much_and_why(paid_twice, officers, citizen, outsider):
    _, second = paid_twice
    with pytest.raises(PermissionDenied):
        gateway.payment_refund(acting_user=citizen, attempt=second, reason="Tự hoàn tiền")
    with pytest.raises(NotFound):
        gateway.payment_refund(acting_user=outsider, attempt=second, reason="Cơ quan khác")
    with pytest.raises(PermissionDenied):
        gateway.payment_refund(acting_user=officers["specialist"], attempt=second,
                               reason="Không có vai trò")
    for amount in (0, -5, FEE + 1):
        with pytest.raises(ValidationFailed) as exc:
            gateway.payment_refund(acting_user=officers["receiver"], attempt=second,
                                   reason="Số tiền sai", amount=amount)
        assert exc.value.code == "INVALID_REFUND_AMOUNT"
    with pytest.raises(ValidationFailed) as exc:
        gateway.payment_refund(acting_user=officers["receiver"], attempt=second, reason="  ")
    assert exc.value.code == "REASON_REQUIRED"
    assert not second.refunds.exists()  # bad input wrote nothing


def test_partial_refunds_up_to_the_amount_and_a_refused_one_frees_it(paid_twice, officers, gw):
    _, second = paid_twice
    receiver = officers["receiver"]
    part = gateway.payment_refund(acting_user=receiver, attempt=second, reason="Hoàn một phần",
                                  amount=20_000)
    assert part.status == RefundStatus.SUCCEEDED and not part.full
    second.refresh_from_db()
    assert second.needs_refund and gateway.refundable_amount(second) == FEE - 20_000
    gw.api_failure = "refund-refused"
    refused = gateway.payment_refund(acting_user=receiver, attempt=second, reason="Bị từ chối")
    assert refused.status == RefundStatus.FAILED and refused.response_code == "95"
    assert gateway.refundable_amount(second) == FEE - 20_000
    gw.api_failure = ""
    rest = gateway.payment_refund(acting_user=receiver, attempt=second, reason="Phần còn lại")
    assert rest.amount == FEE - 20_000 and rest.status == RefundStatus.SUCCEEDED
    second.refresh_from_db()
    assert not second.needs_refund


def test_refund_of_a_stopped_dossiers_fee_marks_the_payment_refunded(gw, citizen, agency,
                                                                      officers, media_root):
    case = make_awaiting(citizen, agency, officers["receiver"])
    attempt = start(citizen, case.payment)
    assert services.payment_vnpay_ipn(params=pay_at_sandbox(gw, attempt))["RspCode"] == "00"
    from tinhso.dossiers.models import Dossier

    Dossier.objects.filter(pk=case.dossier.pk).update(status=Status.STOPPED)
    leader = factories.make_official(agency, "leader")
    refund = gateway.payment_refund(acting_user=leader, attempt=attempt,
                                    reason="Hồ sơ dừng xử lý, hoàn lệ phí")
    assert refund.status == RefundStatus.SUCCEEDED and refund.full
    case.payment.refresh_from_db()
    assert case.payment.status == PaymentStatus.REFUNDED


def test_a_lost_refund_answer_is_sent_again_without_refunding_twice(paid_twice, officers, gw):
    _, second = paid_twice
    gw.api_failure = "slow"  # the answer comes after the merchant gave up
    with pytest.raises(gateway.GatewayUnavailable):
        gateway.payment_refund(acting_user=officers["receiver"], attempt=second,
                               reason="Mạng chập chờn")
    pending = second.refunds.get()
    assert pending.status == RefundStatus.PENDING
    gw.api_failure = ""
    again = gateway.payment_refund_send(refund=pending)
    # The sandbox already refunded that request id: it answers 94, the refund stays pending
    # for an officer to check instead of being paid out twice.
    assert again.status == RefundStatus.PENDING
    txn = gw.transactions[second.txn_ref]
    assert len(txn.refunds) == 1


# --- over the API ------------------------------------------------------------------------------

def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_api_query_and_refund(paid_twice, officers, citizen, outsider, awaiting):
    _, second = paid_twice
    base = f"/api/v1/payments/attempts/{second.txn_ref}"
    # The citizen may ask the gateway about their attempt, but not refund; others see nothing.
    assert _client(citizen).post(f"{base}/query").status_code == 200
    assert _client(outsider).post(f"{base}/query").json()["code"] == "PAYMENT_ATTEMPT_NOT_FOUND"
    body = {"reason": "Thanh toán trùng"}
    denied = _client(citizen).post(f"{base}/refunds", body, content_type="application/json")
    assert denied.status_code == 403
    short = _client(officers["receiver"]).post(f"{base}/refunds", {"reason": "x"},
                                                content_type="application/json")
    assert short.status_code == 422 and not second.refunds.exists()
    made = _client(officers["receiver"]).post(f"{base}/refunds", body,
                                               content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "succeeded" and made.json()["amount"] == FEE
    detail = _client(citizen).get(f"/api/v1/payments/{awaiting.payment.pk}").json()
    refunds = {a["txn_ref"]: a["refunds"] for a in detail["attempts"]}
    assert [r["status"] for r in refunds[second.txn_ref]] == ["succeeded"]


def test_a_refund_is_a_public_event(paid_twice, officers):
    from tinhso.outbox.models import OutboxEvent

    _, second = paid_twice
    gateway.payment_refund(acting_user=officers["receiver"], attempt=second,
                           reason="Thanh toán trùng")
    event = OutboxEvent.objects.get(type="payment.refunded")
    assert event.payload["amount"] == FEE and event.payload["payment_id"] == second.payment_id
