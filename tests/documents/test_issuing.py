"""Forms are issued by jobs after the step commits: one document per step, never in the
request, idempotent on retry, failures recorded with their reason and retried on demand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from huey.contrib.djhuey import HUEY

from tests import factories
from tests.dossiers.conftest import pdf
from tests.signatures import pkihelpers
from tinhso.core.errors import PermissionDenied
from tinhso.documents import issuing
from tinhso.documents.models import Document, DocumentJob, IssueState
from tinhso.dossiers import services
from tinhso.dossiers.models import DossierEvent


@dataclass
class Event:
    type: str
    payload: dict
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    aggregate_type: str = "dossier"
    aggregate_id: str = ""
    agency_id: int | None = None
    actor_id: int | None = None
    occurred_at: object = None


@pytest.fixture
def officers(agency):
    return {role: factories.make_official(agency, role) for role in
            ("receiver", "specialist", "leader")}


def submit(citizen, procedure, agency):
    return services.dossier_submit_online(
        acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
        form_data={"ho_ten": "Phạm Thị Hoa"}, files=[("to-khai", pdf())])


@pytest.fixture
def queued():
    """A real queue (not immediate mode): tasks wait until the test runs them."""
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = True


def run_queue(huey) -> int:
    for done in range(20):  # bounded: each job enqueues nothing further
        task = huey.dequeue()
        if task is None:
            return done
        huey.execute(task)
    raise AssertionError("queue did not drain")


@pytest.mark.django_db(transaction=True)
def test_reception_does_not_sign_the_job_does_once(citizen, procedure, agency, officers,
                                                    queued):
    pkihelpers.init_pki()
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    # The request is over: its job is recorded, nothing is signed yet.
    job = DocumentJob.objects.get(dossier=dossier)
    assert (job.form, job.state, job.attempts) == ("01", IssueState.PENDING, 0)
    assert not Document.objects.exists()
    assert run_queue(queued) >= 1
    job.refresh_from_db()
    assert job.state == IssueState.SIGNED and job.document.uuid == job.document_uuid
    # The job delivered twice (at-least-once) or the consumer path: still one document.
    issuing.document_job_run(job_id=job.pk)
    event = DossierEvent.objects.get(dossier=dossier, action="receive")
    issuing.handle_event(Event(type="dossier.received",
                               payload={"dossier_event_id": event.pk}))
    assert Document.objects.filter(dossier=dossier).count() == 1
    assert DocumentJob.objects.filter(dossier=dossier).count() == 1


@pytest.mark.django_db
def test_the_button_after_approval_issues_no_second_result(
        citizen, procedure, agency, officers, django_capture_on_commit_callbacks):
    pkihelpers.init_pki()
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    dossier = services.dossier_assign(acting_user=officers["leader"], dossier=dossier,
                                      assignee=officers["specialist"])
    dossier = services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_approve(acting_user=officers["leader"], dossier=dossier)
    assert Document.objects.filter(dossier=dossier, form="result").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        job = issuing.document_request(acting_user=officers["receiver"], dossier=dossier,
                                       form="result")
    assert job.state == IssueState.SIGNED
    assert Document.objects.filter(dossier=dossier, form="result").count() == 1


@pytest.mark.django_db
def test_signing_failure_is_recorded_and_retried_on_demand(
        citizen, procedure, agency, officers, django_capture_on_commit_callbacks):
    dossier = submit(citizen, procedure, agency)
    with django_capture_on_commit_callbacks(execute=True):  # no CA yet: signing is impossible
        dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    dossier.refresh_from_db()
    assert dossier.status == 2  # the legal act stands
    job = DocumentJob.objects.get(dossier=dossier)
    assert job.state == IssueState.FAILED and job.reason and job.attempts == 1
    assert not Document.objects.exists()
    # Running it again does nothing until an official asks for a retry.
    issuing.document_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.attempts == 1
    pkihelpers.init_pki()
    with django_capture_on_commit_callbacks(execute=True):
        issuing.document_request(acting_user=officers["specialist"], dossier=dossier, form="01")
    job.refresh_from_db()
    assert (job.state, job.reason, job.attempts) == (IssueState.SIGNED, "", 2)
    assert job.actor == officers["specialist"]


@pytest.mark.django_db
def test_a_worker_killed_after_storing_is_recognised(citizen, procedure, agency, officers,
                                                     monkeypatch):
    pkihelpers.init_pki()
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    job = DocumentJob.objects.get(dossier=dossier)
    real_finish = issuing._finish

    def die(job, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(issuing, "_finish", die)
    with pytest.raises(SystemExit):
        issuing.document_job_run(job_id=job.pk)
    assert Document.objects.filter(uuid=job.document_uuid).exists()
    monkeypatch.setattr(issuing, "_finish", real_finish)
    # Its claim still holds: another worker leaves it alone until the claim expires.
    issuing.document_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == IssueState.PENDING
    DocumentJob.objects.filter(pk=job.pk).update(claimed_until=None)
    issuing.document_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == IssueState.SIGNED
    assert Document.objects.filter(dossier=dossier).count() == 1


@pytest.mark.django_db
def test_outbox_consumer_issues_the_step_form(citizen, procedure, agency, officers,
                                             monkeypatch):
    pkihelpers.init_pki()
    dossier = submit(citizen, procedure, agency)
    services.dossier_refuse(acting_user=officers["receiver"], dossier=dossier,
                            reason="Không thuộc thẩm quyền")
    event = DossierEvent.objects.get(dossier=dossier, action="refuse")
    DocumentJob.objects.all().delete()  # as if only the outbox path existed
    for _ in range(2):
        issuing.handle_event(Event(type="dossier.refused",
                                   payload={"dossier_event_id": event.pk}))
    (doc,) = Document.objects.filter(dossier=dossier)
    assert doc.form == "03"
    issuing.handle_event(Event(type="dossier.assigned", payload={"dossier_event_id": event.pk}))
    assert Document.objects.count() == 1


@pytest.mark.django_db
def test_only_officials_of_the_agency_may_ask(citizen, procedure, agency, officers,
                                              other_agency):
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    outsider = factories.make_official(other_agency, "receiver")
    for user in (outsider, citizen):
        with pytest.raises(PermissionDenied):
            issuing.document_request(acting_user=user, dossier=dossier, form="01")


@pytest.mark.django_db
def test_a_form_without_its_step_is_refused(citizen, procedure, agency, officers):
    dossier = submit(citizen, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    with pytest.raises(Exception, match="no step") as info:
        issuing.document_request(acting_user=officers["receiver"], dossier=dossier, form="02")
    assert info.value.code == "NO_STEP_FOR_FORM"


@pytest.mark.django_db
def test_dossier_page_shows_the_state_and_retries(client, citizen, procedure, agency, officers,
                                                 django_capture_on_commit_callbacks):
    dossier = submit(citizen, procedure, agency)
    with django_capture_on_commit_callbacks(execute=True):  # no CA: the job fails
        dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    client.force_login(officers["receiver"])
    page = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert 'data-document-job="01" data-state="failed"' in page
    assert "Lỗi" in page and "Thử lại" in page
    job = DocumentJob.objects.get(dossier=dossier)
    assert job.reason.split(":")[0] in page  # the reason's code is shown
    response = client.post(f"/mot-cua/ho-so/{dossier.code}/van-ban/", {"form": "01"})
    assert response.status_code == 302
    page = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert 'data-state="pending"' in page and "Đang ký" in page
    assert DocumentJob.objects.count() == 1
