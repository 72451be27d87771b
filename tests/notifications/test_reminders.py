"""Officials' deadline reminders: near due and overdue, once per dossier, kind and day."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.notifications.conftest import submit
from tinhso.dossiers import services
from tinhso.notifications.models import Notification
from tinhso.notifications.reminders import reminders_send

pytestmark = pytest.mark.django_db


def test_near_due_then_overdue_each_once_a_day(applicant, agency, officers, media_root):
    procedure = factories.make_procedure(agencies=[agency], processing_days="3")
    dossier = submit(applicant, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    dossier = services.dossier_assign(acting_user=officers["leader"], dossier=dossier,
                                      assignee=officers["specialist"])
    far = dossier.received_at + dt.timedelta(minutes=5)
    assert reminders_send(now=far) == {"near_due": 0, "overdue": 0}
    near = dossier.due_at - dt.timedelta(hours=2)
    assert reminders_send(now=near) == {"near_due": 1, "overdue": 0}
    assert reminders_send(now=near + dt.timedelta(minutes=30)) == {"near_due": 0, "overdue": 0}
    late = dossier.due_at + dt.timedelta(hours=1)
    # The specialist holding it, and the agency's leader (subscribed to overdue by default).
    assert reminders_send(now=late)["overdue"] == 2
    assert reminders_send(now=late)["overdue"] == 0
    next_day = late + dt.timedelta(days=1)
    # The holder is reminded every day; the leader once per promised moment.
    assert reminders_send(now=next_day)["overdue"] == 1
    assert Notification.objects.filter(recipient=officers["leader"], kind="overdue").count() == 1
    kinds = list(Notification.objects.filter(recipient=officers["specialist"])
                 .exclude(event_key__startswith="dossier-event").order_by("id")
                 .values_list("kind", flat=True))
    assert kinds == ["near_due", "overdue", "overdue"]
    assert not Notification.objects.filter(recipient=applicant,
                                           event_key__startswith="reminder").exists()


def test_finished_or_paused_dossiers_are_not_reminded(applicant, agency, officers,
                                                       media_root):
    procedure = factories.make_procedure(agencies=[agency])
    dossier = submit(applicant, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    services.dossier_request_supplement(acting_user=officers["specialist"], dossier=dossier,
                                        reason="Thiếu tờ khai")
    assert reminders_send(now=dossier.due_at + dt.timedelta(hours=1)) == {
        "near_due": 0, "overdue": 0}
