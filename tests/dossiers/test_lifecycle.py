"""The one-stop lifecycle through the services: states, events, deadlines, pauses, roles."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.dossiers.conftest import VN, pdf
from tinhso.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from tinhso.dossiers import services
from tinhso.dossiers.models import Action, Dossier, DossierEvent, Status
from tinhso.payments.models import PaymentStatus

pytestmark = pytest.mark.django_db


def submit(citizen, procedure, agency, **extra):
    return services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data=extra.pop("form_data", {"ho_ten": "Nguyễn Văn An"}),
        files=extra.pop("files", [("to-khai", pdf())]), **extra,
    )


def actions(dossier):
    return list(DossierEvent.objects.filter(dossier=dossier).order_by("id")
                .values_list("action", "from_status", "to_status"))


def test_full_online_journey(citizen, procedure, agency, officers, clock, media_root):
    dossier = submit(citizen, procedure, agency)
    assert dossier.status == Status.NEW and dossier.due_at is None
    assert dossier.code.startswith(f"{agency.code}-260302-")

    clock.set(dt.datetime(2026, 3, 2, 9, 0, tzinfo=VN))
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    # 3 working days from Monday 09:00 → Thursday 09:00.
    assert dossier.due_at == dt.datetime(2026, 3, 5, 9, 0, tzinfo=VN)
    assert dossier.original_due_at == dossier.due_at
    assert dossier.current_step == 1 and dossier.current_role == "specialist"

    dossier = services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    assert dossier.status == Status.PROCESSING and dossier.current_role == "leader"
    dossier = services.dossier_approve(acting_user=officers["leader"], dossier=dossier)
    assert dossier.status == Status.PROCESSED and dossier.finished_at == clock.now
    dossier = services.dossier_return_result(acting_user=officers["receiver"], dossier=dossier)
    assert dossier.status == Status.RETURNED
    dossier = services.dossier_rate(acting_user=citizen, dossier=dossier, rating=1)

    assert actions(dossier) == [
        (Action.SUBMIT, None, Status.NEW),
        (Action.RECEIVE, Status.NEW, Status.RECEIVED),
        (Action.FORWARD, Status.RECEIVED, Status.PROCESSING),
        (Action.APPROVE, Status.PROCESSING, Status.PROCESSED),
        (Action.RETURN_RESULT, Status.PROCESSED, Status.RETURNED),
        (Action.RATE, Status.RETURNED, Status.RETURNED),
    ]
    events = DossierEvent.objects.filter(dossier=dossier).order_by("id")
    assert events[1].due_at == dt.datetime(2026, 3, 5, 9, 0, tzinfo=VN)
    assert events[1].actor == officers["receiver"]
    steps = list(dossier.steps.order_by("index").values_list("code", "finished_at"))
    assert [code for code, _ in steps] == ["receive", "process", "approve", "return"]
    assert all(finished is not None for _, finished in steps)


def test_supplement_pauses_the_clock(citizen, procedure, agency, officers, clock, media_root):
    dossier = submit(citizen, procedure, agency)
    clock.set(dt.datetime(2026, 3, 2, 9, 0, tzinfo=VN))
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    # Tuesday 09:00: one working day used, two left.
    clock.set(dt.datetime(2026, 3, 3, 9, 0, tzinfo=VN))
    dossier = services.dossier_request_supplement(acting_user=officers["specialist"],
                                                  dossier=dossier, reason="Thiếu bản sao")
    assert dossier.status == Status.SUPPLEMENT_REQUESTED and dossier.paused_at == clock.now
    # The applicant answers the next Monday 14:00: the two remaining days run from then.
    clock.set(dt.datetime(2026, 3, 9, 14, 0, tzinfo=VN))
    dossier = services.dossier_supplement(acting_user=citizen, dossier=dossier,
                                          files=[("to-khai", pdf("bo-sung.pdf"))])
    assert dossier.status == Status.RECEIVED
    assert dossier.due_at == dt.datetime(2026, 3, 11, 14, 0, tzinfo=VN)
    assert dossier.original_due_at == dossier.due_at
    assert dossier.supplement_count == 1 and dossier.paused_at is None


def test_supplement_before_reception_keeps_clock_stopped(citizen, procedure, agency, officers,
                                                        clock, media_root):
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_request_supplement(acting_user=officers["receiver"],
                                                  dossier=dossier, reason="Ảnh mờ")
    dossier = services.dossier_supplement(acting_user=citizen, dossier=dossier,
                                          files=[("to-khai", pdf())])
    assert dossier.status == Status.NEW and dossier.due_at is None


def test_late_dossier_needs_apology(citizen, procedure, agency, officers, clock, media_root):
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    legal_due = dossier.original_due_at
    clock.set(legal_due + dt.timedelta(days=1))
    with pytest.raises(Conflict) as exc:
        services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    assert exc.value.code == "APOLOGY_REQUIRED"
    new_due = clock.now + dt.timedelta(days=2)
    dossier = services.dossier_apologize(acting_user=officers["receiver"], dossier=dossier,
                                         new_due_at=new_due, reason="Chờ xác minh")
    assert dossier.due_at == new_due and dossier.original_due_at == legal_due
    assert dossier.apology_count == 1
    dossier = services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    assert dossier.status == Status.PROCESSING


def test_apology_accepted_before_the_deadline(citizen, procedure, agency, officers, clock,
                                              media_root):
    # Decree 61/2018 art. 17 (as amended by 107/2021): the apology is sent BEFORE the deadline.
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    dossier = services.dossier_apologize(acting_user=officers["receiver"], dossier=dossier,
                                         new_due_at=clock.now + dt.timedelta(days=9),
                                         reason="x")
    assert dossier.apology_count == 1


def test_payment_request_and_confirm(citizen, agency, officers, clock, media_root):
    procedure = factories.make_procedure(agencies=[agency], fee=50000)
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    payment = services.dossier_request_payment(acting_user=officers["receiver"], dossier=dossier)
    assert payment.amount == 50000
    dossier.refresh_from_db()
    assert dossier.status == Status.PAYMENT_REQUESTED
    services.payment_confirm(acting_user=None, payment=payment, online=True, reference="VNP1")
    dossier.refresh_from_db()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and dossier.paid_online
    assert dossier.status == Status.PROCESSING
    with pytest.raises(Conflict):
        services.payment_confirm(acting_user=None, payment=payment, online=True)


def test_refuse_requires_reason_and_ends_processing(citizen, procedure, agency, officers, clock,
                                                   media_root):
    dossier = submit(citizen, procedure, agency)
    with pytest.raises(DomainError) as exc:
        services.dossier_refuse(acting_user=officers["receiver"], dossier=dossier, reason="  ")
    assert exc.value.code == "REASON_REQUIRED"
    assert Dossier.objects.get(pk=dossier.pk).status == Status.NEW
    dossier = services.dossier_refuse(acting_user=officers["receiver"], dossier=dossier,
                                      reason="Không thuộc thẩm quyền")
    assert dossier.status == Status.REFUSED and dossier.finished_at is not None


@pytest.mark.parametrize("role,action", [
    ("specialist", "receive"), ("receiver", "approve"), ("specialist", "stop"),
])
def test_wrong_role_is_forbidden(role, action, citizen, procedure, agency, officers, clock,
                                 media_root):
    dossier = submit(citizen, procedure, agency)
    if action != "receive":
        dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
        dossier = services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    before = (Dossier.objects.get(pk=dossier.pk).status, DossierEvent.objects.count())
    func = {"receive": services.dossier_receive, "approve": services.dossier_approve,
            "stop": services.dossier_stop}[action]
    kwargs = {"reason": "x"} if action == "stop" else {}
    with pytest.raises(PermissionDenied):
        func(acting_user=officers[role], dossier=dossier, **kwargs)
    assert (Dossier.objects.get(pk=dossier.pk).status, DossierEvent.objects.count()) == before


def test_other_agency_gets_not_found(citizen, procedure, agency, outsider, clock, media_root):
    dossier = submit(citizen, procedure, agency)
    with pytest.raises(NotFound):
        services.dossier_receive(acting_user=outsider, dossier=dossier)


def test_illegal_transition_is_a_conflict(citizen, procedure, agency, officers, clock,
                                          media_root):
    dossier = submit(citizen, procedure, agency)
    with pytest.raises(Conflict) as exc:
        services.dossier_return_result(acting_user=officers["receiver"], dossier=dossier)
    assert exc.value.code == "ILLEGAL_TRANSITION"
    with pytest.raises(Conflict):
        services.dossier_approve(acting_user=officers["leader"], dossier=dossier)


def test_stale_version_is_a_conflict(citizen, procedure, agency, officers, clock, media_root):
    dossier = submit(citizen, procedure, agency)
    with pytest.raises(Conflict) as exc:
        services.dossier_receive(acting_user=officers["receiver"], dossier=dossier,
                                 expected_version=dossier.version + 5)
    assert exc.value.code == "STALE_VERSION"


def test_withdraw_by_applicant_only(citizen, procedure, agency, officers, clock, media_root):
    dossier = submit(citizen, procedure, agency)
    stranger = factories.make_citizen(id_number="070090009999")
    with pytest.raises(NotFound):
        services.dossier_withdraw(acting_user=stranger, dossier=dossier, reason="x")
    dossier = services.dossier_withdraw(acting_user=citizen, dossier=dossier, reason="Nộp nhầm")
    assert dossier.status == Status.WITHDRAWN


def test_return_to_earlier_step(citizen, agency, officers, clock, media_root):
    template = [
        {"code": "receive", "name": "Tiếp nhận", "role": "receiver", "share": 0.1},
        {"code": "check", "name": "Thẩm định", "role": "specialist", "share": 0.4},
        {"code": "review", "name": "Kiểm tra lại", "role": "specialist", "share": 0.2},
        {"code": "approve", "name": "Phê duyệt", "role": "leader", "share": 0.2},
        {"code": "return", "name": "Trả kết quả", "role": "receiver", "share": 0.1},
    ]
    procedure = factories.make_procedure(agencies=[agency], process_template=template)
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    dossier = services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    dossier = services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    assert dossier.current_step == 3
    with pytest.raises(DomainError):
        services.dossier_return_to_step(acting_user=officers["leader"], dossier=dossier,
                                        step_index=0, reason="Sai")
    dossier = services.dossier_return_to_step(acting_user=officers["leader"], dossier=dossier,
                                              step_index=1, reason="Thiếu thẩm định")
    assert dossier.current_step == 1 and dossier.current_role == "specialist"


def test_counter_intake_is_received_at_once(procedure, agency, officers, clock, media_root):
    dossier = services.dossier_create_direct(
        acting_user=officers["receiver"], procedure_code=procedure.code,
        applicant_kind="citizen", applicant_id_number=factories.VALID_ID_NUMBER,
        applicant_name="Trần Thị Bình", form_data={"ho_ten": "Trần Thị Bình"},
        files=[("to-khai", pdf())],
    )
    assert dossier.status == Status.RECEIVED and dossier.channel == 1
    assert dossier.due_at is not None and dossier.applicant is None
    assert actions(dossier) == [(Action.CREATE_DIRECT, None, Status.RECEIVED)]
