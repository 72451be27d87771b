"""The secretary's minutes as PDF (Be Vietnam Pro, NFC), signed by the chair (PAdES)."""

from __future__ import annotations

import subprocess
import unicodedata

import pytest

from tests.signatures import pkihelpers as h
from tests.signatures.tools import require_tool
from tinhso.core import blobs
from tinhso.core.errors import Conflict, DomainError, PermissionDenied
from tinhso.meetings import minutes, services
from tinhso.outbox.models import OutboxEvent


def _closed(meeting, people):
    item = meeting.items.get()
    services.opinion_add(acting_user=people.member, item=item, text="Đồng ý với kế hoạch.")
    services.vote_cast(acting_user=people.member, item=item, choice="for")
    services.vote_cast(acting_user=people.chair, item=item, choice="for")
    return services.meeting_close(acting_user=people.chair, meeting=meeting)


@pytest.mark.django_db
def test_minutes_only_after_closing_and_by_the_secretary(meeting, people, tmp_path):
    with pytest.raises(Conflict):
        minutes.minutes_generate(acting_user=people.secretary, meeting=meeting, text="Kết luận")
    meeting = _closed(meeting, people)
    with pytest.raises(PermissionDenied):
        minutes.minutes_generate(acting_user=people.chair, meeting=meeting, text="Kết luận")
    meeting = minutes.minutes_generate(acting_user=people.secretary, meeting=meeting,
                                       text="Thống nhất thông qua kế hoạch.")
    with blobs.open_verified(meeting.minutes_file, sha256=meeting.minutes_sha256,
                             size=meeting.minutes_size) as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "minutes.pdf"
    path.write_bytes(pdf)
    text = subprocess.run([require_tool("pdftotext"), str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    assert "BIÊN BẢN CUỘC HỌP" in text and "Tán thành 2" in text
    assert "Đồng ý với kế hoạch." in text


@pytest.mark.django_db
def test_the_chair_signs_with_a_personal_certificate(meeting, people, agency):
    from tinhso.signatures.verify import verify_pdf

    meeting = _closed(meeting, people)
    meeting = minutes.minutes_generate(acting_user=people.secretary, meeting=meeting,
                                       text="Thống nhất thông qua kế hoạch.")
    with pytest.raises(PermissionDenied):
        minutes.minutes_sign(acting_user=people.secretary, meeting=meeting)
    with pytest.raises(DomainError) as missing:
        minutes.minutes_sign(acting_user=people.chair, meeting=meeting)
    assert missing.value.code == "CHAIR_CERTIFICATE_MISSING"
    h.init_pki()
    from tests import factories

    operator = factories.make_official(agency, "province_admin")
    cert = h.issue_personal(operator, people.chair)
    meeting = minutes.minutes_sign(acting_user=people.chair, meeting=meeting)
    assert meeting.minutes_signed_at is not None
    with blobs.open_verified(meeting.minutes_file, sha256=meeting.minutes_sha256,
                             size=meeting.minutes_size) as handle:
        report = verify_pdf(handle.read())
    assert report.valid is True
    assert report.signatures[0].signer == cert.common_name
    event = OutboxEvent.objects.get(type="minutes.signed")
    assert event.payload["sha256"] == meeting.minutes_sha256
    with pytest.raises(Conflict):
        minutes.minutes_generate(acting_user=people.secretary, meeting=meeting, text="Sửa")


@pytest.mark.django_db
def test_minutes_download_for_participants_only(client, meeting, people):
    meeting = _closed(meeting, people)
    minutes.minutes_generate(acting_user=people.secretary, meeting=meeting, text="Kết luận.")
    client.force_login(people.member)
    response = client.get(f"/hop/{meeting.slug}/bien-ban.pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(people.colleague)
    assert client.get(f"/hop/{meeting.slug}/bien-ban.pdf").status_code == 404
