"""/api/v1/correspondence: the chain over HTTP, release, edXML export and import, the
incoming register with a scan, search, exports, the IOC card; other agencies see nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.signatures.pkihelpers import simple_pdf

URL = "/api/v1/correspondence"
pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(user, path, data=None):
    return login(user).post(f"{URL}{path}", data or {}, content_type="application/json")


def test_outgoing_chain_release_and_status_over_the_api(sides):
    a, b = sides
    res = post(a.specialist, "/outgoing", {"doc_type": "QĐ", "subject": "Về việc ban hành "
                                           "quy chế", "body": "Điều 1.", "recipients_text": ""})
    assert res.status_code == 201, res.json()
    doc = res.json()
    assert doc["state"] == "draft"
    res = login(a.specialist).put(f"{URL}/outgoing/{doc['id']}", {
        "subject": "Về việc ban hành quy chế văn thư", "body": "Điều 1. Sửa.",
        "expected_version": 1}, content_type="application/json")
    assert res.json()["version"] == 2
    assert post(a.head, f"/outgoing/{doc['id']}/comments", {"text": "Đồng ý."}
                ).status_code == 201
    for user, step in ((a.specialist, "submit"), (a.head, "approve"), (a.leader, "sign"),
                       (a.clerk, "seal")):
        res = post(user, f"/outgoing/{doc['id']}/steps/{step}", {"signer_title": "Chủ tịch"})
        assert res.status_code == 200, (step, res.json())
    assert res.json()["notation"] == "01/QĐ-UBND"
    res = post(a.clerk, f"/outgoing/{doc['id']}/release", {"agency_codes": [b.agency.code]})
    assert res.json()["recipients"][0]["status"] == "received"
    assert login(b.leader).get(f"{URL}/outgoing/{doc['id']}").status_code == 404
    package = login(a.clerk).get(f"{URL}/outgoing/{doc['id']}/edxml")
    assert package.status_code == 200 and b"edXMLEnvelope" in package.content
    listing = login(b.clerk).get(f"{URL}/incoming", {"q": "quy che van thu"}).json()
    assert [i["notation"] for i in listing["items"]] == ["01/QĐ-UBND"]
    incoming_id = listing["items"][0]["id"]
    res = post(b.leader, f"/incoming/{incoming_id}/assign", {"unit_id": b.unit.pk,
                                                            "working_days": 5})
    assert res.status_code == 200 and res.json()["due_on"]
    detail = login(a.clerk).get(f"{URL}/outgoing/{doc['id']}").json()
    assert detail["recipients"][0]["status"] == "assigned"
    # Importing the same package again over the API registers nothing new.
    from django.core.files.uploadedfile import SimpleUploadedFile

    res = login(b.clerk).post(f"{URL}/edxml/import", {
        "file": SimpleUploadedFile("goi.xml", package.content, "application/xml")})
    assert res.status_code == 200, res.json()
    assert res.json()["incoming"][0]["id"] == incoming_id
    res = login(b.clerk).post(f"{URL}/edxml/import", {
        "file": SimpleUploadedFile("x.xml", package.content.replace(b"quy", b"QUY", 1),
                                   "application/xml")})
    assert res.status_code == 422 and res.json()["code"] == "EDXML_SIGNATURE_INVALID"


def test_paper_registration_with_a_scan_exports_and_ioc(sides):
    from django.core.files.uploadedfile import SimpleUploadedFile

    a, b = sides
    res = post(a.clerk, "/incoming", {"sender_name": "Văn phòng Chính phủ",
                                      "notation": "12/VPCP-KGVX", "number": "12",
                                      "subject": "Về chuyển đổi số", "doc_type": "CV"})
    assert res.status_code == 201, res.json()
    doc = res.json()
    assert doc["incoming_number"] == 1
    res = login(a.clerk).post(f"{URL}/incoming/{doc['id']}/files", {
        "file": SimpleUploadedFile("scan.pdf", simple_pdf(), "application/pdf")})
    assert res.status_code == 201 and len(res.json()["files"]) == 1
    res = login(a.clerk).post(f"{URL}/incoming/{doc['id']}/files", {
        "file": SimpleUploadedFile("scan.pdf", b"MZ not a pdf", "application/pdf")})
    assert res.status_code == 422
    assert login(b.clerk).get(f"{URL}/incoming/{doc['id']}").status_code == 404
    post(a.leader, f"/incoming/{doc['id']}/assign", {"unit_id": a.unit.pk, "working_days": 2})
    card = login(a.leader).get(f"{URL}/ioc").json()
    assert card[0]["open"] == 1
    csv = login(a.clerk).get(f"{URL}/export", {"kind": "in", "format": "csv"})
    assert csv.status_code == 200 and "12/VPCP-KGVX" in csv.content.decode("utf-8-sig")
    pdf = login(a.clerk).get(f"{URL}/export", {"kind": "in", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert login(a.clerk).get(f"{URL}/incoming", {"cursor": "zzz"}).status_code == 422
