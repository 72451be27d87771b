"""The citizen is told across real processes: a `tinhso serve` without a job consumer, a
`tinhso worker`, the SMS sandbox — with the SQLite queue and with the Redis queue (CI:
PostgreSQL + Redis). The citizen submits and officers act over HTTP through the whole journey
(reception, supplement request and answer, assignment, forward, approval); the messages are
written and sent by the worker alone, then read back through the server's API, the sandbox's
record and the mail files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from tests import factories
from tests.dossiers.conftest import PDF_BYTES
from tests.outbox.test_processes import TINHSO, env, token_for, wait_for, worker  # noqa: F401
from tests.processes import free_port, serving
from tinhso.notifications.models import Delivery, DeliveryState, Notification

pytestmark = pytest.mark.slow
SMS_TOKEN = "proc-sms-token"


def test_citizen_is_told_by_the_worker_on_every_channel(env, tmp_path):  # noqa: F811
    mail_dir = tmp_path / "mail"
    sms_port, web_port = free_port(), free_port()
    base = f"http://127.0.0.1:{web_port}"
    env = {**env, "TINHSO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
           "TINHSO_EMAIL_FILE_PATH": str(mail_dir), "TINHSO_SMS_TOKEN": SMS_TOKEN,
           "TINHSO_SMS_URL": f"http://127.0.0.1:{sms_port}", "TINHSO_PUBLIC_URL": base}
    province = factories.make_province()
    agency = factories.make_agency(unit=province)
    procedure = factories.make_procedure(agencies=[agency])
    citizen = factories.make_citizen()
    citizen.email, citizen.phone = "an@example.vn", "0912 345 678"
    citizen.save(update_fields=["email", "phone"])
    receiver = factories.make_official(agency, "receiver")
    specialist = factories.make_official(agency, "specialist")
    leader = factories.make_official(agency, "leader")
    tokens = {"citizen": token_for(citizen), "receiver": token_for(receiver),
              "specialist": token_for(specialist), "leader": token_for(leader)}

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    with serving([TINHSO, "sms-sandbox", "--port", str(sms_port)], env,
                 env["TINHSO_SMS_URL"]) as sandbox, \
            serving([TINHSO, "serve", "--port", str(web_port), "--no-worker"], env, base):
        response = httpx.post(
            f"{base}/api/v1/dossiers/", headers=auth("citizen"),
            data={"payload": json.dumps({"procedure": procedure.code, "agency": agency.code,
                                         "form_data": {"ho_ten": "Nguyễn Văn An"}})},
            files={"to-khai": ("to-khai.pdf", PDF_BYTES, "application/pdf")}, timeout=30)
        assert response.status_code == 201, response.text
        code = response.json()["code"]

        def act(who: str, action: str, body: dict[str, str]) -> None:
            answer = httpx.post(f"{base}/api/v1/dossiers/{code}/actions/{action}", json=body,
                                headers=auth(who), timeout=30)
            assert answer.status_code == 200, (action, answer.text)

        act("receiver", "receive", {})
        # Nothing is told before a worker runs: the server has no consumer.
        assert httpx.get(f"{base}/api/v1/notifications", headers=auth("citizen"),
                         timeout=10).json()["count"] == 0
        with worker(env) as proc:
            wait_for(lambda: Delivery.objects.filter(state=DeliveryState.SENT,
                                                     notification__recipient=citizen,
                                                     channel="sms").exists()
                     and len(list(mail_dir.glob("*.log"))) >= 1,
                     "the worker to send the reception's SMS and e-mail", proc)
            # The rest of the journey, the worker running: supplement, then the decision.
            act("specialist", "request_supplement", {"reason": "Bản sao giấy chứng nhận kết hôn"})
            # The worker sends with several threads, so two messages queued together may reach
            # the sandbox in either order; the supplement's is awaited before the journey goes
            # on (in life the citizen answers hours later), which keeps the order below exact.
            wait_for(lambda: Delivery.objects.filter(state=DeliveryState.SENT,
                                                     notification__recipient=citizen,
                                                     channel="sms").count() == 2,
                     "the worker to tell the citizen of the supplement request", proc)
            response = httpx.post(f"{base}/api/v1/dossiers/{code}/supplement",
                                  headers=auth("citizen"), timeout=30,
                                  files={"to-khai": ("to-khai.pdf", PDF_BYTES, "application/pdf")})
            assert response.status_code == 200, response.text
            act("leader", "assign", {"assignee": specialist.username})
            act("specialist", "forward", {})
            act("leader", "approve", {})
            wait_for(lambda: Delivery.objects.filter(state=DeliveryState.SENT,
                                                     notification__recipient=citizen,
                                                     channel="sms").count() == 3,
                     "the worker to tell the citizen of the supplement and the result", proc)
        inbox = httpx.get(f"{base}/api/v1/notifications", headers=auth("citizen"),
                          timeout=10).json()
        recorded = httpx.get(f"{sandbox}/api/sms", timeout=10,
                             headers={"Authorization": f"Bearer {SMS_TOKEN}"}).json()
    kinds = list(Notification.objects.filter(recipient=citizen).order_by("id")
                 .values_list("kind", flat=True))
    assert kinds == ["received", "supplement_requested", "result_ready"]
    titles = [item["title"] for item in inbox["items"]]
    assert titles[-1] == f"Hồ sơ {code} đã được tiếp nhận" and len(titles) == 3
    assert inbox["items"][-1]["link"] == f"{base}/ho-so-cua-toi/{code}/"
    assert [m["to"] for m in recorded["messages"]] == ["84912345678"] * 3
    assert recorded["messages"][0]["text"].startswith(f"Ho so {code} da duoc tiep nhan")
    assert "Ban sao giay chung nhan ket hon" in recorded["messages"][1]["text"]
    mails = "".join(Path(f).read_text() for f in mail_dir.glob("*.log"))
    assert "an@example.vn" in mails and f"/ho-so-cua-toi/{code}/" in mails
    # One message per channel, whatever the retries and the periodic rescue did.
    assert Delivery.objects.filter(notification__recipient=citizen).count() == 6
    assert not Delivery.objects.exclude(state=DeliveryState.SENT).exists()
    assert os.environ.get("TINHSO_SMS_TOKEN") != SMS_TOKEN  # the test's env stayed its own
