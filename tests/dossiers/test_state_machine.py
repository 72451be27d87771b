"""Hypothesis drives random sequences of actions, legal or not, through the real services.

Invariants after every step: the event log replays to the dossier's status, illegal actions
change nothing, the legal clock is set exactly when the dossier has been received, processing's
end is recorded once, and a paused dossier is awaiting a supplement.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests import factories
from tests.dossiers.conftest import VN, pdf
from tinhso.core.errors import DomainError
from tinhso.dossiers import services
from tinhso.dossiers.models import END_OF_PROCESSING, Dossier, DossierEvent, Status
from tinhso.payments.models import Payment, PaymentStatus

ACTIONS = ["receive", "refuse", "request_supplement", "supplement", "forward", "approve",
           "return_result", "request_payment", "pay", "stop", "withdraw", "apologize", "rate",
           "return_to_step"]


class DossierMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        import tinhso.dossiers.services._common as common

        self.now = dt.datetime(2026, 4, 6, 8, 0, tzinfo=VN)
        common.now = lambda: self.now  # restored by the test below
        province = factories.make_province()
        self.agency = factories.make_agency(unit=province)
        self.procedure = factories.make_procedure(agencies=[self.agency], fee=30000)
        self.citizen = factories.make_citizen()
        self.receiver = factories.make_official(self.agency, "receiver")
        self.specialist = factories.make_official(self.agency, "specialist")
        self.leader = factories.make_official(self.agency, "leader")
        self.dossier = services.dossier_submit_online(
            acting_user=self.citizen, procedure_code=self.procedure.code,
            agency_code=self.agency.code, form_data={"ho_ten": "Võ Thị Lan"},
            files=[("to-khai", pdf())])

    def _fresh(self) -> Dossier:
        return Dossier.objects.select_related("procedure", "agency").get(pk=self.dossier.pk)

    @rule(action=st.sampled_from(ACTIONS), hours=st.integers(min_value=0, max_value=40))
    def act(self, action: str, hours: int) -> None:
        self.now += dt.timedelta(hours=hours)
        dossier = self._fresh()
        before = (dossier.status, dossier.version, DossierEvent.objects.count())
        calls = {
            "receive": lambda: services.dossier_receive(acting_user=self.receiver, dossier=dossier),
            "refuse": lambda: services.dossier_refuse(acting_user=self.receiver, dossier=dossier,
                                                      reason="Không đủ điều kiện"),
            "request_supplement": lambda: services.dossier_request_supplement(
                acting_user=self.receiver, dossier=dossier, reason="Bổ sung bản sao"),
            "supplement": lambda: services.dossier_supplement(
                acting_user=self.citizen, dossier=dossier, files=[("to-khai", pdf())]),
            "forward": lambda: services.dossier_forward(
                acting_user=self.specialist if dossier.current_role == "specialist"
                else self.receiver, dossier=dossier),
            "approve": lambda: services.dossier_approve(acting_user=self.leader, dossier=dossier),
            "return_result": lambda: services.dossier_return_result(acting_user=self.receiver,
                                                                    dossier=dossier),
            "request_payment": lambda: services.dossier_request_payment(
                acting_user=self.receiver, dossier=dossier),
            "pay": lambda: services.payment_confirm(
                acting_user=self.receiver, online=True,
                payment=Payment.objects.filter(dossier=dossier).order_by("-id").first()
                or Payment(pk=0)),
            "stop": lambda: services.dossier_stop(acting_user=self.leader, dossier=dossier,
                                                  reason="Dừng theo đề nghị"),
            "withdraw": lambda: services.dossier_withdraw(acting_user=self.citizen,
                                                          dossier=dossier, reason="Rút"),
            "apologize": lambda: services.dossier_apologize(
                acting_user=self.leader, dossier=dossier,
                new_due_at=self.now + dt.timedelta(days=3), reason="Xin lỗi vì trễ hạn"),
            "rate": lambda: services.dossier_rate(acting_user=self.citizen, dossier=dossier,
                                                  rating=1),
            "return_to_step": lambda: services.dossier_return_to_step(
                acting_user=self.leader, dossier=dossier, step_index=1, reason="Xem lại"),
        }
        try:
            calls[action]()
        except (DomainError, Payment.DoesNotExist):
            after = self._fresh()
            assert (after.status, after.version, DossierEvent.objects.count()) == before

    @invariant()
    def log_replays_to_status(self) -> None:
        if not hasattr(self, "dossier"):
            return
        dossier = self._fresh()
        last = DossierEvent.objects.filter(dossier=dossier).order_by("at", "id").last()
        assert last is not None and last.to_status == dossier.status

    @invariant()
    def clock_and_end_are_consistent(self) -> None:
        if not hasattr(self, "dossier"):
            return
        dossier = self._fresh()
        received = DossierEvent.objects.filter(dossier=dossier, action="receive").exists()
        assert (dossier.original_due_at is not None) == received
        ends = DossierEvent.objects.filter(dossier=dossier, to_status__in=END_OF_PROCESSING,
                                           from_status__isnull=False).exclude(
            from_status__in=END_OF_PROCESSING).count()
        assert ends <= 1
        assert (dossier.finished_at is not None) == (ends == 1)
        if dossier.paused_at is not None:
            assert dossier.status == Status.SUPPLEMENT_REQUESTED
        paid = Payment.objects.filter(dossier=dossier, status=PaymentStatus.PAID).count()
        assert paid == DossierEvent.objects.filter(dossier=dossier, action="pay").count()


@pytest.mark.django_db
def test_random_action_sequences(media_root, monkeypatch) -> None:
    import tinhso.dossiers.services._common as common

    monkeypatch.setattr(common, "now", common.now)  # restore after the machine replaces it
    machine = DossierMachine.TestCase
    machine.settings = settings(max_examples=30, stateful_step_count=25, deadline=None,
                                suppress_health_check=list(HealthCheck))
    machine().runTest()
