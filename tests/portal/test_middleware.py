"""The proposed language middleware: Vietnamese by default, English only when chosen."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def chosen_language(settings):
    settings.MIDDLEWARE = [
        "tinhso.portal.middleware.ChosenLanguageMiddleware" if m.endswith("LocaleMiddleware")
        else m for m in settings.MIDDLEWARE]


def test_browser_language_alone_does_not_switch_to_english(client, chosen_language):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="vi"' in html and "Bạn cần làm thủ tục gì?" in html


def test_the_switcher_chooses_english(client, chosen_language):
    client.post(reverse("portal:set_language"), {"language": "en", "next": "/"})
    response = client.get("/")
    assert "Which procedure do you need?" in response.content.decode()
    assert response["Content-Language"] == "en"


def test_an_unknown_cookie_value_falls_back_to_vietnamese(client, chosen_language, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert 'lang="vi"' in client.get("/").content.decode()
