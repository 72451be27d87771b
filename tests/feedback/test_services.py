"""Feedback/petition lifecycle: deadlines in working days, pauses, scoping, events."""

from __future__ import annotations

import pytest

from tests.feedback.conftest import at
from tests.ioc.builders import make_dossier
from tinhso.core.errors import DomainError
from tinhso.dossiers.models import Action
from tinhso.feedback import services
from tinhso.feedback.models import FeedbackEvent, FeedbackStatus
from tinhso.feedback.selectors import feedback_get_for_user, feedback_visible_to
from tinhso.ioc.models import DossierFactState
from tinhso.outbox.dispatch import drain_outbox


def submit(user, agency, **kw):
    return services.feedback_submit(acting_user=user, title="Chậm trả kết quả",
                                    content="Hồ sơ của tôi quá hạn mà chưa có kết quả.",
                                    agency_code=agency.code, **kw)


def test_submit_sets_working_day_deadlines(clock, citizen, agency):
    clock.set(at(2026, 3, 2, 8))  # Monday 08:00
    f = submit(citizen, agency)
    assert f.code.startswith("PAKN-260302-")
    assert f.status == FeedbackStatus.NEW
    assert f.refuse_due_at == at(2026, 3, 4, 8)       # 2 working days
    assert f.supplement_due_at == at(2026, 3, 9, 8)   # 5 working days (weekend skipped)
    assert f.handle_due_at == at(2026, 3, 23, 8)      # 15 working days
    assert list(f.events.values_list("action", "to_status")) == [("submit", "new")]


def test_deadlines_skip_tet(clock, citizen, agency):
    clock.set(at(2026, 2, 13, 10))  # Friday before Tết (16–20/2/2026)
    f = submit(citizen, agency)
    assert f.refuse_due_at == at(2026, 2, 24, 10)


def test_refuse_on_time_and_late(clock, citizen, agency, handler):
    f = submit(citizen, agency)
    clock.set(at(2026, 3, 3, 9))
    f = services.feedback_refuse(acting_user=handler, feedback=f, reason="Không thuộc thẩm quyền")
    assert (f.status, f.handled_on_time) == (FeedbackStatus.REFUSED, True)
    clock.set(at(2026, 3, 2, 8))
    g = submit(citizen, agency)
    clock.set(at(2026, 3, 5, 9))  # after the 2-day refusal deadline
    g = services.feedback_refuse(acting_user=handler, feedback=g, reason="Không thuộc thẩm quyền")
    assert g.handled_on_time is False


def test_supplement_pause_moves_the_handling_deadline(clock, citizen, agency, handler):
    f = submit(citizen, agency)                      # due 23/3 08:00
    clock.set(at(2026, 3, 4, 8))                     # 2 working days used, 13 left
    f = services.feedback_request_supplement(acting_user=handler, feedback=f,
                                             reason="Cần ảnh chụp giấy hẹn")
    assert f.status == FeedbackStatus.SUPPLEMENT_REQUESTED
    clock.set(at(2026, 3, 11, 8))                    # the citizen answers a week later
    f = services.feedback_supplement(acting_user=citizen, feedback=f, content="Ảnh đính kèm")
    assert f.status == FeedbackStatus.PROCESSING
    assert f.handle_due_at == at(2026, 3, 30, 8)    # 13 working days after 11/3
    clock.set(at(2026, 3, 27, 8))
    f = services.feedback_resolve(acting_user=handler, feedback=f, resolution="Đã trả kết quả")
    assert (f.status, f.handled_on_time) == (FeedbackStatus.RESOLVED, True)
    assert f.publish_due_at == at(2026, 3, 31, 8)


def test_publish_and_rate_once(clock, citizen, agency, handler):
    f = submit(citizen, agency)
    f = services.feedback_resolve(acting_user=handler, feedback=f, resolution="Đã xử lý")
    f = services.feedback_publish(acting_user=handler, feedback=f)
    assert f.status == FeedbackStatus.PUBLISHED
    f = services.feedback_rate(acting_user=citizen, feedback=f, rating=1)
    assert f.rating == 1
    with pytest.raises(DomainError) as exc:
        services.feedback_rate(acting_user=citizen, feedback=f, rating=-1)
    assert exc.value.code == "ALREADY_RATED"
    assert [e.action for e in FeedbackEvent.objects.filter(feedback=f).order_by("id")] == [
        "submit", "resolve", "publish", "rate"]


