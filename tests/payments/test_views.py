"""The citizen's return page never confirms a payment; the browser start view redirects."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.payments.conftest import GATEWAY, SECRET, ipn_params, start
from tinhso.dossiers.models import Action, DossierEvent, Status
from tinhso.payments import services, vnpay
from tinhso.payments.models import AttemptStatus, PaymentAttempt, PaymentStatus

pytestmark = pytest.mark.django_db

RETURN_URL = "/thanh-toan/vnpay/ket-qua"


def test_return_url_never_confirms(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    client = Client()
    client.force_login(citizen)
    response = client.get(RETURN_URL, ipn_params(attempt))  # the gateway says: success
    assert response.status_code == 200
    assert "đang xác nhận" in response.content.decode()
    assert '<meta http-equiv="refresh"' in response.content.decode()
    awaiting.payment.refresh_from_db()
    awaiting.dossier.refresh_from_db()
    attempt.refresh_from_db()
    assert awaiting.payment.status == PaymentStatus.REQUESTED
    assert awaiting.dossier.status == Status.PAYMENT_REQUESTED
    assert attempt.status == AttemptStatus.PENDING and attempt.ipn_received_at is None
    assert not DossierEvent.objects.filter(action=Action.PAY).exists()


def test_return_page_after_ipn_shows_success(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    params = ipn_params(attempt)
    services.payment_vnpay_ipn(params=params)
    client = Client()
    client.force_login(citizen)
    page = client.get(RETURN_URL, params).content.decode()
    assert "Thanh toán thành công" in page and "đang xác nhận" not in page
    assert awaiting.dossier.code in page and "50.000 đ" in page
    assert f"/ho-so-cua-toi/{awaiting.dossier.code}/" in page


def test_return_page_shows_the_gateway_failure(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    page = Client().get(RETURN_URL, ipn_params(attempt, response_code="24",
                                               transaction_status="02")).content.decode()
    assert "Thanh toán không thành công" in page and "Khách hàng hủy giao dịch" in page
    assert "/ho-so-cua-toi/" not in page  # not signed in: no link into the account


def test_return_page_with_bad_signature_is_400(awaiting, citizen):
    attempt = start(citizen, awaiting.payment)
    params = {**ipn_params(attempt), "vnp_Amount": "100"}
    response = Client().get(RETURN_URL, params)
    assert response.status_code == 400 and "sai chữ ký" in response.content.decode()
    unknown = ipn_params(attempt, vnp_TxnRef="1T00")
    assert Client().get(RETURN_URL, unknown).status_code == 404


def test_browser_start_redirects_to_the_gateway(awaiting, citizen, other_citizen):
    client = Client(enforce_csrf_checks=False)
    client.force_login(citizen)
    response = client.post(f"/thanh-toan/{awaiting.payment.pk}/vnpay")
    assert response.status_code == 302 and response["Location"].startswith(GATEWAY + "?")
    query = dict(pair.split("=", 1) for pair in response["Location"].split("?", 1)[1].split("&"))
    from urllib.parse import unquote_plus

    assert vnpay.verify({k: unquote_plus(v) for k, v in query.items()}, SECRET)
    assert PaymentAttempt.objects.count() == 1

    other = Client()
    other.force_login(other_citizen)
    refused = other.post(f"/thanh-toan/{awaiting.payment.pk}/vnpay")
    assert refused.status_code == 404 and "Không tìm thấy" in refused.content.decode()
    assert PaymentAttempt.objects.count() == 1
    assert client.get(f"/thanh-toan/{awaiting.payment.pk}/vnpay").status_code == 405


def test_browser_start_needs_sign_in_and_csrf(awaiting, citizen):
    anonymous = Client().post(f"/thanh-toan/{awaiting.payment.pk}/vnpay")
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(citizen)
    assert strict.post(f"/thanh-toan/{awaiting.payment.pk}/vnpay").status_code == 403
    assert PaymentAttempt.objects.count() == 0
