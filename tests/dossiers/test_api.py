"""/api/v1/dossiers over HTTP: every bad input is a precise error and leaves nothing behind."""

from __future__ import annotations

import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories
from tests.dossiers.conftest import PDF_BYTES, PNG_BYTES, pdf
from tinhso.accounts.tokens import generate_token, hash_token
from tinhso.dossiers.models import Attachment, Dossier, DossierEvent, Status

pytestmark = pytest.mark.django_db

URL = "/api/v1/dossiers/"


def bearer(user) -> dict[str, str]:
    from tinhso.accounts.models import ApiToken

    raw = generate_token()
    ApiToken.objects.create(user=user, name="test", prefix=raw[:12], key_hash=hash_token(raw))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post_submission(client, auth, payload, files=None, **headers):
    data = {"payload": payload if isinstance(payload, str) else json.dumps(payload)}
    data.update(files if files is not None else {"to-khai": pdf()})
    return client.post(URL, data, **auth, **headers)


@pytest.fixture
def payload(procedure, agency):
    return {"procedure": procedure.code, "agency": agency.code,
            "form_data": {"ho_ten": "Lê Văn Cường"}}


def nothing_written(media_root) -> bool:
    files = [f for _, _, fs in os.walk(media_root) for f in fs] if os.path.exists(media_root) \
        else []
    return (Dossier.objects.count() == 0 and DossierEvent.objects.count() == 0
            and Attachment.objects.count() == 0 and not files)