def test_publish_needs_consent(clock, citizen, agency, handler):
    f = submit(citizen, agency, allow_publish=False)
    f = services.feedback_resolve(acting_user=handler, feedback=f, resolution="Đã xử lý")
    with pytest.raises(DomainError) as exc:
        services.feedback_publish(acting_user=handler, feedback=f)
    assert exc.value.code == "PUBLISH_NOT_ALLOWED"


def test_illegal_transitions_change_nothing(clock, citizen, agency, handler):
    f = submit(citizen, agency)
    f = services.feedback_refuse(acting_user=handler, feedback=f, reason="Trùng lặp")
    with pytest.raises(DomainError) as exc:
        services.feedback_resolve(acting_user=handler, feedback=f, resolution="x")
    assert exc.value.code == "ILLEGAL_TRANSITION"
    f.refresh_from_db()
    assert f.status == FeedbackStatus.REFUSED and f.events.count() == 2
    with pytest.raises(DomainError):
        services.feedback_rate(acting_user=citizen, feedback=f, rating=1)


def test_validation(clock, citizen, agency):
    with pytest.raises(DomainError) as exc:
        services.feedback_submit(acting_user=citizen, title="", content="x",
                                 agency_code=agency.code)
    assert exc.value.code == "INVALID_FIELD"
    with pytest.raises(DomainError) as exc:
        services.feedback_submit(acting_user=citizen, title="t", content="x")
    assert exc.value.code == "AGENCY_REQUIRED"


def test_scoping(clock, citizen, agency, handler, outsider, admin):
    f = submit(citizen, agency)
    assert list(feedback_visible_to(handler)) == [f]
    assert list(feedback_visible_to(outsider)) == []
    assert list(feedback_visible_to(admin)) == [f]
    assert list(feedback_visible_to(citizen)) == [f]
    with pytest.raises(DomainError) as exc:
        services.feedback_resolve(acting_user=outsider, feedback=f, resolution="x")
    assert exc.value.status == 404
    with pytest.raises(DomainError):
        feedback_get_for_user(outsider, f.code)
    other = __import__("tests.factories", fromlist=["x"]).make_citizen(id_number="070090009999")
    assert list(feedback_visible_to(other)) == []
    with pytest.raises(DomainError) as exc:
        services.feedback_supplement(acting_user=other, feedback=f, content="x")
    assert exc.value.status == 403


def test_feedback_about_a_dossier(clock, citizen, agency, procedure, handler):
    dossier = make_dossier(procedure=procedure, agency=agency,
                           events=[(at(2026, 2, 2, 9), Action.CREATE_DIRECT)],
                           applicant=citizen)
    f = services.feedback_submit(acting_user=citizen, title="Chậm", content="Quá hạn",
                                 dossier_code=dossier.code)
    assert f.agency == agency and f.dossier == dossier
    # The IOC learns of it through the outbox ("ioc" consumer), not in this transaction.
    assert DossierFactState.objects.get(pk=dossier.pk).complained is False
    drain_outbox()
    assert DossierFactState.objects.get(pk=dossier.pk).complained is True
    services.feedback_refuse(acting_user=handler, feedback=f, reason="Trùng")
    drain_outbox()
    assert DossierFactState.objects.get(pk=dossier.pk).complained is False


def test_cannot_complain_about_someone_elses_dossier(clock, citizen, agency, procedure):
    dossier = make_dossier(procedure=procedure, agency=agency,
                           events=[(at(2026, 2, 2, 9), Action.CREATE_DIRECT)],
                           applicant_id_number="070090005555")
    with pytest.raises(DomainError) as exc:
        services.feedback_submit(acting_user=citizen, title="t", content="c",
                                 dossier_code=dossier.code)
    assert exc.value.status == 404
