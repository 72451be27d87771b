"""Amounts are bounded: a counter payment must be the amount requested, a request at most
TINHSO_MAX_PAYMENT_AMOUNT (issue 9: a payment of -5 đồng was answered 200, a request for 10¹⁵
đồng was accepted). Bad input changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.payments.conftest import FEE
from tinhso.dossiers.models import Dossier, Status
from tinhso.payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db


def _act(user, dossier, action: str, body: dict):
    client = Client()
    client.force_login(user)
    return client.post(f"/api/v1/dossiers/{dossier.code}/actions/{action}", body,
                       content_type="application/json")


@pytest.mark.parametrize("amount,code", [(-5, "VALIDATION_ERROR"), (0, "VALIDATION_ERROR"),
                                         (FEE - 1, "AMOUNT_MISMATCH")])
def test_counter_payment_of_another_amount_is_refused(awaiting, officers, amount, code):
    response = _act(officers["receiver"], awaiting.dossier, "pay", {"amount": amount})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    awaiting.payment.refresh_from_db()
    awaiting.dossier.refresh_from_db()
    assert awaiting.payment.status == PaymentStatus.REQUESTED
    assert awaiting.dossier.status == Status.PAYMENT_REQUESTED


def test_counter_payment_of_the_amount_requested_is_accepted(awaiting, officers):
    response = _act(officers["receiver"], awaiting.dossier, "pay", {"amount": FEE})
    assert response.status_code == 200, response.content
    awaiting.payment.refresh_from_db()
    assert awaiting.payment.status == PaymentStatus.PAID


def test_request_above_the_maximum_is_refused(awaiting, officers, settings):
    from tinhso.dossiers import services

    receiver = officers["receiver"]
    # Back to processing with no payment made (a paid dossier may not be asked to pay again:
    # PAYMENT_ALREADY_PAID, tests/dossiers/test_lifecycle_table.py).
    Payment.objects.filter(pk=awaiting.payment.pk).update(status=PaymentStatus.CANCELLED)
    Dossier.objects.filter(pk=awaiting.dossier.pk).update(status=Status.PROCESSING)
    awaiting.dossier.refresh_from_db()
    before = Payment.objects.count()
    response = _act(receiver, awaiting.dossier, "request_payment", {"amount": 10**15})
    assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR"
    settings.TINHSO_MAX_PAYMENT_AMOUNT = 1_000_000  # the service reads the setting in force
    with pytest.raises(Exception) as excinfo:
        services.dossier_request_payment(acting_user=receiver, dossier=awaiting.dossier,
                                         amount=1_000_001)
    assert excinfo.value.code == "INVALID_AMOUNT"
    assert Payment.objects.count() == before
