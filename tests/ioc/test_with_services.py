"""The facts follow the real dossier services (record_event → outbox → "ioc" consumer), not
only the builder."""

from __future__ import annotations

import datetime as dt

from tests.dossiers.conftest import VN, pdf
from tinhso.dossiers import services
from tinhso.ioc.facts import verify
from tinhso.ioc.models import DailyFact
from tinhso.ioc.selectors import kpi_from_facts, kpi_from_raw
from tinhso.outbox.dispatch import drain_outbox
from tinhso.outbox.models import OutboxEvent

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def t(d: int, h: int = 9) -> dt.datetime:
    return dt.datetime(2026, 3, d, h, 0, tzinfo=VN)


def submit(citizen, procedure, agency):
    return services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf())])


def receive(officers, clock, dossier, when):
    clock.set(when)
    return services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)


def finish(officers, clock, dossier, when):
    clock.set(when)
    dossier = services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    return services.dossier_approve(acting_user=officers["leader"], dossier=dossier)


def test_lifecycles_through_the_services(citizen, procedure, agency, officers, clock,
                                         media_root):
    # 1. On time: received Mon 2/3 09:00 (due Thu 5/3 09:00), processed Wed 4/3.
    one = receive(officers, clock, submit(citizen, procedure, agency), t(2))
    finish(officers, clock, one, t(4))
    # 2. Two supplement requests: overdue although processed before the appointment.
    clock.set(t(2, 8))
    two = receive(officers, clock, submit(citizen, procedure, agency), t(2))
    for day in (2, 3):
        clock.set(t(day, 10))
        two = services.dossier_request_supplement(acting_user=officers["specialist"],
                                                  dossier=two, reason="Thiếu giấy tờ")
        clock.set(t(day, 14))
        two = services.dossier_supplement(acting_user=citizen, dossier=two,
                                          files=[("to-khai", pdf("bs.pdf"))])
    finish(officers, clock, two, t(4, 10))
    # 3. Stopped while waiting for the applicant, with time left: on time.
    clock.set(t(2, 8))
    three = receive(officers, clock, submit(citizen, procedure, agency), t(2))
    clock.set(t(3))
    three = services.dossier_request_supplement(acting_user=officers["specialist"],
                                                dossier=three, reason="Thiếu giấy tờ")
    clock.set(t(20))
    services.dossier_stop(acting_user=officers["leader"], dossier=three,
                          reason="Công dân không bổ sung")
    # 4. Withdrawn: excluded.
    clock.set(t(2, 8))
    four = receive(officers, clock, submit(citizen, procedure, agency), t(2))
    clock.set(t(3))
    services.dossier_withdraw(acting_user=citizen, dossier=four, reason="Không cần nữa")
    # 5. Refused at reception: outside the base.
    clock.set(t(2, 8))
    five = submit(citizen, procedure, agency)
    clock.set(t(2, 10))
    services.dossier_refuse(acting_user=officers["receiver"], dossier=five,
                            reason="Sai thẩm quyền")

    # Nothing in the services' transactions wrote facts: they follow through the outbox.
    assert not DailyFact.objects.exists()
    assert drain_outbox()["ioc"] == OutboxEvent.objects.filter(type__startswith="dossier.").count()
    assert DailyFact.objects.exists()
    assert verify() == []
    scope = f"agency:{agency.code}"
    doc = kpi_from_facts(scope, *MARCH)
    assert doc == kpi_from_raw(scope, *MARCH)
    on_time = next(i for g in doc["groups"] for i in g["indicators"]
                   if i["code"] == "ON_TIME_RATE")
    assert (on_time["numerator"], on_time["denominator"]) == (2, 3)
