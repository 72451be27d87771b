"""Officers act over HTTP on a live server; the citizen gets e-mail, an SMS recorded by the
SMS sandbox (its own process, real HTTP) and in-app messages read back through the API."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest
from django.core import mail

from tests import factories
from tests.notifications.conftest import submit
from tests.processes import free_port, serving
from tinhso.accounts.models import ApiToken
from tinhso.accounts.tokens import generate_token, hash_token

TOKEN = "e2e-sms-token"


def bearer(user) -> dict[str, str]:
    raw = generate_token()
    ApiToken.objects.create(user=user, name="e2e", prefix=raw[:12], key_hash=hash_token(raw))
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.slow
def test_citizen_is_told_on_every_channel(live_server, settings, applicant, agency, officers,
                                          media_root):
    port = free_port()
    env = {**os.environ, "TINHSO_SMS_TOKEN": TOKEN}
    tinhso = str(Path(sys.executable).with_name("tinhso"))
    with serving([tinhso, "sms-sandbox", "--port", str(port)], env,
                 f"http://127.0.0.1:{port}") as sandbox:
        settings.TINHSO_SMS_URL = sandbox
        settings.TINHSO_SMS_TOKEN = TOKEN
        settings.TINHSO_PUBLIC_URL = live_server.url
        procedure = factories.make_procedure(agencies=[agency])
        dossier = submit(applicant, procedure, agency)
        api = f"{live_server.url}/api/v1"
        with httpx.Client(timeout=30) as http:
            for user, action, body in [
                (officers["receiver"], "receive", {}),
                (officers["specialist"], "request_supplement",
                 {"reason": "Bản sao giấy chứng nhận kết hôn"}),
            ]:
                response = http.post(f"{api}/dossiers/{dossier.code}/actions/{action}",
                                     json=body, headers=bearer(user))
                assert response.status_code == 200, response.text
            inbox = http.get(f"{api}/notifications", headers=bearer(applicant)).json()
            recorded = http.get(f"{sandbox}/api/sms",
                                headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert [item["title"] for item in inbox["items"]] == [
        f"Hồ sơ {dossier.code} cần bổ sung", f"Hồ sơ {dossier.code} đã được tiếp nhận"]
    assert inbox["items"][1]["link"] == f"{live_server.url}/ho-so-cua-toi/{dossier.code}/"
    texts = [m["text"] for m in recorded["messages"]]
    assert len(texts) == 2 and texts[0].startswith(f"Ho so {dossier.code} da duoc tiep nhan")
    assert "Ban sao giay chung nhan ket hon" in texts[1]
    to_applicant = [m.subject for m in mail.outbox if m.to == ["an@example.vn"]]
    assert to_applicant == [f"[tỉnh số] Hồ sơ {dossier.code} đã được tiếp nhận",
                            f"[tỉnh số] Hồ sơ {dossier.code} cần bổ sung"]
