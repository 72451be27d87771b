"""The /van-ban/ pages: registers, drafting, approval and signing by form posts, incoming
registration with a scan and handling; other agencies get 404; no inline styles or scripts."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.correspondence.conftest import chain_to_issued
from tests.signatures.pkihelpers import simple_pdf
from tinhso.correspondence import exchange
from tinhso.correspondence.models import IncomingDocument, OutgoingDocument, OutState

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _no_inline(html: str) -> None:
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_draft_to_release_through_the_pages(sides):
    a, b = sides
    res = login(a.specialist).post("/van-ban/di/moi/", {
        "doc_type": "TB", "subject": "Thông báo lịch tiếp công dân", "body": "Nội dung.",
        "recipients_text": "Các sở, ngành"})
    assert res.status_code == 302
    doc = OutgoingDocument.objects.get(agency=a.agency)
    page = login(a.specialist).get(f"/van-ban/di/{doc.pk}/")
    assert page.status_code == 200
    _no_inline(page.content.decode())
    for user, action, data in ((a.specialist, "edit", {"subject": "Thông báo lịch tiếp công "
                                                      "dân tháng 12", "body": "Mới.",
                                                      "version": "1"}),
                               (a.head, "comment", {"note": "Được."}),
                               (a.specialist, "submit", {}), (a.head, "approve", {}),
                               (a.leader, "sign", {"signer_title": "Chủ tịch"}),
                               (a.clerk, "seal", {}),
                               (a.clerk, "release", {"agency_codes": b.agency.code})):
        res = login(user).post(f"/van-ban/di/{doc.pk}/{action}/", data)
        assert res.status_code == 302
    doc.refresh_from_db()
    assert doc.state == OutState.RELEASED and doc.version == 2
    pdf = login(a.clerk).get(f"/van-ban/di/{doc.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert login(b.clerk).get(f"/van-ban/di/{doc.pk}/").status_code == 404
    register = login(a.clerk).get("/van-ban/di/", {"q": "lich tiep cong dan"}).content.decode()
    assert doc.notation in register
    got = IncomingDocument.objects.get(agency=b.agency)
    assert got.subject in login(b.clerk).get("/van-ban/den/").content.decode()


def test_incoming_paper_registration_handling_and_ioc_pages(sides):
    a, _ = sides
    scan = simple_pdf()
    res = login(a.clerk).post("/van-ban/den/moi/", {
        "sender_name": "Bộ Nội vụ", "notation": "15/CT-BNV", "subject": "Về kỷ cương",
        "scan": SimpleUploadedFile("scan.pdf", scan, "application/pdf")})
    assert res.status_code == 302
    doc = IncomingDocument.objects.get(agency=a.agency)
    assert doc.files.count() == 1
    res = login(a.leader).post(f"/van-ban/den/{doc.pk}/assign/", {
        "unit": a.unit.pk, "handler": a.specialist.pk, "working_days": "3"})
    doc.refresh_from_db()
    assert doc.state == "assigned" and doc.handler == a.specialist
    login(a.specialist).post(f"/van-ban/den/{doc.pk}/complete/", {"note": "Xong"})
    doc.refresh_from_db()
    assert doc.state == "completed"
    for url in ("/van-ban/", "/van-ban/den/", f"/van-ban/den/{doc.pk}/", "/van-ban/ioc/",
                "/van-ban/di/moi/", "/van-ban/den/moi/"):
        page = login(a.leader).get(url)
        assert page.status_code == 200, url
        _no_inline(page.content.decode())
    f = doc.files.get()
    assert login(a.clerk).get(f"/van-ban/tep/{f.pk}/").content == scan
    assert login(a.clerk).get("/van-ban/xuat/in.xlsx").status_code == 200
    assert Client().get("/van-ban/").status_code == 302


def test_release_page_shows_each_recipients_state(sides):
    a, b = sides
    doc = chain_to_issued(a)
    exchange.outgoing_release(acting_user=a.clerk, document=doc, agency_codes=[b.agency.code])
    html = login(a.leader).get(f"/van-ban/di/{doc.pk}/").content.decode()
    assert "Đã đến" in html and b.agency.name in html
