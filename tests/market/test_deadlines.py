"""Dispute time limits with a moved clock: N days to dispute after delivery, M days for the
seller to answer before the market officers take it, completion K days after delivery."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.market.conftest import place
from tinhso.core.errors import Conflict
from tinhso.market.deadlines import deadlines_apply
from tinhso.market.models import Order, OrderStatus
from tinhso.market.orders import allowed_actions, order_act, order_system_act
from tinhso.market.services import review_add
from tinhso.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def move(self, **delta: float) -> dt.datetime:
        self.at += dt.timedelta(**delta)
        return self.at


@pytest.fixture
def clock(monkeypatch, settings) -> Clock:
    settings.TINHSO_MARKET_DISPUTE_DAYS = 7
    settings.TINHSO_MARKET_DISPUTE_ANSWER_DAYS = 3
    settings.TINHSO_MARKET_COMPLETE_DAYS = 14
    clock = Clock(START)
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def delivered(listing, seller, buyer) -> Order:
    order = place(listing, buyer)
    for action, who in (("confirm", seller.owner), ("ship", seller.owner), ("deliver", buyer)):
        order = order_act(acting_user=who, order=order, action=action)
    return order


def events(order: Order, type_: str) -> int:
    return OutboxEvent.objects.filter(type=type_, aggregate_id=str(order.pk)).count()


def test_a_dispute_only_within_n_days_of_delivery(clock, listing, seller, buyer, buyer2):
    late = delivered(listing, seller, buyer)
    clock.move(days=7, seconds=1)
    with pytest.raises(Conflict) as caught:
        order_act(acting_user=buyer, order=late, action="dispute", reason="Hàng hỏng")
    assert caught.value.code == "DISPUTE_TOO_LATE" and caught.value.details["days"] == 7
    late.refresh_from_db()
    assert (late.status, late.version, late.disputed_at) == (OrderStatus.DELIVERED, 4, None)

    in_time = delivered(listing, seller, buyer2)
    clock.move(days=6, hours=23)
    disputed = order_act(acting_user=buyer2, order=in_time, action="dispute", reason="Thiếu")
    assert disputed.status == OrderStatus.DISPUTED and disputed.disputed_at == clock.at


def test_an_unanswered_dispute_escalates_once_after_m_days(clock, listing, seller, buyer):
    order = order_act(acting_user=buyer, order=delivered(listing, seller, buyer),
                      action="dispute", reason="Hạt điều bị mốc")
    clock.move(days=3, seconds=-1)
    assert deadlines_apply() == {"escalated": 0, "completed": 0}
    clock.move(seconds=1)
    assert deadlines_apply() == {"escalated": 1, "completed": 0}
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED and order.escalated_at == clock.at
    assert order.events.filter(action="escalate", actor=None).count() == 1
    clock.move(days=1)
    assert deadlines_apply() == {"escalated": 0, "completed": 0}
    assert events(order, "market.order_escalated") == 1
    # The officer settles it whenever; the seller may still answer (and only once).
    order_act(acting_user=seller.owner, order=order, action="answer_dispute",
              reason="Đã kiểm tra, hàng đúng chất lượng")
    with pytest.raises(Conflict) as caught:
        order_act(acting_user=seller.owner, order=order, action="answer_dispute",
                  reason="Lần hai")
    assert caught.value.code == "DISPUTE_ALREADY_ANSWERED"


def test_an_answered_dispute_does_not_escalate(clock, listing, seller, buyer):
    order = order_act(acting_user=buyer, order=delivered(listing, seller, buyer),
                      action="dispute", reason="Giao thiếu 2 kg")
    clock.move(days=2)
    order_act(acting_user=seller.owner, order=order, action="answer_dispute",
              reason="Sẽ giao bù 2 kg trong tuần")
    order.refresh_from_db()
    assert "answer_dispute" not in allowed_actions(seller.owner, order)
    clock.move(days=30)
    assert deadlines_apply() == {"escalated": 0, "completed": 0}
    assert events(order, "market.order_dispute_answered") == 1


def test_delivered_orders_complete_after_k_days(clock, listing, seller, buyer, buyer2):
    order = delivered(listing, seller, buyer)
    clock.move(days=14, seconds=-1)
    assert deadlines_apply()["completed"] == 0
    clock.move(seconds=1)
    assert deadlines_apply()["completed"] == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.completed_at == clock.at
    assert events(order, "market.order_completed") == 1
    with pytest.raises(Conflict) as caught:
        order_act(acting_user=buyer, order=order, action="dispute", reason="Muộn")
    assert caught.value.code == "ILLEGAL_TRANSITION"
    assert review_add(acting_user=buyer, order=order, rating=5).rating == 5
    # A buyer's dispute that lands between the job's list and its lock wins: no completion.
    other = delivered(listing, seller, buyer2)
    clock.move(days=6)
    order_act(acting_user=buyer2, order=other, action="dispute", reason="Hàng không đúng")
    assert order_system_act(order_id=other.pk, action="complete", not_after=clock.at) is None
    assert Order.objects.get(pk=other.pk).status == OrderStatus.DISPUTED
