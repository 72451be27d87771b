"""The inbox page (Hộp thư) in the portal and the back office, with its unread count."""

from __future__ import annotations

import pytest

from tests import factories
from tinhso.notifications.models import NotificationPreference
from tinhso.notifications.services import notification_create, user_recipient

pytestmark = pytest.mark.django_db
CONTEXT = {"code": "HS-7", "procedure": "Đăng ký khai sinh", "agency": "UBND xã",
           "due": "16:30 05/03/2026"}


def message(user, key):
    return notification_create(event_key=key, kind="received", recipient=user_recipient(user),
                               context=CONTEXT, link="/ho-so-cua-toi/HS-7/")


def test_citizen_inbox_in_the_portal(client, citizen):
    other = factories.make_citizen(username="khac", id_number="070090005678")
    first = message(citizen, "a")
    message(citizen, "b")
    message(other, "c")
    client.force_login(citizen)
    page = client.get("/hop-thu/").content.decode()
    assert page.count("data-notification=") == 2
    assert "Hồ sơ HS-7 đã được tiếp nhận" in page
    assert 'data-inbox-unread>2<' in page  # the menu's badge
    assert "Hồ sơ của tôi" in page  # the portal's menu
    response = client.post(f"/hop-thu/{first.pk}/da-doc/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/ho-so-cua-toi/HS-7/"
    assert 'data-inbox-unread>1<' in client.get("/hop-thu/").content.decode()
    client.post("/hop-thu/da-doc-tat-ca/")
    assert "data-inbox-unread>" not in client.get("/").content.decode()


def test_another_users_message_cannot_be_marked(client, citizen):
    theirs = message(factories.make_citizen(username="khac", id_number="070090005678"), "x")
    client.force_login(citizen)
    client.post(f"/hop-thu/{theirs.pk}/da-doc/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_official_inbox_uses_the_back_office_menu(client, agency):
    officer = factories.make_official(agency, "specialist")
    message(officer, "o")
    client.force_login(officer)
    page = client.get("/hop-thu/").content.decode()
    assert "Tiếp nhận tại quầy" in page and page.count("data-notification=") == 1


def test_preferences_form(client, citizen):
    client.force_login(citizen)
    client.post("/hop-thu/tuy-chon/", {"in_app": "on", "language": "en"})
    pref = NotificationPreference.objects.get(user=citizen)
    assert (pref.in_app, pref.email, pref.sms, pref.language) == (True, False, False, "en")


def test_strangers_are_sent_to_sign_in(client):
    response = client.get("/hop-thu/")
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
