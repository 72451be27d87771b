"""NUL characters and lone surrogates are a 422 with a code, never a 500 (issue 9).

On PostgreSQL a NUL in any string that reached a query made the driver raise; the guard answers
the same on both databases (CI runs this file on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tinhso.accounts.models import User
from tinhso.dossiers.models import Dossier

pytestmark = pytest.mark.django_db


def _assert_refused(response, code: str = "NUL_CHARACTER") -> None:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message_vi"] and body["message_en"] and body["details"]["where"]


@pytest.mark.parametrize("url", [
    "/api/v1/procedures/?q=a%00b",
    "/api/v1/procedures/?field=%00",
    "/api/v1/procedures/a%00b",
    "/api/v1/units/agencies?unit=7%000",
])
def test_nul_in_query_or_path(url: str, procedure) -> None:
    _assert_refused(Client().get(url))


def test_nul_in_json_bodies_changes_nothing() -> None:
    client = Client()
    _assert_refused(client.post("/api/v1/dossiers/track",
                                {"code": "a\x00b", "id_number": "070090001234"},
                                content_type="application/json"))
    body = {"full_name": "Nguyễn\u0000 An", "id_number": "070090001234",
            "password": "Mat-khau-rat-manh-2026", "email": "an@example.vn"}
    _assert_refused(client.post("/api/v1/accounts/register/citizen", json.dumps(body),
                                content_type="application/json"))
    assert not User.objects.exists()


def test_lone_surrogate_in_json() -> None:
    raw = '{"code": "a\\ud800b", "id_number": "070090001234"}'
    _assert_refused(Client().post("/api/v1/dossiers/track", raw,
                                  content_type="application/json"), "INVALID_CHARACTER")


def test_nul_in_the_submission_form_data(citizen, procedure, agency) -> None:
    client = Client()
    client.force_login(citizen)
    payload = {"procedure": procedure.code, "agency": agency.code,
               "form_data": {"ho_ten": "An\u0000"}}
    response = client.post("/api/v1/dossiers/", {"payload": json.dumps(payload)})
    _assert_refused(response)
    assert not Dossier.objects.exists()


def test_nul_in_a_form_field(citizen) -> None:
    client = Client()
    client.force_login(citizen)
    _assert_refused(client.post("/api/v1/signatures/certified-copies",
                                {"description": "bản\x00chính"}))


def test_nul_in_certificate_filters(citizen) -> None:
    client = Client()
    client.force_login(citizen)
    _assert_refused(client.get("/api/v1/signatures/certificates?kind=%00&status=x"))


def test_nul_on_a_page_is_a_plain_400(db) -> None:
    response = Client().get("/thu-tuc/?q=a%00b")
    assert response.status_code == 400


def test_file_contents_may_hold_nul(citizen) -> None:
    """A PDF holds NUL bytes: only form fields and names are checked, never file contents."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\x00\x00", content_type="application/pdf")
    response = client.post("/api/v1/signatures/verify", {"file": upload})
    assert response.json()["code"] != "NUL_CHARACTER"
