"""Citizen → tinhso → VNPAY sandbox (its own process) → IPN over real HTTP → dossier resumes."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from html import unescape

import httpx
import pytest

from tests.payments.conftest import SECRET, TMN
from tests.processes import free_port, serving
from tinhso.accounts.models import ApiToken
from tinhso.accounts.tokens import generate_token, hash_token
from tinhso.dossiers.models import Action, DossierEvent, Status
from tinhso.payments.models import AttemptEventKind, AttemptStatus, PaymentAttempt, PaymentStatus


@pytest.fixture
def sandbox_process(live_server) -> Iterator[str]:
    """``tinhso payment-sandbox`` on a free port, notifying the live tinhso server."""
    port = free_port()
    env = {**os.environ, "TINHSO_VNPAY_HASH_SECRET": SECRET, "TINHSO_VNPAY_TMN_CODE": TMN,
           "TINHSO_PRODUCTION": "false"}
    with serving([sys.executable, "-m", "tinhso.cli", "payment-sandbox", "--port", str(port),
                  "--ipn-url", f"{live_server.url}/thanh-toan/vnpay/ipn"], env,
                 f"http://127.0.0.1:{port}") as base:
        yield base


@pytest.mark.slow
def test_pay_through_the_sandbox(live_server, sandbox_process, settings, awaiting, citizen):
    settings.TINHSO_PUBLIC_URL = live_server.url
    settings.TINHSO_VNPAY_URL = f"{sandbox_process}/paymentv2/vpcpay.html"
    raw = generate_token()
    ApiToken.objects.create(user=citizen, name="e2e", prefix=raw[:12], key_hash=hash_token(raw))

    with httpx.Client(timeout=30) as http:
        # 1. The citizen asks tinhso for a payment URL (no body: defaults apply).
        started = http.post(f"{live_server.url}/api/v1/payments/{awaiting.payment.pk}/vnpay",
                            headers={"Authorization": f"Bearer {raw}"})
        assert started.status_code == 201, started.text
        payment_url = started.json()["payment_url"]
        assert payment_url.startswith(settings.TINHSO_VNPAY_URL + "?")

        # 2. The sandbox shows the order; the citizen presses "Thanh toán thành công".
        page = http.get(payment_url)
        assert page.status_code == 200 and "50.000 đ" in page.text
        action = re.search(r"<form method='post' action='([^']+)'>", page.text).group(1)
        hidden = {k: unescape(v) for k, v in
                  re.findall(r"<input type='hidden' name='(\w+)' value='([^']*)'>", page.text)}
        assert re.search(r"value='success'[^>]*>Thanh toán thành công<", page.text)
        chosen = http.post(f"{sandbox_process}{action}", data={**hidden, "choice": "success"})

        # 3. The sandbox has called the IPN over HTTP, then redirects the browser back.
        assert chosen.status_code == 302
        back = chosen.headers["location"]
        assert back.startswith(f"{live_server.url}/thanh-toan/vnpay/ket-qua?")
        attempt = PaymentAttempt.objects.get()
        assert attempt.status == AttemptStatus.SUCCEEDED and attempt.ipn_received_at
        ipn = attempt.events.get(kind=AttemptEventKind.IPN)
        assert ipn.rsp_code == "00" and ipn.remote_addr == "127.0.0.1"
        awaiting.payment.refresh_from_db()
        awaiting.dossier.refresh_from_db()
        assert awaiting.payment.status == PaymentStatus.PAID
        assert awaiting.payment.reference == attempt.transaction_no != ""
        assert awaiting.dossier.status == Status.PROCESSING and awaiting.dossier.paid_online
        assert DossierEvent.objects.filter(dossier=awaiting.dossier, action=Action.PAY).count() == 1

        # 4. The return page reports the confirmed payment; the sandbox logged RspCode 00.
        result = http.get(back)
        assert result.status_code == 200 and "Thanh toán thành công" in result.text
        assert "RspCode=00" in http.get(f"{sandbox_process}/").text

        # 5. A replayed IPN (the sandbox's "Gửi lại IPN") is answered 02 and changes nothing.
        http.post(f"{sandbox_process}/resend-ipn", data={"txn_ref": attempt.txn_ref})
        assert "RspCode=02" in http.get(f"{sandbox_process}/").text
        assert DossierEvent.objects.filter(dossier=awaiting.dossier, action=Action.PAY).count() == 1
