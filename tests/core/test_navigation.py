"""Menus: each role sees the links to the pages it may open, and only those; every link it
sees opens for it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tinhso.accounts.models import AccountKind, Role, User
from tinhso.ioc.scopes import Directory, may_open_ioc, user_reach
from tinhso.notifications.models import Notification

NAV = re.compile(r'<nav class="nav-wide"[^>]*>(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')

EVERYONE = {"feedback:list", "signatures:verify", "portal:home", "portal:procedures",
            "portal:track"}
OPTIONAL = {
    "ioc": "ioc:overview",
    "notifications": "notifications:inbox",
    "feedback_queue": "feedback:mine",
    "register": "admin:documents_certificationregisterentry_changelist",
    "certificates": "admin:signatures_certificate_changelist",
    "admin": "admin:index",
    "backoffice": "backoffice:home",
    "mine": "portal:my_dossiers",
}


def nav_hrefs(html: str) -> set[str]:
    match = NAV.search(html)
    assert match, "page has no wide navigation"
    return set(HREF.findall(match.group(1)))


def make_user(kind: str, agency: Any) -> Any:
    if kind == "anonymous":
        return None
    if kind == "citizen":
        return factories.make_citizen()
    if kind == "receiver":
        return factories.make_official(agency, Role.RECEIVER)
    if kind == "no_agency":
        user = factories.make_official(agency, Role.SPECIALIST)
        user.agency = None
        user.save()
        return user
    if kind == "ioc_viewer":
        return factories.make_official(agency, Role.IOC_VIEWER)
    if kind == "registrar":
        user = factories.make_official(agency, Role.CLERK)
        user.is_staff = True
        user.save()
        user.user_permissions.add(Permission.objects.get(
            codename="view_certificationregisterentry", content_type__app_label="documents"))
        return user
    if kind == "superuser":
        return User.objects.create_superuser("quantri", "qt@example.vn", "matkhau-123")
    raise AssertionError(kind)


# role → the optional links it must see (all others must be absent).
EXPECTED = {
    "anonymous": set(),
    "citizen": {"mine", "notifications"},
    "receiver": {"backoffice", "ioc", "notifications", "feedback_queue"},
    "no_agency": {"backoffice", "notifications", "feedback_queue"},
    "ioc_viewer": {"backoffice", "ioc", "notifications", "feedback_queue"},
    "registrar": {"backoffice", "ioc", "notifications", "feedback_queue", "register",
                  "admin"},
    "superuser": {"mine", "ioc", "notifications", "register", "certificates", "admin"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_portal_menu_shows_each_role_its_links(client, agency, role):
    user = make_user(role, agency)
    if user is not None:
        client.force_login(user)
    hrefs = nav_hrefs(client.get(reverse("feedback:list")).content.decode())
    assert {reverse(name) for name in EVERYONE} <= hrefs
    for key, name in OPTIONAL.items():
        assert (reverse(name) in hrefs) == (key in EXPECTED[role]), (role, key)
    # Every link in the menu opens for this user (redirects within the site are fine).
    for href in sorted(hrefs):
        response = client.get(href, follow=True)
        assert response.status_code == 200, (role, href, response.status_code)


@pytest.mark.parametrize("role", ["receiver", "registrar", "no_agency"])
def test_backoffice_menu_shows_the_official_links(client, agency, role):
    user = make_user(role, agency)
    client.force_login(user)
    hrefs = nav_hrefs(client.get(reverse("backoffice:queue", args=["to_process"]))
                      .content.decode())
    assert reverse("backoffice:intake") in hrefs
    for key in ("ioc", "notifications", "feedback_queue", "register", "certificates", "admin"):
        assert (reverse(OPTIONAL[key]) in hrefs) == (key in EXPECTED[role]), (role, key)


def test_ioc_menu_links_back_to_the_desk_and_the_feedback_queue(client, agency):
    client.force_login(make_user("receiver", agency))
    hrefs = nav_hrefs(client.get(reverse("ioc:queues")).content.decode())
    assert {reverse("backoffice:home"), reverse("feedback:mine"),
            reverse("notifications:inbox")} <= hrefs


def test_unread_badge_counts_with_one_query(client, agency):
    user = make_user("receiver", agency)
    client.force_login(user)
    url = reverse("backoffice:queue", args=["to_process"])
    assert "data-inbox-unread" not in client.get(url).content.decode()
    for n in range(2):
        Notification.objects.create(recipient=user, recipient_key=f"user:{user.pk}",
                                    event_key=f"reminder:overdue:{n}", kind="overdue",
                                    title=f"Hồ sơ {n} đã quá hạn", in_app=True)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(url).content.decode()
    badges = re.findall(r'data-inbox-unread>(\d+)<', html)
    assert badges == ["2", "2"]  # narrow and wide menus
    counts = [q["sql"] for q in ctx.captured_queries
              if "notifications_notification" in q["sql"] and "COUNT" in q["sql"].upper()]
    assert len(counts) == 1
    Notification.objects.filter(recipient=user).update(read_at="2025-01-01T00:00:00Z")
    assert "data-inbox-unread" not in client.get(url).content.decode()


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_may_open_ioc_agrees_with_user_reach(agency, role):
    user = make_user(role, agency) or AnonymousUser()
    directory = Directory()
    assert may_open_ioc(user) == (not user_reach(user, directory).nothing)
    assert may_open_ioc(user) == ("ioc" in EXPECTED[role])


def test_official_without_roles_reaches_own_agency(agency):
    user = User.objects.create_user("cb", password="x", kind=AccountKind.OFFICIAL,
                                    agency=agency)
    assert may_open_ioc(user) and not user_reach(user, Directory()).nothing
