"""Django admin of calendar overrides: Vietnamese labels, writes through the services."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_official
from tinhso.accounts.models import AuditLog, Role
from tinhso.workdays.models import CalendarOverride

pytestmark = pytest.mark.django_db

URL = "/admin/workdays/calendaroverride/"


def _staff(agency, *roles):
    user = make_official(agency, *roles)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return user, client


def test_province_admin_adds_override_through_admin(agency):
    user, client = _staff(agency, Role.PROVINCE_ADMIN)
    page = client.get(URL + "add/")
    assert page.status_code == 200
    assert "Lý do" in page.content.decode() or "lý do" in page.content.decode()
    res = client.post(URL + "add/", {"date": "2026-03-07", "kind": "working",
                                     "reason": "Làm bù"})
    assert res.status_code == 302, res.content.decode()[:2000]
    override = CalendarOverride.objects.get()
    assert AuditLog.objects.filter(action="override_create", actor=user,
                                   object_id=str(override.pk)).exists()
    listing = client.get(URL).content.decode()
    assert "Thứ Bảy" in listing and "Nghỉ (Thứ Bảy)" in listing


def test_admin_form_shows_domain_error(agency):
    _, client = _staff(agency, Role.PROVINCE_ADMIN)
    res = client.post(URL + "add/", {"date": "2026-03-08", "kind": "day_off", "reason": "x"})
    assert res.status_code == 200
    assert "không có tác dụng" in res.content.decode()
    assert not CalendarOverride.objects.exists()


def test_staff_without_province_admin_cannot_add(agency):
    _, client = _staff(agency, Role.AGENCY_ADMIN)
    assert client.get(URL + "add/").status_code == 403
    assert client.post(URL + "add/", {"date": "2026-03-07", "kind": "working",
                                      "reason": "x"}).status_code == 403
    assert not CalendarOverride.objects.exists()
