"""Request types for annotations only: what sign-in and middleware put on a request.

Never instantiated. A view or API operation behind a sign-in check annotates its request as
``AuthedRequest``, so the type checker knows ``request.user`` (and ninja's ``request.auth``) is
an account, not ``AnonymousUser``; views that read ``request.htmx`` annotate ``HtmxRequest``.
Ninja reads these annotations at import time, so they are real classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from tinhso.accounts.models import User


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


class AuthedRequest(HtmxRequest):
    user: User
    auth: User
