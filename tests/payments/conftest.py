"""Fixtures for payments: a dossier awaiting a 50.000 đ fee, the officers, a fixed secret."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client

from tests import factories
from tests.dossiers.conftest import pdf
from tinhso.accounts.models import User
from tinhso.dossiers import services as dossier_services
from tinhso.dossiers.models import Dossier
from tinhso.payments import services, vnpay
from tinhso.payments.models import Payment, PaymentAttempt

SECRET = "TEST-HASH-SECRET-0123456789ABCDEF"
TMN = "TESTTMN1"
GATEWAY = "http://gateway.invalid/paymentv2/vpcpay.html"
PUBLIC = "http://tinhso.invalid"
FEE = 50_000


@pytest.fixture(autouse=True)
def payment_settings(settings) -> None:
    settings.TINHSO_VNPAY_HASH_SECRET = SECRET
    settings.TINHSO_VNPAY_TMN_CODE = TMN
    settings.TINHSO_VNPAY_URL = GATEWAY
    settings.TINHSO_PUBLIC_URL = PUBLIC
    settings.ROOT_URLCONF = "tests.payments.urls"


@pytest.fixture
def media_root(tmp_path, settings) -> Iterator[str]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield settings.MEDIA_ROOT


@pytest.fixture
def officers(agency) -> dict[str, User]:
    return {
        "receiver": factories.make_official(agency, "receiver"),
        "specialist": factories.make_official(agency, "specialist"),
    }


@pytest.fixture
def outsider(other_agency) -> User:
    return factories.make_official(other_agency, "receiver", "specialist")


@pytest.fixture
def other_citizen(db) -> User:
    return factories.make_citizen(id_number="079090004321")


@dataclass
class Awaiting:
    dossier: Dossier
    payment: Payment


def make_awaiting(citizen: User, agency, receiver: User, fee: int = FEE) -> Awaiting:
    """A dossier received and asked to pay its fee: status 6 with one requested payment."""
    procedure = factories.make_procedure(agencies=[agency], fee=fee, name="Đăng ký khai sinh")
    dossier = dossier_services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf())],
    )
    dossier = dossier_services.dossier_receive(acting_user=receiver, dossier=dossier)
    payment = dossier_services.dossier_request_payment(acting_user=receiver, dossier=dossier)
    dossier.refresh_from_db()
    return Awaiting(dossier=dossier, payment=payment)


@pytest.fixture
def awaiting(citizen, agency, officers, media_root) -> Awaiting:
    return make_awaiting(citizen, agency, officers["receiver"])


def start(citizen: User, payment: Payment) -> PaymentAttempt:
    return services.payment_vnpay_start(acting_user=citizen, payment=payment,
                                        ip_addr="203.0.113.7").attempt


def ipn_params(attempt: PaymentAttempt, *, response_code: str = "00",
               transaction_status: str = "00", amount: int | None = None,
               transaction_no: str = "14226112", secret: str = SECRET,
               **overrides: str) -> dict[str, str]:
    """What the gateway sends to the IPN URL, signed like the gateway signs it."""
    params = {
        "vnp_Amount": str((attempt.amount if amount is None else amount) * 100),
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP14226112",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": attempt.order_info,
        "vnp_PayDate": "20260302093000",
        "vnp_ResponseCode": response_code,
        "vnp_TmnCode": TMN,
        "vnp_TransactionNo": transaction_no,
        "vnp_TransactionStatus": transaction_status,
        "vnp_TxnRef": attempt.txn_ref,
        **overrides,
    }
    params["vnp_SecureHash"] = vnpay.sign(params, secret)
    return params


@pytest.fixture
def anon() -> Client:
    return Client(enforce_csrf_checks=True)
