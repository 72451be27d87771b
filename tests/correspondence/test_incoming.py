"""Incoming documents: registration from paper/e-mail with the incoming number, idempotency
on the external reference, assignment with a deadline in working days, notes, forwarding,
completion, reminders and overdue lists through the notifications app, the IOC card, and
gap-free numbering under concurrency."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.correspondence.conftest import make_side
from tests.signatures.pkihelpers import simple_pdf
from tinhso.core.errors import DomainError
from tinhso.correspondence import selectors
from tinhso.correspondence import services_in as inc
from tinhso.correspondence.models import IncomingEvent, InState

SCAN = simple_pdf()


def _register(side, **extra):
    values = {"acting_user": side.clerk, "agency": side.agency, "source": "paper",
              "sender_name": "Bộ Nội vụ", "number": "15", "notation": "15/CT-BNV",
              "subject": "Về tăng cường kỷ luật, kỷ cương hành chính", "doc_type": "CT",
              "promulgated_on": dt.date(2026, 11, 30),
              "attachments": [("ban-scan.pdf", SCAN)]}
    values.update(extra)
    return inc.incoming_register(**values)


@pytest.mark.django_db
def test_register_numbers_per_agency_and_year_and_stores_the_scan(sides):
    a, b = sides
    first = _register(a)
    second = _register(a, source="email", external_ref="imap:<m1@mail.gov.vn>")
    other = _register(b)
    assert (first.incoming_number, second.incoming_number, other.incoming_number) == (1, 2, 1)
    scan = first.files.get()
    from tinhso.core import blobs

    with blobs.open_verified(scan.file.name, sha256=scan.sha256, size=scan.size) as fh:
        assert fh.read() == SCAN
    again = _register(a, source="email", external_ref="imap:<m1@mail.gov.vn>")
    assert again.pk == second.pk
    with pytest.raises(DomainError):
        _register(a, acting_user=b.clerk)


@pytest.mark.django_db
def test_assign_note_forward_complete_with_a_deadline_in_working_days(sides):
    from tinhso.workdays.calendar import add_working_days

    a, _ = sides
    doc = _register(a)
    with pytest.raises(DomainError) as err:
        inc.incoming_assign(acting_user=a.specialist, incoming=doc, unit=a.unit)
    assert err.value.code == "CORR_NOT_DISPATCHER"
    inc.incoming_assign(acting_user=a.leader, incoming=doc, unit=a.unit, working_days=3,
                        note="Giao Văn phòng tham mưu")
    doc.refresh_from_db()
    expected = timezone.localtime(add_working_days(timezone.now(), 3, agency=a.agency)).date()
    assert doc.state == InState.ASSIGNED and doc.due_on == expected
    inc.incoming_forward(acting_user=a.head, incoming=doc, unit=None, handler=a.specialist,
                         note="Giao đồng chí xử lý")
    inc.incoming_note(acting_user=a.specialist, incoming=doc, note="Đã dự thảo.")
    inc.incoming_complete(acting_user=a.specialist, incoming=doc)
    doc.refresh_from_db()
    assert doc.state == InState.COMPLETED and doc.completed_at is not None
    assert list(IncomingEvent.objects.filter(incoming=doc).values_list("action", flat=True)) == [
        "register", "assign", "forward", "note", "complete"]
    with pytest.raises(DomainError) as err:
        inc.incoming_note(acting_user=a.specialist, incoming=doc, note="nữa")
    assert err.value.code == "CORR_WRONG_STATE"


@pytest.mark.django_db
def test_reminders_overdue_list_and_ioc_card(sides, django_capture_on_commit_callbacks):
    from tinhso.correspondence.reminders import reminders_send
    from tinhso.notifications.models import Notification

    a, b = sides
    late = _register(a)
    with django_capture_on_commit_callbacks(execute=True):
        inc.incoming_assign(acting_user=a.leader, incoming=late, unit=a.unit,
                            handler=a.specialist, working_days=2)
    soon = _register(a, subject="Về báo cáo quý IV")
    inc.incoming_assign(acting_user=a.leader, incoming=soon, unit=a.unit, working_days=1)
    type(late).objects.filter(pk=late.pk).update(due_on=timezone.localdate() -
                                                  dt.timedelta(days=2))
    assert Notification.objects.filter(recipient=a.specialist, kind="corr_assigned").exists()
    counts = reminders_send()
    assert counts["corr_overdue"] == 1 and counts["corr_near_due"] == 1
    assert reminders_send() == {"corr_overdue": 0, "corr_near_due": 0}  # once a day
    overdue = Notification.objects.get(recipient=a.specialist, kind="corr_overdue")
    assert "quá hạn" in overdue.title
    assert Notification.objects.filter(recipient=a.head, kind="corr_near_due").exists()
    page = selectors.incoming_register(a.leader, state="overdue")
    assert [d.pk for d in page.items] == [late.pk]
    card = selectors.ioc_due_by_unit(a.leader)
    assert [(r.unit, r.open, r.due_soon, r.overdue) for r in card] == [
        (a.unit.name, 2, 1, 1)]
    assert selectors.ioc_due_by_unit(b.leader) == []


@pytest.mark.django_db(transaction=True)
def test_incoming_numbers_stay_gap_free_under_concurrent_registration(pki):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers anyway)")
    side = make_side("000.00.40.H10", "UBND huyện Đồng Phú", "UBND", "VP")
    threads, errors, numbers = [], [], []
    barrier = threading.Barrier(8)

    def work(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                doc = _register(side, subject=f"Văn bản {i}", attachments=[])
                if i % 4 == 3:  # a registration that fails afterwards gives its number back
                    raise RuntimeError("rollback")
                numbers.append(doc.incoming_number)
        except RuntimeError:
            pass
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    for i in range(8):
        threads.append(threading.Thread(target=work, args=(i,)))
        threads[-1].start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers) == list(range(1, 7))
