"""/api/v1/feedback and the /phan-anh/ pages."""

from __future__ import annotations

import pytest
from django.test import Client

from tinhso.feedback.models import FeedbackStatus

URL = "/api/v1/feedback/"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def filed(clock, citizen, agency):
    res = login(citizen).post(URL, {"title": "Thái độ phục vụ", "content": "Cán bộ chậm",
                                     "agency_code": agency.code, "kind": "petition"},
                              content_type="application/json")
    assert res.status_code == 201, res.json()
    return res.json()


def test_submit_and_read(filed, citizen, handler, outsider):
    assert filed["status"] == "new" and filed["kind"] == "petition"
    assert filed["allowed_actions"] == []
    assert login(handler).get(f"{URL}{filed['code']}").json()["allowed_actions"] == [
        "refuse", "request_supplement", "resolve"]
    assert login(outsider).get(f"{URL}{filed['code']}").status_code == 404
    listing = login(handler).get(URL).json()
    assert listing["count"] == 1 and listing["items"][0]["code"] == filed["code"]
    assert login(outsider).get(URL).json()["count"] == 0


def test_actions_through_the_api(filed, clock, citizen, handler):
    code = filed["code"]
    client = login(handler)
    res = client.post(f"{URL}{code}/actions/resolve", {"resolution": "Đã nhắc nhở cán bộ"},
                      content_type="application/json", HTTP_IF_MATCH="999")
    assert res.status_code == 409 and res.json()["code"] == "STALE_VERSION"
    res = client.post(f"{URL}{code}/actions/resolve", {"resolution": "Đã nhắc nhở cán bộ"},
                      content_type="application/json", HTTP_IF_MATCH=str(filed["version"]))
    assert res.status_code == 200 and res.json()["status"] == "resolved"
    res = client.post(f"{URL}{code}/actions/publish", {}, content_type="application/json")
    assert res.json()["status"] == FeedbackStatus.PUBLISHED
    res = login(citizen).post(f"{URL}{code}/actions/rate", {"rating": 5},
                              content_type="application/json")
    assert res.status_code == 422 and res.json()["code"] == "INVALID_RATING"
    res = login(citizen).post(f"{URL}{code}/actions/rate", {"rating": -1},
                              content_type="application/json")
    assert res.json()["rating"] == -1
    events = login(citizen).get(f"{URL}{code}/events").json()
    assert [e["action"] for e in events] == ["submit", "resolve", "publish", "rate"]
    published = Client().get(f"{URL}published").json()
    assert published["items"][0]["code"] == code
    assert "submitter" not in str(published)


def test_unknown_action(filed, handler):
    res = login(handler).post(f"{URL}{filed['code']}/actions/fly", {},
                              content_type="application/json")
    assert res.status_code == 404


def test_pages(filed, clock, citizen, handler):
    code = filed["code"]
    assert Client().get("/phan-anh/").status_code == 200
    assert Client().get("/phan-anh/gui/").status_code == 302
    page = login(handler).get(f"/phan-anh/{code}/")
    assert page.status_code == 200 and "Trả lời" in page.content.decode()
    res = login(handler).post(f"/phan-anh/{code}/resolve/", {"text": "Đã xử lý xong"})
    assert res.status_code == 302
    res = login(handler).post(f"/phan-anh/{code}/publish/")
    page = Client().get(f"/phan-anh/{code}/")
    assert page.status_code == 200 and "Đã xử lý xong" in page.content.decode()
    assert "Nhật ký" not in page.content.decode()
    res = login(citizen).post("/phan-anh/gui/", {"kind": "reflection", "title": "",
                                                  "content": "x"})
    assert res.status_code == 422
    assert login(handler).get("/phan-anh/cua-toi/?hang_doi=open").status_code == 200
