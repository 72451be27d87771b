"""/api/v1/notifications: a user sees and changes only their own messages."""

from __future__ import annotations

import pytest

from tests import factories
from tinhso.notifications.services import notification_create, user_recipient

pytestmark = pytest.mark.django_db
URL = "/api/v1/notifications"
CONTEXT = {"code": "HS-1", "procedure": "Đăng ký khai sinh", "agency": "UBND xã",
           "due": "16:30 05/03/2026"}


@pytest.fixture
def alice(db):
    return factories.make_citizen(username="alice")


@pytest.fixture
def bob(db):
    return factories.make_citizen(username="bob", id_number="070090005678")


def message(user, key):
    return notification_create(event_key=key, kind="received", recipient=user_recipient(user),
                               context=CONTEXT, link="http://x/")


def test_list_is_the_signed_in_users_own(client, alice, bob):
    mine = [message(alice, "a1"), message(alice, "a2")]
    message(bob, "b1")
    client.force_login(alice)
    body = client.get(URL).json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [m.pk for m in reversed(mine)]
    assert body["items"][0]["title"] == "Hồ sơ HS-1 đã được tiếp nhận"
    assert client.get(f"{URL}/unread-count").json() == {"unread": 2}


def test_anonymous_gets_401(client):
    response = client.get(URL)
    assert response.status_code == 401


def test_another_users_notification_is_404_and_unchanged(client, alice, bob):
    theirs = message(bob, "b1")
    client.force_login(alice)
    response = client.post(f"{URL}/{theirs.pk}/read")
    assert response.status_code == 404
    assert response.json()["code"] == "NOTIFICATION_NOT_FOUND"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_and_read_all(client, alice, bob):
    first, second = message(alice, "a1"), message(alice, "a2")
    theirs = message(bob, "b1")
    client.force_login(alice)
    response = client.post(f"{URL}/{first.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"]
    assert client.get(URL, {"unread": True}).json()["count"] == 1
    assert client.post(f"{URL}/read-all").json() == {"marked": 1}
    second.refresh_from_db()
    theirs.refresh_from_db()
    assert second.read_at is not None and theirs.read_at is None


def test_preferences_round_trip_and_bad_language(client, alice):
    client.force_login(alice)
    assert client.get(f"{URL}/preferences").json() == {
        "in_app": True, "email": True, "sms": True, "language": "vi"}
    response = client.put(f"{URL}/preferences", {"sms": False, "language": "en"},
                          content_type="application/json")
    assert response.json() == {"in_app": True, "email": True, "sms": False, "language": "en"}
    bad = client.put(f"{URL}/preferences", {"email": False, "language": "fr"},
                     content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "LANGUAGE_INVALID"
    assert client.get(f"{URL}/preferences").json()["email"] is True  # nothing changed
