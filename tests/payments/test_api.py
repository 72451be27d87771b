"""/api/v1/payments: who may pay and see what; the signed payment URL; VietQR."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from vietnam_qr_pay import QRPay

from tests import factories
from tests.payments.conftest import FEE, GATEWAY, PUBLIC, SECRET, TMN, ipn_params, start
from tinhso.payments import services, vietqr, vnpay
from tinhso.payments.models import AttemptEventKind, PaymentAttempt, PaymentStatus

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def vnpay_url(payment) -> str:
    return f"{URL}{payment.pk}/vnpay"


def post_start(client: Client, payment, body: dict | None = None, **extra):
    return client.post(vnpay_url(payment), body or {}, content_type="application/json", **extra)


def test_applicant_gets_a_signed_payment_url(awaiting, citizen):
    response = post_start(client_for(citizen), awaiting.payment, {"locale": "en"},
                          REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 201, response.content
    body = response.json()
    parts = urlsplit(body["payment_url"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == GATEWAY
    params = dict(parse_qsl(parts.query))
    assert vnpay.verify(params, SECRET)
    attempt = PaymentAttempt.objects.get()
    assert body["txn_ref"] == attempt.txn_ref == params["vnp_TxnRef"]
    assert params["vnp_Amount"] == str(FEE * 100) and attempt.amount == FEE
    assert params["vnp_TmnCode"] == TMN and params["vnp_Locale"] == "en"
    assert params["vnp_IpAddr"] == "203.0.113.9"
    assert params["vnp_ReturnUrl"] == f"{PUBLIC}{services.RETURN_PATH}"
    assert params["vnp_OrderInfo"].isascii()
    assert awaiting.dossier.code.lower() in params["vnp_OrderInfo"]
    assert "dang ky khai sinh" in params["vnp_OrderInfo"]
    assert vnpay.parse_time(params["vnp_ExpireDate"]) > vnpay.parse_time(
        params["vnp_CreateDate"])
    assert list(attempt.events.values_list("kind", flat=True)) == [AttemptEventKind.CREATED]
    # Starting does not pay anything.
    awaiting.payment.refresh_from_db()
    assert awaiting.payment.status == PaymentStatus.REQUESTED


def test_each_start_is_a_new_attempt(awaiting, citizen):
    client = client_for(citizen)
    refs = {post_start(client, awaiting.payment).json()["txn_ref"] for _ in range(3)}
    assert len(refs) == 3 and PaymentAttempt.objects.count() == 3


def test_another_citizen_gets_404(awaiting, other_citizen):
    response = post_start(client_for(other_citizen), awaiting.payment)
    assert response.status_code == 404 and response.json()["code"] == "PAYMENT_NOT_FOUND"
    assert client_for(other_citizen).get(f"{URL}{awaiting.payment.pk}").status_code == 404
    assert client_for(other_citizen).get(f"{URL}{awaiting.payment.pk}/vietqr"
                                         ).status_code == 404
    assert PaymentAttempt.objects.count() == 0


def test_official_cannot_start_a_citizens_payment(awaiting, officers, outsider):
    response = post_start(client_for(officers["receiver"]), awaiting.payment)
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"
    response = post_start(client_for(outsider), awaiting.payment)
    assert response.status_code == 404
    assert PaymentAttempt.objects.count() == 0


def test_anonymous_is_401(awaiting):
    assert post_start(Client(), awaiting.payment).status_code == 401
    assert Client().get(URL).status_code == 401


def test_paid_payment_cannot_start_again(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    services.payment_vnpay_ipn(params=ipn_params(attempt))
    response = post_start(client_for(citizen), awaiting.payment)
    assert response.status_code == 409 and response.json()["code"] == "PAYMENT_NOT_PENDING"
    assert client_for(citizen).get(f"{URL}{awaiting.payment.pk}/vietqr").status_code == 409


def test_bad_locale_is_422(awaiting, citizen):
    response = post_start(client_for(citizen), awaiting.payment, {"locale": "fr"})
    assert response.status_code == 422
    assert PaymentAttempt.objects.count() == 0


def test_list_is_scoped(awaiting, citizen, other_citizen, officers, outsider):
    code = awaiting.dossier.code
    mine = client_for(citizen).get(URL, {"dossier": code}).json()
    assert [p["id"] for p in mine["items"]] == [awaiting.payment.pk]
    assert mine["items"][0]["amount"] == FEE and mine["items"][0]["status"] == "requested"
    assert client_for(other_citizen).get(URL, {"dossier": code}).status_code == 404
    assert client_for(other_citizen).get(URL).json()["items"] == []
    official = client_for(officers["specialist"]).get(URL, {"dossier": code}).json()
    assert [p["id"] for p in official["items"]] == [awaiting.payment.pk]
    assert client_for(outsider).get(URL).json()["items"] == []
    assert client_for(outsider).get(URL, {"dossier": code}).status_code == 404
    admin = factories.make_official(outsider.agency, "province_admin")
    assert [p["id"] for p in client_for(admin).get(URL).json()["items"]] == [
        awaiting.payment.pk]


def test_list_filters_and_pages(awaiting, citizen, agency, officers):
    from tests.payments.conftest import make_awaiting

    second = make_awaiting(citizen, agency, officers["receiver"], fee=20_000)
    services.payment_vnpay_ipn(params=ipn_params(start(citizen, second.payment)))
    client = client_for(citizen)
    page = client.get(URL, {"limit": 1}).json()
    assert [p["id"] for p in page["items"]] == [second.payment.pk]
    rest = client.get(URL, {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [p["id"] for p in rest["items"]] == [awaiting.payment.pk]
    assert rest["next_cursor"] is None
    paid = client.get(URL, {"status": "paid"}).json()["items"]
    assert [p["id"] for p in paid] == [second.payment.pk] and paid[0]["method"] == "vnpay"
    assert client.get(URL, {"status": "nope"}).status_code == 422
    assert client.get(URL, {"cursor": "x"}).status_code == 422


def test_detail_lists_attempts(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    body = client_for(citizen).get(f"{URL}{awaiting.payment.pk}").json()
    assert body["dossier"] == awaiting.dossier.code
    assert [a["txn_ref"] for a in body["attempts"]] == [attempt.txn_ref]
    assert body["attempts"][0]["status"] == "pending"


def test_vietqr_payload(awaiting, citizen, officers, settings):
    settings.TINHSO_VIETQR_BANK_BIN = "970415"
    settings.TINHSO_VIETQR_ACCOUNT = "113366668888"
    for user in (citizen, officers["receiver"]):
        response = client_for(user).get(f"{URL}{awaiting.payment.pk}/vietqr")
        assert response.status_code == 200, response.content
    body = response.json()
    decoded = QRPay(body["payload"])
    assert decoded.is_valid
    assert decoded.consumer.bank_bin == "970415"
    assert decoded.consumer.bank_number == "113366668888"
    assert decoded.amount == str(FEE)
    assert decoded.additional_data.purpose == body["note"] == f"TS{awaiting.payment.pk} PHI HO SO"
    assert body["svg"].startswith("<svg") and body["svg"].rstrip().endswith("</svg>")


@pytest.mark.parametrize("payment_id", [1, 42, 10**9, 10**20, 10**22])
def test_transfer_note_is_short_ascii_and_names_the_payment(payment_id):
    note = vietqr.transfer_note(payment_id)
    assert len(note) <= 25 and note.isascii() and vietqr.is_valid_note(note)
    assert note.split()[0] == f"TS{payment_id}"


def test_transfer_note_refuses_what_cannot_fit():
    with pytest.raises(ValueError):
        vietqr.transfer_note(10**23)
    with pytest.raises(ValueError):
        vietqr.build_payload(bank_bin="970415", account="1", amount=1, note="Lệ phí")
