"""Every answer under /api/ is the JSON error shape, whoever produces it (issue 9)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SHAPE = {"code", "message_vi", "message_en", "details"}


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == SHAPE and body["code"] == code
    assert body["message_vi"] and body["message_en"]
    return body


def test_unknown_api_path_is_json_404() -> None:
    _error(Client().get("/api/v1/khong-co/"), 404, "NOT_FOUND")
    _error(Client().get("/api/khong-co"), 404, "NOT_FOUND")


def test_pages_keep_their_html_404() -> None:
    response = Client().get("/khong-co-trang-nay/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_server_error_is_json_500(monkeypatch) -> None:
    from tinhso.catalog import selectors

    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "fields_with_counts", broken)
    response = Client(raise_request_exception=False).get("/api/v1/procedures/fields")
    body = _error(response, 500, "SERVER_ERROR")
    assert "boom" not in json.dumps(body)  # nothing of the internals leaks


def test_csrf_failure_is_json_403_with_vietnamese_message(citizen) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    response = client.post("/api/v1/feedback/", {"title": "x", "content": "y"},
                           content_type="application/json")
    body = _error(response, 403, "CSRF_FAILED")
    assert "CSRF" in body["message_vi"]


def test_oversized_body_is_413(settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"code": "x" * 2000, "id_number": "070090001234"})
    _error(Client().post("/api/v1/dossiers/track", body, content_type="application/json"),
           413, "REQUEST_TOO_LARGE")


def test_declared_length_over_the_request_cap_is_413(settings) -> None:
    settings.TINHSO_MAX_REQUEST_BYTES = 100
    response = Client().post("/api/v1/dossiers/track", "{}", content_type="application/json",
                             CONTENT_LENGTH="5000")
    _error(response, 413, "REQUEST_TOO_LARGE")


@pytest.mark.parametrize("url", [
    "/api/v1/procedures/?offset=14691939730572042240",
    "/api/v1/procedures/?limit=14691939730572042240",
    "/api/v1/units?offset=100000001",
    "/api/v1/units/agencies?offset=-1",
    "/api/v1/feedback/published?offset=14691939730572042240",
])
def test_huge_paging_numbers_are_422(url: str) -> None:
    body = _error(Client().get(url), 422, "VALIDATION_ERROR")
    assert body["details"]["errors"][0]["loc"][0] == "query"


@pytest.mark.parametrize("url", [
    "/api/v1/dossiers/?cursor=14691939730572042240",
    "/api/v1/dossiers/?status=14691939730572042240",
    "/api/v1/payments/?cursor=14691939730572042240",
    "/api/v1/payments/14691939730572042240",
    "/api/v1/ioc/notifications/14691939730572042240/read",
])
def test_huge_numbers_elsewhere_are_422_not_500(url: str, citizen) -> None:
    client = Client()
    client.force_login(citizen)
    response = (client.post(url) if url.endswith("/read") else client.get(url))
    # A filter out of range is a 422; an id out of range names no record: 404. Never a 500.
    assert response.status_code in (404, 422), response.content
    assert response.json()["code"] in {"VALIDATION_ERROR", "INVALID_CURSOR", "INVALID_STATUS",
                                       "VALUE_OUT_OF_RANGE", "PAYMENT_NOT_FOUND", "NOT_FOUND"}


def test_feedback_page_of_an_unknown_or_foreign_code_is_404(citizen, agency) -> None:
    from tests import factories
    from tinhso.feedback import services

    other = factories.make_citizen(id_number="079090004321", username="other")
    feedback = services.feedback_submit(acting_user=other, title="Đường hỏng",
                                        content="Ổ gà trước chợ", agency_code=agency.code)
    client = Client(raise_request_exception=False)
    client.force_login(citizen)
    assert client.get("/phan-anh/KHONG-CO/").status_code == 404
    assert client.get(f"/phan-anh/{feedback.code}/").status_code == 404
