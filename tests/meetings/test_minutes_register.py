"""Signed minutes are registered as issued documents: the next number of the agency's "BB"
series (printed in the signed PDF with a QR code), an entry in the outgoing register, and the
public verification page every issued document has. A failed signature gives the number back."""

from __future__ import annotations

import subprocess
import unicodedata

import pytest

from tests import factories
from tests.meetings.test_minutes import _closed
from tests.signatures import pkihelpers as h
from tests.signatures.tools import require_tool
from tinhso.core import blobs
from tinhso.correspondence.models import OutgoingDocument
from tinhso.meetings import minutes
from tinhso.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _ready(meeting, people, agency):
    meeting = _closed(meeting, people)
    meeting = minutes.minutes_generate(acting_user=people.secretary, meeting=meeting,
                                       text="Thống nhất thông qua kế hoạch.")
    h.init_pki()
    h.issue_personal(factories.make_official(agency, "province_admin"), people.chair)
    return meeting


def test_signed_minutes_get_a_number_a_register_entry_and_a_qr_page(
        client, meeting, people, agency, monkeypatch):
    from tinhso.signatures import signing

    meeting = _ready(meeting, people, agency)

    def broken(*args, **kwargs):
        raise RuntimeError("HSM unavailable")
    with monkeypatch.context() as m:
        m.setattr(signing, "sign_with", broken)
        with pytest.raises(RuntimeError):
            minutes.minutes_sign(acting_user=people.chair, meeting=meeting)
    assert not OutgoingDocument.objects.exists()

    meeting = minutes.minutes_sign(acting_user=people.chair, meeting=meeting)
    doc = OutgoingDocument.objects.get(agency=agency)
    assert (doc.doc_type, doc.number, doc.state) == ("BB", 1, "issued")  # 1: given back
    assert doc.notation.startswith("01/BB-")
    assert doc.pdf_sha256 == meeting.minutes_sha256 and doc.signer == people.chair
    assert doc.subject == f"Biên bản cuộc họp: {meeting.title}"

    page = client.get(f"/chu-ky-so/xac-minh/{doc.uuid}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Biên bản cuộc họp" in body and agency.name in body
    assert meeting.minutes_sha256 in body
    payload = OutboxEvent.objects.get(type="minutes.signed").payload
    assert payload["notation"] == doc.notation
    assert payload["verify_url"].endswith(f"/chu-ky-so/xac-minh/{doc.uuid}")


def test_the_number_and_the_qr_code_are_in_what_the_chair_signed(meeting, people, agency,
                                                                  tmp_path):
    meeting = minutes.minutes_sign(acting_user=people.chair,
                                   meeting=_ready(meeting, people, agency))
    doc = OutgoingDocument.objects.get(agency=agency)
    with blobs.open_verified(meeting.minutes_file, sha256=meeting.minutes_sha256,
                             size=meeting.minutes_size) as handle:
        pdf = handle.read()
    path = tmp_path / "bb.pdf"
    path.write_bytes(pdf)
    text = unicodedata.normalize("NFC", " ".join(subprocess.run(
        [require_tool("pdftotext"), str(path), "-"], capture_output=True, text=True,
        check=True).stdout.split()))
    assert f"Số: {doc.notation}" in text and "Quét mã để xác minh văn bản" in text

