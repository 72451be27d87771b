"""The IPN: the only way an online payment is confirmed. Every rejection changes nothing."""

from __future__ import annotations

import pytest

from tests.payments.conftest import FEE, ipn_params, make_awaiting, start
from tinhso.dossiers.models import Action, DossierEvent, Status
from tinhso.payments import services
from tinhso.payments.models import (
    AttemptEventKind,
    AttemptStatus,
    PaymentAttemptEvent,
    PaymentStatus,
)

pytestmark = pytest.mark.django_db

IPN_URL = "/thanh-toan/vnpay/ipn"


def pay_events(dossier) -> list[tuple[str, int | None, int]]:
    return list(DossierEvent.objects.filter(dossier=dossier, action=Action.PAY)
                .values_list("action", "from_status", "to_status"))


def assert_untouched(awaiting, attempt) -> None:
    awaiting.payment.refresh_from_db()
    awaiting.dossier.refresh_from_db()
    attempt.refresh_from_db()
    assert awaiting.payment.status == PaymentStatus.REQUESTED
    assert awaiting.dossier.status == Status.PAYMENT_REQUESTED
    assert attempt.status == AttemptStatus.PENDING and attempt.ipn_received_at is None
    assert pay_events(awaiting.dossier) == []


def test_success_confirms_payment_and_resumes_processing(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    reply = services.payment_vnpay_ipn(params=ipn_params(attempt), remote_addr="198.51.100.1")
    assert reply == {"RspCode": "00", "Message": "Confirm Success"}

    awaiting.payment.refresh_from_db()
    awaiting.dossier.refresh_from_db()
    attempt.refresh_from_db()
    assert awaiting.payment.status == PaymentStatus.PAID and awaiting.payment.online
    assert awaiting.payment.method == "vnpay" and awaiting.payment.reference == "14226112"
    assert awaiting.dossier.status == Status.PROCESSING and awaiting.dossier.paid_online
    assert pay_events(awaiting.dossier) == [(Action.PAY, Status.PAYMENT_REQUESTED,
                                             Status.PROCESSING)]
    event = DossierEvent.objects.get(dossier=awaiting.dossier, action=Action.PAY)
    assert event.actor is None and event.data["amount"] == FEE and event.data["online"] is True
    assert attempt.status == AttemptStatus.SUCCEEDED and attempt.ipn_received_at is not None
    assert attempt.transaction_no == "14226112" and attempt.bank_code == "NCB"
    assert attempt.raw_response["vnp_ResponseCode"] == "00"
    assert "vnp_SecureHash" not in attempt.raw_response
    history = list(attempt.events.values_list("kind", "from_status", "to_status", "rsp_code"))
    assert history == [
        (AttemptEventKind.CREATED, "", AttemptStatus.PENDING, ""),
        (AttemptEventKind.IPN, AttemptStatus.PENDING, AttemptStatus.SUCCEEDED, "00"),
    ]


def test_tampered_ipn_is_97_and_changes_nothing(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    params = ipn_params(attempt)
    params["vnp_TransactionStatus"] = "00"
    params["vnp_ResponseCode"] = "00"
    params["vnp_BankCode"] = "EVIL"  # changed after signing
    assert services.payment_vnpay_ipn(params=params)["RspCode"] == "97"
    forged = ipn_params(attempt, secret="a-guessed-secret-that-is-wrong")
    assert services.payment_vnpay_ipn(params=forged)["RspCode"] == "97"
    unsigned = {k: v for k, v in ipn_params(attempt).items() if k != "vnp_SecureHash"}
    assert services.payment_vnpay_ipn(params=unsigned)["RspCode"] == "97"
    assert_untouched(awaiting, attempt)
    assert PaymentAttemptEvent.objects.filter(kind=AttemptEventKind.IPN).count() == 0


def test_wrong_amount_is_04(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    reply = services.payment_vnpay_ipn(params=ipn_params(attempt, amount=FEE - 1))
    assert reply == {"RspCode": "04", "Message": "Invalid amount"}
    assert_untouched(awaiting, attempt)


def test_unknown_transaction_is_01(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    params = ipn_params(attempt, vnp_TxnRef="999T0000000000")
    assert services.payment_vnpay_ipn(params=params)["RspCode"] == "01"
    other_terminal = ipn_params(attempt, vnp_TmnCode="OTHERTMN")
    assert services.payment_vnpay_ipn(params=other_terminal)["RspCode"] == "01"
    assert_untouched(awaiting, attempt)


def test_duplicate_ipn_is_02_without_second_confirmation(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    params = ipn_params(attempt)
    assert services.payment_vnpay_ipn(params=params)["RspCode"] == "00"
    assert services.payment_vnpay_ipn(params=params) == {"RspCode": "02",
                                                         "Message": "Order already confirmed"}
    assert len(pay_events(awaiting.dossier)) == 1
    awaiting.dossier.refresh_from_db()
    assert awaiting.dossier.status == Status.PROCESSING
    assert list(attempt.events.filter(kind=AttemptEventKind.IPN)
                .values_list("rsp_code", flat=True)) == ["00", "02"]


def test_cancelled_payment_leaves_fee_due_and_a_new_attempt_can_pay(awaiting, citizen):
    first = start(citizen, awaiting.payment)
    cancelled = ipn_params(first, response_code="24", transaction_status="02",
                           transaction_no="0")
    assert services.payment_vnpay_ipn(params=cancelled)["RspCode"] == "00"
    first.refresh_from_db()
    awaiting.payment.refresh_from_db()
    assert first.status == AttemptStatus.FAILED and first.response_code == "24"
    assert awaiting.payment.status == PaymentStatus.REQUESTED
    assert pay_events(awaiting.dossier) == []

    second = start(citizen, awaiting.payment)
    assert second.txn_ref != first.txn_ref
    assert services.payment_vnpay_ipn(params=ipn_params(second))["RspCode"] == "00"
    awaiting.payment.refresh_from_db()
    assert awaiting.payment.status == PaymentStatus.PAID


def test_response_00_with_transaction_status_not_00_is_not_a_payment(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    params = ipn_params(attempt, response_code="00", transaction_status="01")
    assert services.payment_vnpay_ipn(params=params)["RspCode"] == "00"
    attempt.refresh_from_db()
    awaiting.payment.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED
    assert awaiting.payment.status == PaymentStatus.REQUESTED


def test_second_successful_attempt_is_flagged_for_refund(awaiting, citizen):
    first = start(citizen, awaiting.payment)
    second = start(citizen, awaiting.payment)  # the citizen opened the gateway twice
    assert services.payment_vnpay_ipn(params=ipn_params(first))["RspCode"] == "00"
    reply = services.payment_vnpay_ipn(params=ipn_params(second, transaction_no="14226999"))
    assert reply["RspCode"] == "00"
    second.refresh_from_db()
    assert second.status == AttemptStatus.SUCCEEDED and second.needs_refund
    assert len(pay_events(awaiting.dossier)) == 1
    awaiting.payment.refresh_from_db()
    assert awaiting.payment.reference == "14226112"


def test_failure_inside_the_transaction_answers_99_and_rolls_back(awaiting, citizen,
                                                                  monkeypatch):
    attempt = start(citizen, awaiting.payment)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "payment_confirm", broken)
    assert services.payment_vnpay_ipn(params=ipn_params(attempt))["RspCode"] == "99"
    assert_untouched(awaiting, attempt)
    assert not attempt.events.filter(kind=AttemptEventKind.IPN).exists()


def test_ipn_endpoint_over_http_get_and_post(awaiting, citizen, anon, agency, officers):
    attempt = start(citizen, awaiting.payment)
    response = anon.get(IPN_URL, ipn_params(attempt))
    assert response.status_code == 200
    assert response.json() == {"RspCode": "00", "Message": "Confirm Success"}
    # POST without any CSRF token is accepted too (the signature authenticates the caller).
    again = anon.post(IPN_URL, ipn_params(attempt))
    assert again.status_code == 200 and again.json()["RspCode"] == "02"
    other = make_awaiting(citizen, agency, officers["receiver"])
    tampered = {**ipn_params(start(citizen, other.payment)), "vnp_Amount": "1"}
    assert anon.get(IPN_URL, tampered).json()["RspCode"] == "97"
    assert anon.put(IPN_URL).status_code == 405
