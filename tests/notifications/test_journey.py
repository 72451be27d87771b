"""A dossier's journey tells the applicant and the officials what they need, once each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests import factories
from tests.notifications.conftest import Event, as_outbox_event, submit
from tinhso.dossiers import services
from tinhso.dossiers.models import DossierEvent
from tinhso.notifications.handlers import handle_event, notify_for_dossier_event
from tinhso.notifications.models import Channel, Delivery, DeliveryState, Notification
from tinhso.notifications.services import delivery_attempt
from tinhso.payments import services as payments

pytestmark = pytest.mark.django_db


def announce(dossier) -> list[Notification]:
    """Run the handler for the dossier's last event three times (outbox twice with different
    event ids, the direct path once); return the messages written for that event."""
    event = DossierEvent.objects.filter(dossier=dossier).order_by("-id").first()
    first = handle_event(as_outbox_event(event))
    assert handle_event(as_outbox_event(event)) == 0
    assert notify_for_dossier_event(event) == 0
    written = list(Notification.objects.filter(event_key=f"dossier-event:{event.pk}"))
    assert len(written) == first
    return written


def for_applicant(messages, applicant) -> Notification:
    (mine,) = [m for m in messages if m.recipient_id == applicant.pk]
    return mine


def deliver_all() -> None:
    for pk in Delivery.objects.filter(state=DeliveryState.QUEUED).values_list("pk", flat=True):
        delivery_attempt(delivery_id=pk)


def test_the_whole_journey(applicant, agency, officers, media_root, sms):
    procedure = factories.make_procedure(agencies=[agency], fee=50_000)
    dossier = submit(applicant, procedure, agency)
    new = announce(dossier)
    assert [(m.recipient, m.kind) for m in new] == [(officers["receiver"], "new_online")]

    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    received = announce(dossier)
    msg = for_applicant(received, applicant)
    assert msg.kind == "received" and dossier.code in msg.title
    due = dossier.due_at.astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert due.strftime("%H:%M %d/%m/%Y") in msg.body
    assert f"/ho-so-cua-toi/{dossier.code}/" in msg.link
    # New work in the specialists' queue (the first processing step).
    assert {(m.recipient, m.kind) for m in received if m.recipient != applicant} == {
        (officers["specialist"], "new_in_queue")}

    dossier = services.dossier_request_supplement(
        acting_user=officers["specialist"], dossier=dossier,
        reason="Bản sao giấy khai sinh có chứng thực")
    msg = for_applicant(announce(dossier), applicant)
    assert msg.kind == "supplement_requested"
    assert "Bản sao giấy khai sinh có chứng thực" in msg.body and "trước" in msg.body
    assert "Ban sao giay khai sinh" in msg.sms_text

    from tests.dossiers.conftest import pdf
    dossier = services.dossier_supplement(acting_user=applicant, dossier=dossier,
                                          files=[("to-khai", pdf())])
    back = announce(dossier)
    assert [(m.recipient, m.kind) for m in back] == [(officers["specialist"], "back_in_queue")]

    payment = payments.dossier_request_payment(acting_user=officers["specialist"],
                                               dossier=dossier)
    msg = for_applicant(announce(dossier), applicant)
    assert msg.kind == "payment_requested" and "50.000 đồng" in msg.body
    assert "VietQR" in msg.body and "50.000 dong" in msg.sms_text
    assert f"TS{payment.pk} PHI HO SO" in msg.body and f"TS{payment.pk} PHI HO SO" in msg.sms_text
    payments.payment_confirm(acting_user=officers["receiver"], payment=payment, online=False)
    announce(dossier)

    dossier.refresh_from_db()
    dossier = services.dossier_assign(acting_user=officers["leader"], dossier=dossier,
                                      assignee=officers["specialist"])
    assigned = announce(dossier)
    assert [(m.recipient, m.kind) for m in assigned] == [(officers["specialist"], "assigned")]
    dossier = services.dossier_forward(acting_user=officers["specialist"], dossier=dossier)
    assert [(m.recipient, m.kind) for m in announce(dossier)] == [
        (officers["leader"], "new_in_queue")]
    dossier = services.dossier_approve(acting_user=officers["leader"], dossier=dossier)
    msg = for_applicant(announce(dossier), applicant)
    assert msg.kind == "result_ready" and "tải về" in msg.body

    applicant_kinds = list(Notification.objects.filter(recipient=applicant)
                           .order_by("id").values_list("kind", flat=True))
    assert applicant_kinds == ["received", "supplement_requested", "payment_requested",
                               "result_ready"]
    # Every applicant message goes out on the three channels: in-app, e-mail, SMS.
    for notification in Notification.objects.filter(recipient=applicant):
        assert notification.in_app
        assert set(notification.deliveries.values_list("channel", flat=True)) == {
            Channel.EMAIL, Channel.SMS}
    deliver_all()
    assert not Delivery.objects.exclude(state=DeliveryState.SENT).exists()
    assert sorted(m.subject for m in mail.outbox if m.to == ["an@example.vn"]) == sorted(
        f"[tỉnh số] {n.title}" for n in Notification.objects.filter(recipient=applicant))
    texts = [m["text"] for m in sms.messages]
    assert len(texts) == 4 and all(m["to"] == "84912345678" for m in sms.messages)
    assert all(len(t) <= 160 and t.isascii() for t in texts)
    # Delivering again sends nothing more.
    for pk in Delivery.objects.values_list("pk", flat=True):
        assert delivery_attempt(delivery_id=pk) == DeliveryState.SENT
    assert len(sms.messages) == 4


def test_counter_applicant_without_account_is_told_by_email_and_sms(agency, officers, sms):
    procedure = factories.make_procedure(agencies=[agency])
    dossier = services.dossier_create_direct(
        acting_user=officers["receiver"], procedure_code=procedure.code,
        applicant_kind="citizen", applicant_id_number=factories.VALID_ID_NUMBER,
        applicant_name="Trần Thị Bình", form_data={"ho_ten": "Trần Thị Bình"},
        applicant_phone="+84 987 654 321", applicant_email="binh@example.vn")
    messages = announce(dossier)
    (msg,) = [m for m in messages if m.recipient is None]
    assert msg.recipient_key == f"applicant:{dossier.pk}" and not msg.in_app
    assert msg.kind == "received" and "/tra-cuu/" in msg.link
    deliver_all()
    assert [m.to for m in mail.outbox] == [["binh@example.vn"]]
    assert [m["to"] for m in sms.messages] == ["84987654321"]


@pytest.mark.parametrize("action", ["refuse", "withdraw", "stop"])
def test_endings_carry_the_reason(applicant, agency, officers, media_root, action):
    procedure = factories.make_procedure(agencies=[agency])
    dossier = submit(applicant, procedure, agency)
    if action == "refuse":
        services.dossier_refuse(acting_user=officers["receiver"], dossier=dossier,
                                reason="Không thuộc thẩm quyền")
    else:
        dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
        if action == "withdraw":
            services.dossier_withdraw(acting_user=applicant, dossier=dossier,
                                      reason="Không thuộc thẩm quyền")
        else:
            services.dossier_stop(acting_user=officers["leader"], dossier=dossier,
                                  reason="Không thuộc thẩm quyền")
    msg = for_applicant(announce(dossier), applicant)
    assert msg.kind == {"refuse": "refused", "withdraw": "withdrawn", "stop": "stopped"}[action]
    assert "Lý do: Không thuộc thẩm quyền" in msg.body
    assert "Ly do: Khong thuoc tham quyen" in msg.sms_text


def test_apology_gives_the_new_appointment(applicant, agency, officers, media_root,
                                           monkeypatch):
    procedure = factories.make_procedure(agencies=[agency])
    dossier = submit(applicant, procedure, agency)
    dossier = services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    late = dossier.due_at + dt.timedelta(hours=30)
    monkeypatch.setattr("tinhso.dossiers.services._common.now", lambda: late)
    new_due = late + dt.timedelta(days=3)
    services.dossier_apologize(acting_user=officers["leader"], dossier=dossier,
                               new_due_at=new_due, reason="Cần xác minh thêm")
    msg = for_applicant(announce(dossier), applicant)
    local = new_due.astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert msg.kind == "apologized" and local.strftime("%H:%M %d/%m/%Y") in msg.body
    assert "Cần xác minh thêm" in msg.body


def test_events_of_other_types_and_unknown_dossiers_are_ignored(db):
    assert handle_event(Event(type="payment.settled", payload={"payment_id": 1})) == 0
    assert handle_event(Event(type="dossier.received", payload={"dossier_id": 999999,
                                                                "dossier_event_id": 1})) == 0
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_steps_announce_themselves_after_commit(applicant, agency, officers, media_root):
    """Without explicit handler calls: the step's commit enqueues the announcement (run at
    once here, Huey's immediate mode) and the applicant's e-mail goes out."""
    procedure = factories.make_procedure(agencies=[agency])
    dossier = submit(applicant, procedure, agency)
    services.dossier_receive(acting_user=officers["receiver"], dossier=dossier)
    msg = Notification.objects.get(recipient=applicant)
    assert msg.kind == "received"
    assert msg.deliveries.get(channel=Channel.EMAIL).state == DeliveryState.SENT
    assert [m.to for m in mail.outbox] == [["an@example.vn"]]
