from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TINHSO_PUBLIC_URL = "https://tinhso.example.vn"
    settings.TINHSO_MEETINGS_VIDEO_BASE_URL = "https://hop.binhphuoc.gov.vn"


class People:
    def __init__(self, agency) -> None:
        self.organiser = factories.make_official(agency, "agency_admin")
        self.chair = factories.make_official(agency, "leader")
        self.secretary = factories.make_official(agency, "specialist")
        self.member = factories.make_official(agency, "specialist")
        self.colleague = factories.make_official(agency, "receiver")  # not invited
        for user, name in ((self.chair, "Nguyễn Văn Chủ"), (self.secretary, "Lê Thị Ký"),
                           (self.member, "Phạm Văn Dự")):
            user.full_name = name
            user.email = f"{user.username}@binhphuoc.gov.vn"
            user.save(update_fields=["full_name", "email"])


@pytest.fixture
def people(db, agency):
    return People(agency)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def meeting(people, agency):
    from tinhso.meetings import services

    start = timezone.now() + dt.timedelta(minutes=20)
    meeting = services.meeting_schedule(
        acting_user=people.organiser, agency=agency, title="Họp giao ban tháng 12",
        starts_at=start, ends_at=start + dt.timedelta(hours=2), place="Phòng họp số 1",
        chair_id=people.chair.pk, secretary_id=people.secretary.pk,
        participant_ids=[people.member.pk])
    item = services.agenda_item_add(acting_user=people.secretary, meeting=meeting,
                                    title="Thông qua kế hoạch chuyển đổi số 2027",
                                    presenter="Phòng Kế hoạch", voting=True)
    services.item_document_add(acting_user=people.secretary, item=item, name="ke-hoach.pdf",
                               content=PDF)
    return meeting
