"""Publishing: one outbox event per domain change, in the change's transaction, schema-checked."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.dossiers.conftest import pdf
from tinhso.dossiers import services
from tinhso.dossiers.models import Action, DossierEvent
from tinhso.outbox.catalog import DOSSIER_ACTION_TYPES, EVENT_TYPES
from tinhso.outbox.models import OutboxEvent
from tinhso.outbox.services import event_publish

pytestmark = pytest.mark.django_db


def submit(citizen, procedure, agency):
    return services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf())])


def test_every_action_has_an_event_type_with_a_schema():
    assert set(DOSSIER_ACTION_TYPES) == {a.value for a in Action}
    for name, event_type in EVENT_TYPES.items():
        assert event_type.name == name and event_type.schema["type"] == "object"
        assert event_type.description_vi and event_type.description_en


def test_each_dossier_event_is_published_once_with_its_payload(citizen, procedure, agency,
                                                               officers, media_root):
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    events = list(OutboxEvent.objects.order_by("id"))
    logged = list(DossierEvent.objects.filter(dossier=dossier).order_by("id"))
    assert [e.type for e in events] == ["dossier.submitted", "dossier.received"]
    assert [e.payload["dossier_event_id"] for e in events] == [e.pk for e in logged]
    received = events[1]
    assert received.aggregate_type == "dossier" and received.aggregate_id == str(dossier.pk)
    assert received.agency_id == agency.pk and received.actor_id == officers["receiver"].pk
    assert received.occurred_at == logged[1].at
    payload = received.payload
    assert payload["code"] == dossier.code and payload["procedure_code"] == procedure.code
    assert (payload["action"], payload["from_status"], payload["to_status"]) == (
        "receive", logged[1].from_status, logged[1].to_status)
    assert payload["due_at"] == dossier.due_at.isoformat()
    assert len({e.event_id for e in events}) == 2


def test_a_rolled_back_change_publishes_nothing(citizen, procedure, agency, media_root):
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(citizen, procedure, agency)
        assert OutboxEvent.objects.count() == 1
        raise RuntimeError("the request fails after the change")
    assert OutboxEvent.objects.count() == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"type": "dossier.teleported"}, "unknown event type"),
    ({"payload": {"feedback_id": "seven"}}, "breaks its schema"),
])
def test_bad_events_are_programming_errors(kwargs, message):
    base = {"type": "feedback.received", "aggregate_type": "feedback", "aggregate_id": 1,
            "agency_id": None, "actor_id": None,
            "payload": {"feedback_id": 1, "code": "PAKN", "kind": "reflection", "agency_id": 1,
                        "dossier_id": None, "status": "new", "at": "2026-03-02T09:00:00+07:00"}}
    with pytest.raises(ValueError, match=message):
        event_publish(**{**base, **kwargs})
    assert OutboxEvent.objects.count() == 0


def test_feedback_and_payment_publish_their_events(citizen, procedure, agency, officers,
                                                   media_root):
    from tinhso.feedback import services as feedback_services
    from tinhso.payments import services as payment_services

    dossier = services.dossier_receive(acting_user=officers["receiver"],
                                       dossier=submit(citizen, procedure, agency))
    petition = feedback_services.feedback_submit(acting_user=citizen, title="Chậm",
                                                 content="Hồ sơ chậm", dossier_code=dossier.code)
    payment = payment_services.dossier_request_payment(acting_user=officers["specialist"],
                                                       dossier=dossier, amount=50000)
    payment_services.payment_confirm(acting_user=officers["receiver"], payment=payment,
                                     online=False)
    by_type = {e.type: e for e in OutboxEvent.objects.all()}
    assert by_type["feedback.received"].payload["dossier_id"] == dossier.pk
    assert by_type["feedback.received"].payload["code"] == petition.code
    settled = by_type["payment.settled"]
    assert (settled.payload["payment_id"], settled.payload["amount"]) == (payment.pk, 50000)
    assert {"dossier.payment_requested", "dossier.paid"} <= set(by_type)
