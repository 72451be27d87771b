"""Paperless meetings: scheduling and invitations, papers for participants only, check-in by
QR within its window, opinions and votes, closing, reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tests.meetings.conftest import PDF
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.meetings import checkin, selectors, services
from tinhso.meetings.models import Meeting, MeetingStatus, Participant, Vote
from tinhso.notifications.models import Notification
from tinhso.outbox.models import OutboxEvent


@pytest.mark.django_db
def test_scheduling_seats_chair_and_secretary_and_invites(meeting, people):
    roles = dict(Participant.objects.filter(meeting=meeting).values_list("user_id", "role"))
    assert roles == {people.chair.pk: "chair", people.secretary.pk: "secretary",
                     people.member.pk: "member"}
    assert meeting.video_url == f"https://hop.binhphuoc.gov.vn/{meeting.slug}"
    event = OutboxEvent.objects.get(type="meeting.scheduled")
    assert event.payload["slug"] == meeting.slug and event.agency_id == meeting.agency_id
    invited = Notification.objects.filter(kind="meeting_invited")
    assert invited.count() == 3
    assert "Họp giao ban tháng 12" in invited.first().title


@pytest.mark.django_db
def test_invitation_mail_carries_an_ics(people, agency):
    from tinhso.mail.models import AddressKind, OutboundMail
    from tinhso.mail.services import address_entry_save

    address_entry_save(acting_user=None, agency=agency, kind=AddressKind.AGENCY,
                       name=agency.name, email="vanphong@binhphuoc.gov.vn")
    start = timezone.now() + dt.timedelta(days=2)
    meeting = services.meeting_schedule(
        acting_user=people.organiser, agency=agency, title="Họp Ban chỉ đạo, chuyển đổi số",
        starts_at=start, ends_at=start + dt.timedelta(hours=1), chair_id=people.chair.pk,
        secretary_id=people.secretary.pk, participant_ids=[people.member.pk])
    mail = OutboundMail.objects.get(source=f"meeting:{meeting.pk}")
    from tinhso.notifications.models import Delivery

    # In the app, and by the official mail: not a second e-mail from the notifications app.
    assert Notification.objects.filter(kind="meeting_invited").count() == 3
    assert not Delivery.objects.filter(notification__kind="meeting_invited").exists()
    assert mail.from_address == "vanphong@binhphuoc.gov.vn"
    assert sorted(mail.to) == sorted(u.email for u in (people.chair, people.secretary,
                                                       people.member))
    [ics] = mail.attachments
    assert ics["content_type"] == "text/calendar"
    from tinhso.core import blobs

    with blobs.open_verified(ics["file"], sha256=ics["sha256"], size=ics["size"]) as handle:
        text = handle.read().decode()
    assert "METHOD:REQUEST" in text and f"UID:{meeting.slug}@binhphuoc.gov.vn" in text
    assert "SUMMARY:Họp Ban chỉ đạo\\, chuyển đổi số" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


@pytest.mark.django_db
def test_only_officials_of_the_agency_schedule(people, agency, other_agency):
    outsider = factories.make_official(other_agency, "specialist")
    start = timezone.now() + dt.timedelta(hours=3)
    with pytest.raises(PermissionDenied):
        services.meeting_schedule(acting_user=outsider, agency=agency, title="X",
                                  starts_at=start, ends_at=start + dt.timedelta(hours=1),
                                  chair_id=people.chair.pk, secretary_id=people.secretary.pk)
    with pytest.raises(ValidationFailed):
        services.meeting_schedule(acting_user=people.organiser, agency=agency, title="X",
                                  starts_at=start, ends_at=start - dt.timedelta(hours=1),
                                  chair_id=people.chair.pk, secretary_id=people.secretary.pk)
    far = dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC)  # no overflow, a clear 422
    with pytest.raises(ValidationFailed):
        services.meeting_schedule(acting_user=people.organiser, agency=agency, title="X",
                                  starts_at=far, ends_at=far,
                                  chair_id=people.chair.pk, secretary_id=people.secretary.pk)
    assert not Meeting.objects.exists()


@pytest.mark.django_db
def test_papers_are_for_participants_only(client, meeting, people, province):
    from tinhso.accounts.models import Role

    doc = selectors.documents_of(people.member, meeting).get()
    url = f"/hop/{meeting.slug}/tai-lieu/{doc.pk}/"
    client.force_login(people.member)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    admin = factories.make_official(factories.make_agency(unit=province, code="000.00.55.H10"),
                                    Role.PROVINCE_ADMIN)
    for outsider in (people.colleague, admin):
        # They see that the meeting exists (its agency's officials, province admins) …
        assert selectors.meetings_visible_to(outsider).filter(pk=meeting.pk).exists()
        # … but not its papers, opinions or votes.
        assert not selectors.documents_of(outsider, meeting).exists()
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        detail = client.get(f"/api/v1/meetings/{meeting.slug}").json()
        assert all(not item["documents"] for item in detail["items"])
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


@pytest.mark.django_db
def test_check_in_by_qr_within_the_window(client, meeting, people):
    token = checkin.token_for(meeting)
    with pytest.raises(ValidationFailed):
        services.meeting_check_in(acting_user=people.member, meeting=meeting, token="sai")
    with pytest.raises(Conflict) as early:
        services.meeting_check_in(acting_user=people.member, meeting=meeting, token=token,
                                  now=meeting.starts_at - dt.timedelta(hours=1))
    assert early.value.code == "CHECKIN_WINDOW"
    with pytest.raises(Conflict):
        services.meeting_check_in(acting_user=people.member, meeting=meeting, token=token,
                                  now=meeting.ends_at + dt.timedelta(minutes=1))
    with pytest.raises(PermissionDenied):
        services.meeting_check_in(acting_user=people.colleague, meeting=meeting, token=token)
    url = checkin.checkin_url(meeting).removeprefix("https://tinhso.example.vn")
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(people.member)
    page = client.get(url)
    assert page.status_code == 200 and "Xác nhận có mặt" in page.content.decode()
    assert client.post(url).status_code == 302
    seat = Participant.objects.get(meeting=meeting, user=people.member)
    assert seat.checked_in_at is not None
    client.force_login(people.secretary)
    qr = client.get(f"/hop/{meeting.slug}/ma-qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    client.force_login(people.member)
    assert client.get(f"/hop/{meeting.slug}/ma-qr.svg").status_code == 404


@pytest.mark.django_db
def test_one_vote_per_voter_changeable_until_closed(meeting, people):
    item = meeting.items.get()
    services.vote_cast(acting_user=people.member, item=item, choice="for")
    services.vote_cast(acting_user=people.member, item=item, choice="against")
    services.vote_cast(acting_user=people.chair, item=item, choice="for")
    assert Vote.objects.filter(item=item).count() == 2
    assert services.vote_results(item) == {"for": 1, "against": 1, "abstain": 0}
    with pytest.raises(PermissionDenied):
        services.vote_cast(acting_user=people.secretary, item=item, choice="for")
    with pytest.raises(PermissionDenied):
        services.vote_cast(acting_user=people.colleague, item=item, choice="for")
    with pytest.raises(ValidationFailed):
        services.vote_cast(acting_user=people.member, item=item, choice="maybe")
    services.item_voting_close(acting_user=people.chair, item=item)
    with pytest.raises(Conflict):
        services.vote_cast(acting_user=people.member, item=item, choice="for")
    assert services.vote_results(item) == {"for": 1, "against": 1, "abstain": 0}


@pytest.mark.django_db
def test_api_flow_opinion_vote_close(client, meeting, people):
    item = meeting.items.get()
    client.force_login(people.member)
    base = f"/api/v1/meetings/{meeting.slug}"
    r = client.post(f"{base}/items/{item.pk}/opinions", {"text": "Đề nghị bổ sung kinh phí."},
                    content_type="application/json")
    assert r.status_code == 200, r.content
    r = client.post(f"{base}/items/{item.pk}/vote", {"choice": "abstain"},
                    content_type="application/json")
    assert r.json()["items"][0]["my_vote"] == "abstain"
    assert r.json()["items"][0]["opinions"][0]["text"] == "Đề nghị bổ sung kinh phí."
    assert client.post(f"{base}/close").status_code == 403
    client.force_login(people.chair)
    r = client.post(f"{base}/close")
    assert r.status_code == 200 and r.json()["status"] == MeetingStatus.CLOSED
    closed = OutboxEvent.objects.get(type="meeting.closed")
    assert closed.payload["participants"] == 3
    client.force_login(people.member)
    r = client.post(f"{base}/items/{item.pk}/vote", {"choice": "for"},
                    content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "VOTING_CLOSED"
    listed = client.get("/api/v1/meetings/").json()
    assert [m["slug"] for m in listed["items"]] == [meeting.slug]


@pytest.mark.django_db
def test_schedule_over_the_api(client, people, agency):
    client.force_login(people.organiser)
    start = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    r = client.post("/api/v1/meetings/", {
        "title": "Họp thẩm định dự án", "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(), "chair_id": people.chair.pk,
        "secretary_id": people.secretary.pk, "participant_ids": [people.member.pk],
        "place": "Hội trường A"}, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["can_manage"] is True and len(body["participants"]) == 3
    assert body["video_url"].startswith("https://hop.binhphuoc.gov.vn/hop-")


@pytest.mark.django_db
def test_reminders_24h_and_1h_once_each(meeting, people, settings):
    from tinhso.meetings.reminders import reminders_send
    from tinhso.meetings.tasks import meeting_reminders

    settings.TINHSO_MEETINGS_REMINDER_HOURS = [24, 1]
    # The periodic job: starts in 20 minutes, so the 1 h reminder only.
    assert meeting_reminders.call_local() == 3
    assert reminders_send() == 0
    kinds = Notification.objects.filter(kind="meeting_reminder")
    assert {n.event_key for n in kinds} == {f"meeting:{meeting.pk}:remind:1"}
    later = timezone.now() - dt.timedelta(hours=23)  # as if 23 h ago: within 24 h, not 1 h
    assert reminders_send(now=later) == 3
    assert Notification.objects.filter(kind="meeting_reminder").count() == 6


@pytest.mark.django_db
def test_pages_render_on_a_phone_friendly_layout(client, meeting, people):
    client.force_login(people.secretary)
    listing = client.get("/hop/")
    assert listing.status_code == 200 and "Họp giao ban tháng 12" in listing.content.decode()
    page = client.get(f"/hop/{meeting.slug}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "meetings/meetings.css" in html and "Kết thúc cuộc họp" in html
    assert "ke-hoach.pdf" in html and 'href="/hop/"' in html
    client.force_login(people.organiser)
    assert client.get("/hop/moi/").status_code == 200
    client.force_login(people.member)
    r = client.post(f"/hop/{meeting.slug}/thao-tac/vote/",
                    {"item": meeting.items.get().pk, "choice": "for"})
    assert r.status_code == 302
    assert Vote.objects.get(voter=people.member).choice == "for"


@pytest.mark.django_db
def test_cancel(meeting, people):
    with pytest.raises(PermissionDenied):
        services.meeting_cancel(acting_user=people.member, meeting=meeting, reason="x")
    services.meeting_cancel(acting_user=people.organiser, meeting=meeting,
                            reason="Trùng lịch họp HĐND")
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.CANCELLED
    assert OutboxEvent.objects.filter(type="meeting.cancelled").count() == 1
