"""The /api/v1/workdays endpoints: public reads, error codes, admin-only overrides."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.factories import make_agency, make_citizen, make_official
from tinhso.accounts.models import ApiToken, AuditLog, Role
from tinhso.accounts.tokens import generate_token, hash_token
from tinhso.workdays.models import CalendarOverride

pytestmark = pytest.mark.django_db

BASE = "/api/v1/workdays"


@pytest.fixture
def client() -> Client:
    return Client()


def bearer(user) -> dict[str, str]:
    raw = generate_token()
    ApiToken.objects.create(user=user, name="thử", prefix=raw[:12], key_hash=hash_token(raw))
    return {"Authorization": f"Bearer {raw}"}


# ------------------------------------------------------------------ deadline


def test_deadline_required_example(client):
    res = client.get(f"{BASE}/deadline",
                     {"start": "2026-02-13T10:00:00+07:00", "working_days": "3"})
    assert res.status_code == 200
    assert res.json() == {"due": "2026-02-25T10:00:00+07:00", "kind": "working_days",
                          "rule_vi": "3 ngày làm việc", "procedure": None}


def test_deadline_accepts_utc_and_fractions(client):
    res = client.get(f"{BASE}/deadline", {"start": "2026-03-02T03:00:00Z", "working_days": "0.5"})
    assert res.json()["due"] == "2026-03-02T16:00:00+07:00"


def test_deadline_unencoded_plus_in_query_string(client):
    # "+07:00" typed into a URL arrives as " 07:00".
    res = client.get(f"{BASE}/deadline?start=2026-02-13T10:00:00+07:00&working_days=3")
    assert res.status_code == 200
    assert res.json()["due"] == "2026-02-25T10:00:00+07:00"


def test_deadline_with_agency_office_hours(client, province):
    make_agency(unit=province, code="000.77.00.H10", morning_start=dt.time(7),
                morning_end=dt.time(11), afternoon_start=dt.time(13), afternoon_end=dt.time(17))
    res = client.get(f"{BASE}/deadline", {"start": "2026-03-02T10:00:00+07:00",
                                          "working_days": "0.5", "agency": "000.77.00.H10"})
    # 4 h: 10:00–11:00, then 3 h from 13:00.
    assert res.json()["due"] == "2026-03-02T16:00:00+07:00"
    res = client.get(f"{BASE}/deadline", {"start": "2026-03-02T10:00:00+07:00",
                                          "working_days": "1", "agency": "không-có"})
    assert res.status_code == 404
    assert res.json()["code"] == "AGENCY_NOT_FOUND"


@pytest.mark.parametrize("start", [
    "", "hôm qua", "2026-02-13T10:00:00", "2026-02-30T10:00:00+07:00", "13/02/2026 10:00",
    "0900-01-01T10:00:00+07:00",
])
def test_deadline_bad_start(client, start):
    res = client.get(f"{BASE}/deadline", {"start": start, "working_days": "3"})
    assert res.status_code == 422
    body = res.json()
    assert body["code"] == "INVALID_DATETIME"
    assert body["message_vi"] and body["message_en"] and body["details"]["field"] == "start"


def test_deadline_missing_parameters(client):
    assert client.get(f"{BASE}/deadline").json()["code"] == "INVALID_DATETIME"
    res = client.get(f"{BASE}/deadline", {"start": "2026-02-13T10:00:00+07:00"})
    assert res.json()["code"] == "INVALID_WORKING_DAYS"


@pytest.mark.parametrize("days", ["-1", "abc", "3651", "1e9", "NaN", "Infinity", "", "1" * 40])
def test_deadline_bad_working_days(client, days):
    res = client.get(f"{BASE}/deadline",
                     {"start": "2026-02-13T10:00:00+07:00", "working_days": days})
    assert res.status_code == 422
    body = res.json()
    assert body["code"] == "INVALID_WORKING_DAYS"
    assert "3650" in body["message_en"] and body["message_vi"]


def test_deadline_upper_bound_is_accepted(client):
    res = client.get(f"{BASE}/deadline",
                     {"start": "2026-02-13T10:00:00+07:00", "working_days": "3650"})
    assert res.status_code == 200
    assert res.json()["due"].startswith("204")


# ------------------------------------------------------------------ days


def test_is_working_day(client):
    body = client.get(f"{BASE}/is-working-day", {"date": "2026-02-17"}).json()
    assert body["date"] == "2026-02-17" and body["working"] is False
    assert body["reason"] == "Tết Nguyên Đán"
    body = client.get(f"{BASE}/is-working-day", {"date": "2026-03-07"}).json()
    assert body["working"] is False and body["reason"] == "Thứ Bảy"
    body = client.get(f"{BASE}/is-working-day", {"date": "2026-03-02"}).json()
    assert body["working"] is True and body["reason"] == "Thứ Hai"


def test_is_working_day_shows_override_reason(client):
    CalendarOverride.objects.create(date=dt.date(2026, 3, 7), kind="working",
                                    reason="Làm bù theo quyết định của UBND tỉnh")
    body = client.get(f"{BASE}/is-working-day", {"date": "2026-03-07"}).json()
    assert body["working"] is True
    assert body["reason"] == "Làm bù theo quyết định của UBND tỉnh"
    assert body["source"] == "override"


@pytest.mark.parametrize("value", ["", "2026-13-01", "17/02/2026", "x"])
def test_is_working_day_bad_date(client, value):
    res = client.get(f"{BASE}/is-working-day", {"date": value})
    assert res.status_code == 422 and res.json()["code"] == "INVALID_DATE"


def test_holidays_of_year(client):
    res = client.get(f"{BASE}/holidays", {"year": "2026"})
    assert res.status_code == 200
    days = {d["date"]: d for d in res.json()}
    assert days["2026-02-17"]["reason"] == "Tết Nguyên Đán"
    assert days["2026-08-22"]["working"] is True  # make-up Saturday
    assert days["2026-08-22"]["weekday"] == "Thứ Bảy"
    assert "2026-04-26" not in days  # Hùng Kings on a Sunday: not a weekday off
    assert days["2026-04-27"]["working"] is False
    assert all(d["date"].startswith("2026-") for d in days.values())
    assert client.get(f"{BASE}/holidays", {"year": "abc"}).json()["code"] == "INVALID_YEAR"
    assert client.get(f"{BASE}/holidays").status_code == 422


# ------------------------------------------------------------------ overrides


@pytest.fixture
def admin(agency):
    return make_official(agency, Role.PROVINCE_ADMIN)


def test_province_admin_creates_and_deletes_override(client, admin):
    headers = bearer(admin)
    res = client.post(f"{BASE}/overrides", {"date": "2026-03-07", "kind": "working",
                                            "reason": "Làm bù"},
                      content_type="application/json", headers=headers)
    assert res.status_code == 201, res.content
    assert res.json()["kind_label"] == "Ngày làm việc (làm bù)"
    assert client.get(f"{BASE}/is-working-day", {"date": "2026-03-07"}).json()["working"]
    listed = client.get(f"{BASE}/overrides", {"year": "2026"}).json()
    assert [o["date"] for o in listed] == ["2026-03-07"]

    res = client.delete(f"{BASE}/overrides/2026-03-07", headers=headers)
    assert res.status_code == 204
    assert not client.get(f"{BASE}/is-working-day", {"date": "2026-03-07"}).json()["working"]
    actions = list(AuditLog.objects.filter(object_type="calendar_override")
                   .order_by("pk").values_list("action", "actor"))
    assert actions == [("override_create", admin.pk), ("override_delete", admin.pk)]


def test_session_auth_works_for_admin(client, admin):
    client.force_login(admin)
    res = client.post(f"{BASE}/overrides", {"date": "2026-03-03", "kind": "day_off",
                                            "reason": "Nghỉ của tỉnh"},
                      content_type="application/json")
    assert res.status_code == 201


def test_duplicate_and_no_effect_and_bad_kind(client, admin):
    headers = bearer(admin)

    def post(**body):
        return client.post(f"{BASE}/overrides", body, content_type="application/json",
                           headers=headers)

    assert post(date="2026-03-03", kind="day_off", reason="Nghỉ").status_code == 201
    res = post(date="2026-03-03", kind="day_off", reason="Lần nữa")
    assert res.status_code == 409 and res.json()["code"] == "OVERRIDE_EXISTS"
    res = post(date="2026-03-08", kind="day_off", reason="Chủ nhật")
    assert res.status_code == 422 and res.json()["code"] == "OVERRIDE_NO_EFFECT"
    res = post(date="2026-03-04", kind="holiday", reason="x")
    assert res.status_code == 422 and res.json()["code"] == "INVALID_OVERRIDE_KIND"
    res = post(date="2026-03-04", kind="day_off", reason="   ")
    assert res.status_code == 422 and res.json()["code"] == "INVALID_REASON"
    res = post(date="không phải ngày", kind="day_off", reason="x")
    assert res.status_code == 422
    assert CalendarOverride.objects.count() == 1
    assert AuditLog.objects.filter(object_type="calendar_override").count() == 1


def test_delete_unknown_override(client, admin):
    res = client.delete(f"{BASE}/overrides/2026-03-03", headers=bearer(admin))
    assert res.status_code == 404


def test_override_writes_need_authentication(client):
    res = client.post(f"{BASE}/overrides", {"date": "2026-03-07", "kind": "working",
                                            "reason": "Làm bù"}, content_type="application/json")
    assert res.status_code == 401 and res.json()["code"] == "UNAUTHENTICATED"
    assert client.delete(f"{BASE}/overrides/2026-03-07").status_code == 401
    assert not CalendarOverride.objects.exists()


@pytest.mark.parametrize("who", ["citizen", "receiver", "agency_admin"])
def test_override_writes_need_province_admin(client, agency, who):
    user = make_citizen() if who == "citizen" else make_official(agency, who)
    headers = bearer(user)
    res = client.post(f"{BASE}/overrides", {"date": "2026-03-07", "kind": "working",
                                            "reason": "Làm bù"},
                      content_type="application/json", headers=headers)
    assert res.status_code == 403 and res.json()["code"] == "FORBIDDEN"
    CalendarOverride.objects.create(date=dt.date(2026, 3, 3), kind="day_off", reason="x")
    assert client.delete(f"{BASE}/overrides/2026-03-03", headers=headers).status_code == 403
    assert CalendarOverride.objects.count() == 1
    assert not AuditLog.objects.filter(object_type="calendar_override").exists()
