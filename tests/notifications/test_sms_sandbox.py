"""The SMS sandbox: the gateway's checks in process, and a real process over HTTP."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from tests import factories
from tests.processes import free_port, serving
from tinhso.notifications.models import Channel, DeliveryState
from tinhso.notifications.services import delivery_attempt, notification_create, user_recipient
from tinhso.notifications.sms_sandbox import NAME, SmsSandbox
from tinhso.notifications.texts import TEXTS, render

TOKEN = "sandbox-token-for-tests"


@pytest.fixture
def http() -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=SmsSandbox(token=TOKEN)),
                        base_url="http://sandbox")


def post(http, body, token=TOKEN):
    return http.post("/api/sms", json=body, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize(("body", "status", "why"), [
    ({"to": "84912345678", "text": "Ho so da tiep nhan"}, 200, ""),
    ({"to": "0912345678", "text": "x"}, 422, "Vietnamese number"),
    ({"to": "84912345678", "text": "Hồ sơ"}, 422, "GSM-7"),
    ({"to": "84912345678", "text": "x" * 161}, 422, "161 characters"),
    ({"to": "84912345678", "text": " "}, 422, "required"),
    ([1, 2], 422, "JSON object"),
])
def test_gateway_checks(http, body, status, why):
    response = post(http, body)
    assert response.status_code == status
    assert why in response.json().get("detail", "")


def test_bad_token_is_401_and_records_nothing(http):
    assert post(http, {"to": "84912345678", "text": "x"}, token="wrong").status_code == 401
    assert http.get("/api/sms", headers={"Authorization": f"Bearer {TOKEN}"}).json() == {
        "messages": []}


def test_every_sms_text_fits_one_message_with_long_values():
    long_context = {"code": "000.00.10.H10-260115-0042", "procedure": "Thủ tục" * 30,
                    "agency": "Ủy ban nhân dân" * 10, "due": "16:30 15/01/2026",
                    "reason": "Thiếu bản sao giấy khai sinh có chứng thực " * 10,
                    "short_link": "https://dichvucong.binhphuoc.gov.vn/tra-cuu/",
                    "amount_ascii": "1.250.000 dong", "transfer_note": "TS123456789 PHI HO SO",
                    "deadline": "29/01/2026",
                    "new_due": "16:30 20/01/2026", "how": "Nhan ket qua tai mot cua."}
    for kind, languages in TEXTS.items():
        for language in languages:
            sms = render(kind, language, long_context).sms
            assert len(sms) <= 160 and sms.isascii(), (kind, language, sms)
            if languages[language][2] and "{short_link}" in languages[language][2]:
                assert sms.endswith(long_context["short_link"]), (kind, sms)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_delivery_through_the_sandbox_process(settings, monkeypatch):
    monkeypatch.setattr("tinhso.notifications.tasks.deliver", lambda pk, **_: None)
    port = free_port()
    env = {**os.environ, "TINHSO_SMS_TOKEN": TOKEN, "DJANGO_SETTINGS_MODULE": "tinhso.settings"}
    tinhso = str(Path(sys.executable).with_name("tinhso"))
    with serving([tinhso, "sms-sandbox", "--port", str(port)], env,
                 f"http://127.0.0.1:{port}") as base:
        settings.TINHSO_SMS_URL = base
        settings.TINHSO_SMS_TOKEN = TOKEN
        user = factories.make_citizen()
        user.phone = "0987654321"
        user.save()
        msg = notification_create(
            event_key="e", kind="received", recipient=user_recipient(user),
            context={"code": "HS-9", "due": "16:30 05/03/2026", "short_link": "http://x/t"},
            link="http://x/")
        delivery = msg.deliveries.get(channel=Channel.SMS)
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryState.SENT
        delivery.refresh_from_db()
        recorded = httpx.get(f"{base}/api/sms", headers={"Authorization": f"Bearer {TOKEN}"},
                             timeout=10).json()["messages"]
        assert [(m["to"], m["text"], m["id"]) for m in recorded] == [
            ("84987654321", "Ho so HS-9 da duoc tiep nhan. Hen tra ket qua: 16:30 05/03/2026. "
             "Tra cuu: http://x/t", delivery.provider_id)]
        page = httpx.get(f"{base}/", timeout=10).text
        assert NAME in page and "Ho so HS-9 da duoc tiep nhan" in page
