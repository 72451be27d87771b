"""A participant on a phone: opens the meeting, reads the agenda, votes, checks in by the door's
QR link; no horizontal scrolling, no CSP violation (the browser fixture fails on one)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from tests import factories
from tests.browser.test_journeys import PASSWORD, _css, _page_has, _wait, login
from tinhso.meetings.models import Participant, Vote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_participant_votes_and_checks_in_on_a_phone(browser, shot, live_server, settings,
                                                     tmp_path):
    from tinhso.meetings import checkin, services

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TINHSO_PUBLIC_URL = live_server.url
    agency = factories.make_agency(name="Sở Thông tin và Truyền thông")
    users = {}
    for name, role in (("to-chuc", "agency_admin"), ("chu-tri", "leader"),
                       ("thu-ky", "specialist"), ("dai-bieu", "specialist")):
        user = factories.make_official(agency, role, username=name)
        user.password = make_password(PASSWORD)
        user.full_name = f"Cán bộ {name}"
        user.save(update_fields=["password", "full_name"])
        users[name] = user
    start = timezone.now() + dt.timedelta(minutes=10)
    meeting = services.meeting_schedule(
        acting_user=users["to-chuc"], agency=agency,
        title="Họp triển khai nền tảng số cấp xã, năm 2027", starts_at=start,
        ends_at=start + dt.timedelta(hours=2), place="Phòng họp tầng 3",
        chair_id=users["chu-tri"].pk, secretary_id=users["thu-ky"].pk,
        participant_ids=[users["dai-bieu"].pk])
    item = services.agenda_item_add(acting_user=users["thu-ky"], meeting=meeting,
                                    title="Thông qua danh mục nền tảng dùng chung", voting=True)
    services.item_document_add(acting_user=users["thu-ky"], item=item, name="danh-muc.pdf",
                               content=PDF)

    browser.set_window_size(390, 844)
    login(browser, live_server.url, "dai-bieu")
    browser.get(f"{live_server.url}/hop/{meeting.slug}/")
    _wait(browser, _page_has("Thông qua danh mục nền tảng dùng chung"))
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    shot("meeting-phone")
    _css(browser, "form.vote-form button[value=for]").click()
    _wait(browser, _page_has("Đã thực hiện"))
    assert Vote.objects.get(voter=users["dai-bieu"]).choice == "for"

    browser.get(checkin.checkin_url(meeting))
    _wait(browser, _page_has("Xác nhận có mặt"))
    shot("checkin-phone")
    _css(browser, "form button[type=submit].w-full").click()
    _wait(browser, _page_has("Đã điểm danh"))
    assert Participant.objects.get(meeting=meeting, user=users["dai-bieu"]).checked_in_at
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
