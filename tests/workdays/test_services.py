"""Override services: permission, validation, audit in the same transaction, cache effect."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.factories import make_citizen, make_official
from tests.workdays.conftest import at
from tinhso.accounts.models import AuditLog, Role
from tinhso.core.errors import Conflict, PermissionDenied, ValidationFailed
from tinhso.workdays.calendar import add_working_days, day_info, is_working_day
from tinhso.workdays.models import CalendarOverride
from tinhso.workdays.services import override_create, override_delete, override_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(agency):
    return make_official(agency, Role.PROVINCE_ADMIN)


def test_create_writes_row_and_audit_and_changes_deadlines(admin):
    assert add_working_days(at(2026, 3, 2, 10), 1) == at(2026, 3, 3, 10)
    override = override_create(acting_user=admin, date=dt.date(2026, 3, 3), kind="day_off",
                               reason="  Nghỉ   lễ hội của tỉnh ")
    assert override.reason == "Nghỉ lễ hội của tỉnh"
    assert not is_working_day(dt.date(2026, 3, 3))
    assert add_working_days(at(2026, 3, 2, 10), 1) == at(2026, 3, 4, 10)
    log = AuditLog.objects.get(object_type="calendar_override")
    assert (log.actor, log.action, log.object_id) == (admin, "override_create", str(override.pk))
    assert log.data == {"date": "2026-03-03", "kind": "day_off", "reason": "Nghỉ lễ hội của tỉnh"}


def test_update_and_delete(admin):
    override = override_create(acting_user=admin, date=dt.date(2026, 3, 7), kind="working",
                               reason="Làm bù")
    with pytest.raises(ValidationFailed) as err:  # a Saturday "off" changes nothing
        override_update(acting_user=admin, override=override, kind="day_off", reason="x")
    assert err.value.code == "OVERRIDE_NO_EFFECT"
    override_update(acting_user=admin, override=override, kind="working", reason="Làm bù 2")
    assert CalendarOverride.objects.get().reason == "Làm bù 2"
    override_delete(acting_user=admin, override=override)
    assert not CalendarOverride.objects.exists()
    assert not is_working_day(dt.date(2026, 3, 7))
    assert list(AuditLog.objects.order_by("pk").values_list("action", flat=True)) == [
        "override_create", "override_update", "override_delete"]


def test_permission(agency):
    for user in (make_citizen(), make_official(agency, Role.AGENCY_ADMIN), None):
        with pytest.raises(PermissionDenied):
            override_create(acting_user=user, date=dt.date(2026, 3, 3), kind="day_off",
                            reason="x")
    assert not CalendarOverride.objects.exists() and not AuditLog.objects.exists()


def test_validation_changes_nothing(admin):
    override_create(acting_user=admin, date=dt.date(2026, 3, 3), kind="day_off", reason="x")
    cases = [
        ({"date": dt.date(2026, 3, 3), "kind": "day_off", "reason": "y"}, "OVERRIDE_EXISTS"),
        ({"date": dt.date(2026, 2, 17), "kind": "day_off", "reason": "y"}, "OVERRIDE_NO_EFFECT"),
        ({"date": dt.date(2026, 3, 4), "kind": "off", "reason": "y"}, "INVALID_OVERRIDE_KIND"),
        ({"date": dt.date(2026, 3, 4), "kind": "day_off", "reason": ""}, "INVALID_REASON"),
        ({"date": dt.date(2026, 3, 4), "kind": "day_off", "reason": "a" * 256},
         "INVALID_REASON"),
        ({"date": dt.date(2999, 3, 4), "kind": "day_off", "reason": "y"}, "INVALID_DATE"),
        ({"date": "2026-03-04", "kind": "day_off", "reason": "y"}, "INVALID_DATE"),
    ]
    for kwargs, code in cases:
        with pytest.raises((ValidationFailed, Conflict)) as err:
            override_create(acting_user=admin, **kwargs)
        assert err.value.code == code
    assert CalendarOverride.objects.count() == 1
    assert AuditLog.objects.count() == 1


def test_working_override_on_a_holiday(admin):
    override_create(acting_user=admin, date=dt.date(2026, 2, 20), kind="working",
                    reason="Đổi ngày nghỉ")
    assert is_working_day(dt.date(2026, 2, 20))


def test_rolled_back_override_does_not_stay_in_the_cache(admin):
    day = dt.date(2026, 3, 4)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        override_create(acting_user=admin, date=day, kind="day_off", reason="Sẽ hủy")
        assert not is_working_day(day)  # seen inside the transaction
        raise Boom
    assert is_working_day(day)  # and forgotten after the rollback
    assert not AuditLog.objects.exists()


def test_write_by_another_process_is_noticed_through_the_stamp(settings):
    # Another process writes through the ORM: no signal here, only the database changes.
    settings.WORKDAYS_CACHE_TTL = 0  # check the stamp on every call
    day = dt.date(2026, 3, 4)
    row = CalendarOverride.objects.create(date=day, kind="day_off", reason="Bão")
    assert not is_working_day(day)
    CalendarOverride.objects.filter(pk=row.pk).update(reason="Bão số 3",
                                                      updated_at=timezone.now())
    assert day_info(day).reason == "Bão số 3"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM workdays_calendaroverride WHERE id = %s", [row.pk])
    assert is_working_day(day)
