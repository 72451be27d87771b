"""The lifecycle table (tinhso.dossiers.lifecycle) is the one truth about who may do what.

* Property: for random dossiers in random statuses and random users, an action is offered by
  ``allowed_actions`` exactly when the one dispatcher (and so the service) accepts it.
* Property: a step's deadline never falls after the dossier's.
* The documented table in docs/dossiers.md is the table in the code.
* Once paid, a dossier cannot be asked to pay again; the API and the back office answer a
  refused action with the same code.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.dossiers.conftest import VN, pdf
from tinhso.core.errors import DomainError
from tinhso.dossiers import dispatch, lifecycle, services
from tinhso.dossiers.models import Channel, Dossier, DossierStep, Status
from tinhso.dossiers.selectors import allowed_actions
from tinhso.payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 8, 10, 0, tzinfo=VN)  # a Wednesday morning
DOCS = Path(__file__).resolve().parents[2] / "docs" / "dossiers.md"

# The step a dossier can be at in each status (default template: 0 receive, 1 process,
# 2 approve, 3 return).
STEPS_BY_STATUS = {
    Status.NEW: [None], Status.RECEIVED: [1], Status.PROCESSING: [1, 2],
    Status.SUPPLEMENT_REQUESTED: [None, 1, 2], Status.PAYMENT_REQUESTED: [1, 2],
    Status.PROCESSED: [3], Status.RETURNED: [3], Status.REFUSED: [None],
    Status.WITHDRAWN: [None, 1, 2], Status.STOPPED: [1, 2],
}
USERS = ["receiver", "specialist", "leader", "all_roles", "applicant", "other_citizen",
         "outsider", "province_admin", "ioc_viewer"]


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr("tinhso.dossiers.services._common.now", lambda: NOW)
    province = factories.make_province()
    agency = factories.make_agency(unit=province)
    other = factories.make_agency(unit=province)
    procedure = factories.make_procedure(agencies=[agency], fee=30000)
    citizen = factories.make_citizen()
    return {
        "agency": agency, "procedure": procedure,
        "users": {
            "receiver": factories.make_official(agency, "receiver"),
            "specialist": factories.make_official(agency, "specialist"),
            "leader": factories.make_official(agency, "leader"),
            "all_roles": factories.make_official(agency, "receiver", "specialist", "leader"),
            "applicant": citizen,
            "other_citizen": factories.make_citizen(id_number="079199000002"),
            "outsider": factories.make_official(other, "receiver", "specialist", "leader"),
            "province_admin": factories.make_official(agency, "province_admin"),
            "ioc_viewer": factories.make_official(other, "ioc_viewer"),
        },
    }


ROLE_USERS = {"receiver": ["receiver", "all_roles"], "specialist": ["specialist", "all_roles"],
              "leader": ["leader", "all_roles"], lifecycle.APPLICANT: ["applicant"],
              lifecycle.STEP_ROLE: ["receiver", "specialist", "leader", "all_roles"]}


@st.composite
def cases(draw):
    """(action, user, dossier state): half the draws aim at a legal combination (a status the
    action starts from, a user holding its role), the rest are anything at all."""
    action = draw(st.sampled_from(lifecycle.ACTIONS))
    if draw(st.booleans()):
        row = draw(st.sampled_from(lifecycle.rows_for(action)))
        status = draw(st.sampled_from(row.from_statuses))
        who = draw(st.sampled_from([u for r in row.roles for u in ROLE_USERS[r]]))
    else:
        status = draw(st.sampled_from(list(STEPS_BY_STATUS)))
        who = draw(st.sampled_from(USERS))
    return action, who, draw(dossier_states(status))


@st.composite
def dossier_states(draw, status):
    step = draw(st.sampled_from(STEPS_BY_STATUS[status]))
    received = step is not None  # the clock starts at reception, with step 1
    due_offset = draw(st.integers(min_value=-72, max_value=72))  # hours around now
    return {
        "status": status, "step": step, "received": received,
        "due_offset": due_offset if received else None,
        "apologies": draw(st.sampled_from([0, 0, 1])),
        "rated": status == Status.RETURNED and draw(st.booleans()),
        "paid_before": status not in (Status.NEW, Status.REFUSED) and draw(st.booleans()),
        "paused": status == Status.SUPPLEMENT_REQUESTED or (
            status == Status.PAYMENT_REQUESTED and draw(st.booleans())),
    }


def _make(world, state) -> Dossier:
    users = world["users"]
    steps = factories.DEFAULT_TEMPLATE
    due = NOW + dt.timedelta(hours=state["due_offset"]) if state["received"] else None
    step = state["step"]
    dossier = Dossier.objects.create(
        code=f"{world['agency'].code}-260408-{Dossier.objects.count() + 1:04d}",
        procedure=world["procedure"], agency=world["agency"], unit_id=world["agency"].unit_id,
        channel=Channel.ONLINE, status=state["status"], applicant=users["applicant"],
        applicant_kind="citizen", applicant_id_number=users["applicant"].id_number,
        applicant_name="Nguyễn Văn An", form_data={"ho_ten": "Nguyễn Văn An"},
        submitted_at=NOW - dt.timedelta(days=5),
        received_at=NOW - dt.timedelta(days=4) if state["received"] else None,
        due_at=due, original_due_at=due, apology_count=state["apologies"],
        paused_at=NOW - dt.timedelta(hours=1) if state["paused"] and due else None,
        rating=1 if state["rated"] else None, current_step=step,
        current_role=steps[step]["role"] if step is not None else "",
        fee_amount=30000,
    )
    if step is not None:
        DossierStep.objects.create(dossier=dossier, index=step, code=steps[step]["code"],
                                   name=steps[step]["name"], role=steps[step]["role"],
                                   started_at=NOW - dt.timedelta(days=1), due_at=due)
    if state["paid_before"]:
        Payment.objects.create(dossier=dossier, amount=30000, status=PaymentStatus.PAID,
                               requested_at=NOW - dt.timedelta(days=3),
                               paid_at=NOW - dt.timedelta(days=2))
    if state["status"] == Status.PAYMENT_REQUESTED:
        Payment.objects.create(dossier=dossier, amount=30000, requested_at=NOW)
    return Dossier.objects.select_related("procedure", "agency").get(pk=dossier.pk)


def _valid_input(world, action: str, dossier: Dossier) -> dispatch.ActionInput:
    """Well-formed input for each action: only the rules of the table can refuse it."""
    users = world["users"]
    role = dossier.current_role or "specialist"
    assignee = {"receiver": users["receiver"], "specialist": users["specialist"],
                "leader": users["leader"]}[role]
    later = max(NOW, dossier.due_at or NOW) + dt.timedelta(days=3)
    return dispatch.ActionInput(
        note="Ghi chú", reason="Lý do cụ thể", step_index=1, amount=30000,
        assignee_id=assignee.pk if action == "assign" else None, new_due_at=later, rating=1,
        files=[("to-khai", pdf())] if action == "supplement" else ())


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(case=cases())
def test_an_action_is_offered_exactly_when_the_service_accepts_it(world, media_root, case):
    action, who, state = case
    with transaction.atomic():
        dossier = _make(world, state)
        user = world["users"][who]
        offered = action in allowed_actions(user, dossier, at=NOW)
        try:
            with transaction.atomic():
                dispatch.dossier_act(acting_user=user, dossier=dossier, action=action,
                                     data=_valid_input(world, action, dossier))
        except DomainError as exc:
            accepted, why = False, exc.code
        else:
            accepted, why = True, "accepted"
        event(f"{'accepted' if accepted else 'refused'}: {action}")
        assert offered == accepted, (action, who, state, why)
        transaction.set_rollback(True)


def test_every_action_of_the_table_has_a_runner_and_a_label():
    assert set(dispatch.RUNNERS) == set(lifecycle.ACTIONS)
    assert all(row.label_en for row in lifecycle.TABLE)


def test_the_documented_table_is_the_table_in_the_code():
    text = DOCS.read_text(encoding="utf-8")
    assert lifecycle.markdown_table() in text, (
        "docs/dossiers.md is out of date: paste the output of "
        "`python -c 'from tinhso.dossiers.lifecycle import markdown_table; "
        "print(markdown_table())'` (run under Django) between the lifecycle markers")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(shares=st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=4),
       waits=st.lists(st.integers(min_value=0, max_value=60), min_size=6, max_size=6),
       days=st.sampled_from(["1", "2", "3", "5", "10"]),
       supplement=st.booleans())
def test_step_deadlines_never_fall_after_the_dossiers(clock, media_root, shares, waits, days,
                                                      supplement):
    """Steps with any shares (even summing past 1), forwarded at any pace, with a supplement
    pause or not: each step's deadline is at or before the dossier's at that moment."""
    with transaction.atomic():
        total = sum(shares) or 1
        template = ([{"code": "receive", "name": "Tiếp nhận", "role": "receiver", "share": 0}]
                    + [{"code": f"s{i}", "name": f"Bước {i}", "role": "specialist",
                        "share": 2 * s / total} for i, s in enumerate(shares)]
                    + [{"code": "approve", "name": "Phê duyệt", "role": "leader", "share": 0.3},
                       {"code": "return", "name": "Trả", "role": "receiver", "share": 0}])
        province = factories.make_province()
        agency = factories.make_agency(unit=province)
        procedure = factories.make_procedure(agencies=[agency], processing_days=days,
                                             process_template=template)
        citizen = factories.make_citizen()
        receiver = factories.make_official(agency, "receiver")
        specialist = factories.make_official(agency, "specialist")
        clock.set(dt.datetime(2026, 4, 6, 8, 0, tzinfo=VN))
        dossier = services.dossier_submit_online(
            acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
            form_data={"ho_ten": "Lê Thị Hoa"}, files=[("to-khai", pdf())])
        dossier = services.dossier_receive(acting_user=receiver, dossier=dossier)

        def check() -> None:
            fresh = Dossier.objects.get(pk=dossier.pk)
            for step in DossierStep.objects.filter(dossier=fresh, finished_at__isnull=True):
                assert step.due_at is None or fresh.due_at is None or \
                    step.due_at <= fresh.due_at, (step.index, step.due_at, fresh.due_at)

        check()
        for i, wait in enumerate(waits[: len(shares)]):
            clock.set(clock.now + dt.timedelta(hours=wait))
            dossier = Dossier.objects.select_related("procedure", "agency").get(pk=dossier.pk)
            if supplement and i == 0 and lifecycle.permits("request_supplement", receiver,
                                                           dossier, clock.now):
                dossier = services.dossier_request_supplement(
                    acting_user=receiver, dossier=dossier, reason="Bổ sung")
                clock.set(clock.now + dt.timedelta(hours=waits[-1]))
                dossier = services.dossier_supplement(acting_user=citizen, dossier=dossier,
                                                      files=[("to-khai", pdf())])
                check()
            if lifecycle.permits("forward", specialist, dossier, clock.now):
                services.dossier_forward(acting_user=specialist, dossier=dossier)
            elif lifecycle.permits("apologize", specialist, dossier, clock.now):
                services.dossier_apologize(acting_user=specialist, dossier=dossier,
                                           new_due_at=clock.now + dt.timedelta(days=5),
                                           reason="Trễ hạn")
            check()
        transaction.set_rollback(True)


def _paid_dossier(world) -> Dossier:
    state = {"status": Status.PROCESSING, "step": 1, "received": True, "due_offset": 48,
             "apologies": 0, "rated": False, "paid_before": True, "paused": False}
    return _make(world, state)


def test_a_paid_dossier_is_not_asked_to_pay_again(world):
    receiver = world["users"]["receiver"]
    dossier = _paid_dossier(world)
    assert "request_payment" not in allowed_actions(receiver, dossier, at=NOW)
    with pytest.raises(DomainError) as exc:
        services.dossier_request_payment(acting_user=receiver, dossier=dossier, amount=30000)
    assert exc.value.code == "PAYMENT_ALREADY_PAID"
    assert Payment.objects.filter(dossier=dossier).count() == 1


def test_api_and_back_office_answer_a_refused_action_with_the_same_code(world, client):
    receiver = world["users"]["receiver"]
    dossier = _paid_dossier(world)
    client.force_login(receiver)
    api = client.post(f"/api/v1/dossiers/{dossier.code}/actions/request_payment",
                      {"amount": 30000}, content_type="application/json")
    assert api.status_code == 409 and api.json()["code"] == "PAYMENT_ALREADY_PAID"
    page = client.post(reverse("backoffice:action", args=[dossier.code, "request_payment"]),
                       {"version": dossier.version, "amount": 30000}, follow=True)
    assert "PAYMENT_ALREADY_PAID" in page.content.decode()
    # "pay" with nothing to pay: the same code from both (they used to differ).
    api = client.post(f"/api/v1/dossiers/{dossier.code}/actions/pay", {},
                      content_type="application/json")
    assert api.status_code == 409 and api.json()["code"] == "ILLEGAL_TRANSITION"
    page = client.post(reverse("backoffice:action", args=[dossier.code, "pay"]),
                       {"version": dossier.version}, follow=True)
    assert "ILLEGAL_TRANSITION" in page.content.decode()


def test_leader_approves_from_the_queue_in_one_click(world, client):
    leader = world["users"]["leader"]
    from django.utils import timezone

    # The page judges lateness by the real clock: due two days from now.
    hours = int((timezone.now() - NOW).total_seconds() // 3600) + 48
    state = {"status": Status.PROCESSING, "step": 2, "received": True, "due_offset": hours,
             "apologies": 0, "rated": False, "paid_before": False, "paused": False}
    dossier = _make(world, state)
    client.force_login(leader)
    queue = reverse("backoffice:queue", args=["to_approve"])
    html = client.get(queue).content.decode()
    action = reverse("backoffice:action", args=[dossier.code, "approve"])
    assert f'action="{action}"' in html
    response = client.post(action, {"version": dossier.version, "tro_ve": "to_approve"})
    assert response.status_code == 302 and response["Location"] == queue
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSED
