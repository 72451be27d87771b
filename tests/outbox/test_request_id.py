"""A request's id follows its effects into the jobs: the outbox event keeps it, the consumers
run under it, and the tasks they or the request enqueue (deliveries, document jobs) too — so
the worker's log lines and outgoing calls join the request's."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from tests.dossiers.test_api import bearer, post_submission
from tinhso.core.observability import current_request_id
from tinhso.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_request_id_reaches_consumers_deliveries_and_document_jobs(
        citizen, procedure, agency, media_root, drain, monkeypatch, settings):
    from tinhso.documents import issuing
    from tinhso.notifications import services

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    citizen.email = "an@example.vn"
    citizen.save(update_fields=["email"])
    receiver = factories.make_official(agency, "receiver")
    seen: dict[str, set[str]] = {"delivery": set(), "document": set()}
    attempt, run = services.delivery_attempt, issuing.document_job_run

    def recording_attempt(**kwargs):
        seen["delivery"].add(current_request_id())
        return attempt(**kwargs)

    def recording_run(**kwargs):
        seen["document"].add(current_request_id())
        return run(**kwargs)

    monkeypatch.setattr(services, "delivery_attempt", recording_attempt)
    monkeypatch.setattr(issuing, "document_job_run", recording_run)
    client = Client()
    response = post_submission(client, bearer(citizen), {
        "procedure": procedure.code, "agency": agency.code,
        "form_data": {"ho_ten": "Lê Văn Cường"}}, HTTP_X_REQUEST_ID="req-submit-0001")
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    response = client.post(f"/api/v1/dossiers/{code}/actions/receive", {},
                           content_type="application/json", **bearer(receiver),
                           HTTP_X_REQUEST_ID="req-receive-0001")
    assert response.status_code == 200, response.content
    by_type = dict(OutboxEvent.objects.values_list("type", "request_id"))
    assert by_type["dossier.submitted"] == "req-submit-0001"
    assert by_type["dossier.received"] == "req-receive-0001"
    drain()
    assert current_request_id() == ""  # nothing leaks out of the consumers
    assert "req-receive-0001" in seen["delivery"]  # the citizen's "received" e-mail
    assert seen["document"] == {"req-receive-0001"}  # form 01 of the reception


def test_events_outside_a_request_have_no_request_id(agency):
    from django.db import transaction

    from tinhso.outbox.services import event_publish

    with transaction.atomic():
        event = event_publish(type="feedback.received", aggregate_type="feedback",
                              aggregate_id=1, agency_id=agency.pk, actor_id=None,
                              payload={"feedback_id": 1, "code": "PA-1", "kind": "feedback",
                                       "agency_id": agency.pk, "dossier_id": None,
                                       "status": "new", "at": "2026-12-06T10:00:00+07:00"})
    assert event.request_id is None
