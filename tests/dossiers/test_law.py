"""The law in the dossier services (issue 11): same-day deadlines at reception, the clock paused
while the applicant carries out financial obligations, and the apology rule (form 04)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.dossiers.conftest import VN, pdf
from tinhso.core.errors import Conflict, ValidationFailed
from tinhso.dossiers import services
from tinhso.dossiers.models import Action, DossierEvent, Status

pytestmark = pytest.mark.django_db


def _at(d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, d, hh, mm, tzinfo=VN)  # 2026-03-02 is a Monday


def received(citizen, procedure, agency, officers, clock, when):
    clock.set(when)
    dossier = services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf())])
    return services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)


# ------------------------------------------------------------------ same day, 15:00 cut-off


@pytest.mark.parametrize(("when", "due"), [
    (_at(2, 8), _at(2, 17, 30)),    # Monday 08:00 → Monday's close
    (_at(2, 16), _at(3, 17, 30)),   # Monday 16:00 → Tuesday's close
])
def test_same_day_procedure_at_reception(citizen, agency, officers, clock, media_root, when,
                                         due):
    copy = factories.make_procedure(agencies=[agency], processing_days="1",
                                    deadline_kind="same_day")
    dossier = received(citizen, copy, agency, officers, clock, when)
    assert dossier.due_at == due and dossier.original_due_at == due
    # The steps share the office time actually given, so the last step ends at the due moment.
    steps = list(dossier.steps.order_by("index"))
    assert steps[-1].due_at <= due


def test_counter_intake_applies_the_rule(agency, officers, clock, media_root):
    copy = factories.make_procedure(agencies=[agency], processing_days="1",
                                    deadline_kind="same_day")
    clock.set(_at(2, 15, 30))
    dossier = services.dossier_create_direct(
        acting_user=officers["receiver"], procedure_code=copy.code, applicant_kind="citizen",
        applicant_id_number=factories.VALID_ID_NUMBER, applicant_name="Trần Thị Bình",
        form_data={"ho_ten": "Trần Thị Bình"})
    assert dossier.due_at == _at(3, 17, 30)


# ------------------------------------------------------------------ financial obligations


def _pay_flow(citizen, agency, officers, clock, *, pauses: bool):
    land = factories.make_procedure(agencies=[agency], fee=50000, processing_days="3",
                                    payment_pauses_clock=pauses)
    dossier = received(citizen, land, agency, officers, clock, _at(2, 9))
    assert dossier.due_at == _at(5, 9)
    # Tuesday 09:00: one working day used, two left; the applicant is asked to pay.
    clock.set(_at(3, 9))
    payment = services.dossier_request_payment(acting_user=officers["receiver"],
                                               dossier=dossier)
    dossier.refresh_from_db()
    assert dossier.status == Status.PAYMENT_REQUESTED
    # Paid the next Monday 14:00.
    clock.set(_at(9, 14))
    services.payment_confirm(acting_user=None, payment=payment, online=True)
    dossier.refresh_from_db()
    return dossier


def test_financial_obligations_pause_the_clock(citizen, agency, officers, clock, media_root):
    dossier = _pay_flow(citizen, agency, officers, clock, pauses=True)
    # Like a supplement: the two remaining days run from the payment.
    assert dossier.status == Status.PROCESSING
    assert dossier.due_at == _at(11, 14) and dossier.original_due_at == _at(11, 14)
    assert dossier.paused_at is None and dossier.remaining_office_seconds is None
    request = DossierEvent.objects.get(dossier=dossier, action=Action.REQUEST_PAYMENT)
    assert request.data["pauses_clock"] is True
    assert request.data["remaining_original"] == 2 * 8 * 3600
    # Not late: processing continues without an apology.
    services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)


def test_payment_without_the_rule_keeps_the_clock(citizen, agency, officers, clock,
                                                  media_root):
    dossier = _pay_flow(citizen, agency, officers, clock, pauses=False)
    assert dossier.due_at == _at(5, 9) and dossier.original_due_at == _at(5, 9)
    with pytest.raises(Conflict) as exc:
        services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    assert exc.value.code == "APOLOGY_REQUIRED"


def test_paused_payment_is_not_overdue_in_queues(citizen, agency, officers, clock, media_root):
    land = factories.make_procedure(agencies=[agency], fee=50000, processing_days="1",
                                    payment_pauses_clock=True)
    dossier = received(citizen, land, agency, officers, clock, _at(2, 9))
    clock.set(_at(2, 10))
    services.dossier_request_payment(acting_user=officers["receiver"], dossier=dossier)
    dossier.refresh_from_db()
    assert dossier.paused_at == _at(2, 10)
    from tinhso.dossiers.selectors import dossier_queue
    from tinhso.dossiers.services._common import is_overdue

    assert not is_overdue(dossier, _at(20, 10))
    assert not dossier_queue(officers["leader"], "overdue", at=_at(20, 10)).exists()
    # The same dossier without the pause would be overdue there.
    dossier.paused_at = None
    dossier.save(update_fields=["paused_at"])
    assert dossier_queue(officers["leader"], "overdue", at=_at(20, 10)).exists()


# ------------------------------------------------------------------ apology (form 04)


def test_apology_before_the_deadline_is_in_time(citizen, procedure, agency, officers, clock,
                                                media_root):
    dossier = received(citizen, procedure, agency, officers, clock, _at(2, 9))  # due Thu 09:00
    clock.set(_at(3, 9))  # two working days before
    dossier = services.dossier_apologize(acting_user=officers["receiver"], dossier=dossier,
                                         new_due_at=_at(10, 9), reason="Chờ xác minh")
    assert dossier.due_at == _at(10, 9) and dossier.original_due_at == _at(5, 9)
    event = DossierEvent.objects.get(dossier=dossier, action=Action.APOLOGIZE)
    assert event.data["notice_in_time"] is True
    # One new appointment only.
    with pytest.raises(Conflict) as exc:
        services.dossier_apologize(acting_user=officers["receiver"], dossier=dossier,
                                   new_due_at=_at(12, 9), reason="Lại chậm")
    assert exc.value.code == "APOLOGY_LIMIT_REACHED"
    dossier.refresh_from_db()
    assert dossier.due_at == _at(10, 9) and dossier.apology_count == 1


def test_apology_inside_the_lead_time_is_recorded_late(citizen, procedure, agency, officers,
                                                       clock, media_root):
    dossier = received(citizen, procedure, agency, officers, clock, _at(2, 9))
    clock.set(_at(4, 14))  # less than one working day before Thursday 09:00
    services.dossier_apologize(acting_user=officers["receiver"], dossier=dossier,
                               new_due_at=_at(10, 9), reason="Chờ xác minh")
    event = DossierEvent.objects.get(dossier=dossier, action=Action.APOLOGIZE)
    assert event.data["notice_in_time"] is False


def test_late_again_after_the_one_new_appointment_is_not_blocked(citizen, procedure, agency,
                                                                 officers, clock, media_root):
    dossier = received(citizen, procedure, agency, officers, clock, _at(2, 9))
    clock.set(_at(6, 9))  # past Thursday 09:00
    with pytest.raises(Conflict) as exc:
        services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    assert exc.value.code == "APOLOGY_REQUIRED"
    dossier = services.dossier_apologize(acting_user=officers["receiver"], dossier=dossier,
                                         new_due_at=_at(9, 9), reason="Chờ xác minh")
    clock.set(_at(10, 9))  # late again: no second appointment, but the work goes on
    dossier = services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    assert dossier.status == Status.PROCESSING


def test_apology_limit_and_lead_are_settings(citizen, procedure, agency, officers, clock,
                                             media_root, settings):
    settings.TINHSO_APOLOGY_MAX = 2
    settings.TINHSO_APOLOGY_LEAD_WORKING_DAYS = 3
    dossier = received(citizen, procedure, agency, officers, clock, _at(2, 9))
    clock.set(_at(3, 9))  # two working days before: less than the 3-day lead
    dossier = services.dossier_apologize(acting_user=officers["receiver"], dossier=dossier,
                                         new_due_at=_at(10, 9), reason="Chờ xác minh")
    assert DossierEvent.objects.get(dossier=dossier, action=Action.APOLOGIZE
                                    ).data["notice_in_time"] is False
    dossier = services.dossier_apologize(acting_user=officers["receiver"], dossier=dossier,
                                         new_due_at=_at(12, 9), reason="Chờ ý kiến")
    assert dossier.apology_count == 2


def test_new_appointment_must_move_forward(citizen, procedure, agency, officers, clock,
                                           media_root):
    dossier = received(citizen, procedure, agency, officers, clock, _at(2, 9))
    with pytest.raises(ValidationFailed) as exc:
        services.dossier_apologize(acting_user=officers["receiver"], dossier=dossier,
                                   new_due_at=_at(4, 9), reason="x")  # before Thursday 09:00
    assert exc.value.code == "INVALID_NEW_APPOINTMENT"
    dossier.refresh_from_db()
    assert dossier.apology_count == 0 and dossier.due_at == _at(5, 9)


def test_apology_needs_a_running_clock(citizen, procedure, agency, officers, clock, media_root):
    dossier = services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf())])
    with pytest.raises(Conflict) as exc:
        services.dossier_apologize(acting_user=officers["receiver"], dossier=dossier,
                                   new_due_at=_at(9, 9), reason="x")
    assert exc.value.code == "ILLEGAL_TRANSITION"


def test_allowed_actions_follow_the_apology_rule(citizen, procedure, agency, officers, clock,
                                                 media_root):
    from tinhso.dossiers.selectors import allowed_actions

    dossier = received(citizen, procedure, agency, officers, clock, _at(2, 9))  # due Thu 09:00
    receiver = officers["receiver"]
    # Before the deadline: the apology is offered beside the ordinary actions.
    before = allowed_actions(receiver, dossier, at=_at(3, 9))
    assert "apologize" in before and "request_supplement" in before
    # Late: only the apology (and what needs no running clock) until it is sent.
    late = allowed_actions(receiver, dossier, at=_at(6, 9))
    assert "apologize" in late and "request_supplement" not in late
    clock.set(_at(6, 9))
    dossier = services.dossier_apologize(acting_user=receiver, dossier=dossier,
                                         new_due_at=_at(9, 9), reason="Chờ xác minh")
    # Late again after the one allowed appointment: no second apology, work continues.
    again = allowed_actions(receiver, dossier, at=_at(10, 9))
    assert "apologize" not in again and "request_supplement" in again
