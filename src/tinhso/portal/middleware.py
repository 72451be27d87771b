"""Language choice: Vietnamese unless the user picked English with the language switcher.

Django's LocaleMiddleware also follows the browser's Accept-Language header, so a citizen whose
phone is set to English would get a half-English portal without asking for it. This middleware
(proposed to replace ``django.middleware.locale.LocaleMiddleware`` in settings) reads only the
language cookie that ``set_language`` writes, and falls back to ``LANGUAGE_CODE`` (vi).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class ChosenLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        return response