def test_submit_online_returns_created(citizen, payload, media_root):
    client = Client()
    response = post_submission(client, bearer(citizen), payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == Status.NEW and body["procedure"] == payload["procedure"]
    assert "withdraw" in body["allowed_actions"]
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf" and len(attachment.sha256) == 64


def test_unauthenticated_submission_is_401(payload, media_root):
    response = post_submission(Client(), {}, payload)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("case,status,code", [
    ("malformed_json", 400, "MALFORMED_JSON"),
    ("unknown_procedure", 404, "PROCEDURE_NOT_FOUND"),
    ("schema_violation", 422, "FORM_INVALID"),
    ("wrong_type", 422, "FILE_TYPE_NOT_ALLOWED"),
    ("oversize", 422, "FILE_TOO_LARGE"),
    ("missing_component", 422, "COMPONENT_MISSING"),
    ("unknown_component", 422, "UNKNOWN_COMPONENT"),
    ("unknown_agency", 422, "AGENCY_NOT_FOUND"),
])
def test_bad_submissions_change_nothing(case, status, code, citizen, payload, media_root,
                                        settings):
    files = None
    if case == "malformed_json":
        payload = '{"procedure": '
    elif case == "unknown_procedure":
        payload["procedure"] = "0.000000"
    elif case == "schema_violation":
        payload["form_data"] = {"ho_ten": ""}
    elif case == "wrong_type":
        # A Windows executable renamed to .pdf: the name lies, the content does not.
        files = {"to-khai": SimpleUploadedFile("to-khai.pdf", b"MZ\x90\x00" + b"\x00" * 60,
                                               content_type="application/pdf")}
    elif case == "oversize":
        settings.TINHSO_MAX_UPLOAD_BYTES = 1000
        files = {"to-khai": SimpleUploadedFile("lon.pdf", PDF_BYTES + b"0" * 2000)}
    elif case == "missing_component":
        files = {}
    elif case == "unknown_component":
        files = {"to-khai": pdf(), "khong-co": pdf()}
    elif case == "unknown_agency":
        payload["agency"] = "000.99.99.X00"
    response = post_submission(Client(), bearer(citizen), payload, files)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message_vi"] and body["message_en"] and "details" in body
    assert nothing_written(media_root)


def test_invalid_id_number_of_applicant(payload, media_root):
    citizen = factories.make_citizen(id_number="12345")
    response = post_submission(Client(), bearer(citizen), payload)
    assert response.status_code == 422
    assert response.json()["code"] == "INVALID_ID_NUMBER"
    assert nothing_written(media_root)


def test_png_is_accepted(citizen, payload, media_root):
    files = {"to-khai": SimpleUploadedFile("anh.png", PNG_BYTES)}
    response = post_submission(Client(), bearer(citizen), payload, files)
    assert response.status_code == 201
    assert Attachment.objects.get().content_type == "image/png"


def test_idempotent_submission(citizen, payload, media_root):
    client, auth = Client(), bearer(citizen)
    first = post_submission(client, auth, payload, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post_submission(client, auth, payload, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["code"] == again.json()["code"]
    assert Dossier.objects.count() == 1
    payload["form_data"] = {"ho_ten": "Người khác"}
    different = post_submission(client, auth, payload, HTTP_IDEMPOTENCY_KEY="k-1")
    assert different.status_code == 409
    assert different.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def act(client, auth, code, action, body=None, **headers):
    return client.post(f"{URL}{code}/actions/{action}", json.dumps(body or {}),
                       content_type="application/json", **auth, **headers)


def test_officer_flow_over_http(citizen, payload, officers, media_root):
    client = Client()
    code = post_submission(client, bearer(citizen), payload).json()["code"]
    receiver = bearer(officers["receiver"])
    response = act(client, receiver, code, "receive", HTTP_IF_MATCH="1")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.RECEIVED
    # Receiving twice: the second is an illegal transition, and writes nothing.
    events = DossierEvent.objects.count()
    again = act(client, receiver, code, "receive")
    assert again.status_code == 409 and again.json()["code"] == "ILLEGAL_TRANSITION"
    assert DossierEvent.objects.count() == events
    stale = act(client, bearer(officers["specialist"]), code, "forward", HTTP_IF_MATCH="1")
    assert stale.status_code == 409 and stale.json()["code"] == "STALE_VERSION"
    timeline = client.get(f"{URL}{code}/events", **receiver).json()
    assert [e["action"] for e in timeline] == ["submit", "receive"]


def test_refuse_without_reason_is_422(citizen, payload, officers, media_root):
    client = Client()
    code = post_submission(client, bearer(citizen), payload).json()["code"]
    response = act(client, bearer(officers["receiver"]), code, "refuse", {"reason": ""})
    assert response.status_code == 422 and response.json()["code"] == "REASON_REQUIRED"


def test_other_agency_cannot_see_dossier(citizen, payload, outsider, media_root):
    client = Client()
    code = post_submission(client, bearer(citizen), payload).json()["code"]
    auth = bearer(outsider)
    assert client.get(f"{URL}{code}", **auth).status_code == 404
    assert act(client, auth, code, "receive").status_code == 404
    assert client.get(URL, **auth).json()["items"] == []


def test_list_is_keyset_paginated(citizen, payload, officers, media_root):
    client, auth = Client(), bearer(citizen)
    codes = [post_submission(client, auth, payload).json()["code"] for _ in range(3)]
    officer = bearer(officers["receiver"])
    first = client.get(URL, {"limit": 2}, **officer).json()
    assert [i["code"] for i in first["items"]] == codes[::-1][:2]
    rest = client.get(URL, {"limit": 2, "cursor": first["next_cursor"]}, **officer).json()
    assert [i["code"] for i in rest["items"]] == [codes[0]] and rest["next_cursor"] is None
    queues = {q["queue"]: q["count"] for q in client.get(f"{URL}queues", **officer).json()}
    assert queues["to_receive"] == 3


def test_public_tracking_reveals_no_personal_data(citizen, payload, media_root):
    client = Client()
    code = post_submission(client, bearer(citizen), payload).json()["code"]
    body = {"code": code, "id_number": citizen.id_number}
    found = client.post(f"{URL}track", json.dumps(body), content_type="application/json")
    assert found.status_code == 200
    data = found.json()
    assert data["status"] == Status.NEW
    assert "Lê Văn Cường" not in found.content.decode() and citizen.id_number not in str(data)
    body["id_number"] = "070090000000"
    wrong = client.post(f"{URL}track", json.dumps(body), content_type="application/json")
    assert wrong.status_code == 404 and wrong.json()["code"] == "DOSSIER_NOT_FOUND"
