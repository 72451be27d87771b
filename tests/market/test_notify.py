"""Order steps reach the buyer and the seller through the outbox consumer
"market-notifications": once each, in each recipient's language, the officers on escalation."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.market.conftest import place
from tinhso.market.deadlines import deadlines_apply
from tinhso.market.orders import order_act
from tinhso.notifications.models import Notification, NotificationPreference
from tinhso.outbox.dispatch import drain_outbox, run_consumer
from tinhso.outbox.models import ConsumerCursor, OutboxEvent

pytestmark = pytest.mark.django_db


def titles(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user, kind="market_order")
                .order_by("id").values_list("title", flat=True))


def walk(order, seller, buyer, *steps):
    for action, who in steps:
        order = order_act(acting_user={"seller": seller.owner, "buyer": buyer}[who], order=order,
                          action=action, reason="Hàng bị ẩm, không đúng loại A")
    return order


def test_each_step_tells_the_buyer_and_the_seller_once(listing, seller, buyer):
    order = place(listing, buyer, quantity=2)
    walk(order, seller, buyer, ("confirm", "seller"), ("ship", "seller"), ("deliver", "buyer"),
         ("dispute", "buyer"))
    drain_outbox()
    code = order.code
    assert titles(buyer) == [f"Đơn hàng {code}: đã đặt hàng",
                             f"Đơn hàng {code}: người bán đã xác nhận",
                             f"Đơn hàng {code}: đang giao hàng",
                             f"Đơn hàng {code}: đã nhận hàng",
                             f"Đơn hàng {code}: đã ghi nhận khiếu nại"]
    assert titles(seller.owner) == [f"Đơn hàng {code}: có đơn hàng mới",
                                    f"Đơn hàng {code}: đã xác nhận",
                                    f"Đơn hàng {code}: đã giao cho vận chuyển",
                                    f"Đơn hàng {code}: người mua đã nhận hàng",
                                    f"Đơn hàng {code}: người mua khiếu nại"]
    disputed = Notification.objects.get(recipient=seller.owner, title__endswith="khiếu nại")
    assert "Hàng bị ẩm" in disputed.body and "trong 3 ngày" in disputed.body
    assert f"/cho-nong-san/don-hang/{code}/" in disputed.link
    # Delivered again from the start (a worker lost its cursor): nothing new.
    first = OutboxEvent.objects.order_by("id").values_list("id", flat=True).first()
    ConsumerCursor.objects.filter(name="market-notifications").update(position=first - 1)
    assert run_consumer("market-notifications") > 0
    assert Notification.objects.filter(kind="market_order").count() == 10


def test_a_cancellation_is_announced_in_each_recipients_language(listing, seller, buyer):
    NotificationPreference.objects.create(user=buyer, language="en", sms=False)
    order = place(listing, buyer)
    walk(order, seller, buyer, ("cancel", "buyer"))
    drain_outbox()
    assert titles(buyer)[-1] == f"Order {order.code}: cancelled"
    assert titles(seller.owner)[-1] == f"Đơn hàng {order.code}: đã hủy"
    assert "Lý do: Hàng bị ẩm" in Notification.objects.filter(
        recipient=seller.owner).order_by("-id").first().body


def test_an_escalated_dispute_reaches_the_market_officers(listing, seller, buyer, officer,
                                                          settings):
    settings.TINHSO_MARKET_DISPUTE_ANSWER_DAYS = 3
    order = walk(place(listing, buyer), seller, buyer, ("confirm", "seller"), ("ship", "seller"),
                 ("dispute", "buyer"))
    assert deadlines_apply(now=order.disputed_at + dt.timedelta(days=3, minutes=1)) == {
        "escalated": 1, "completed": 0}
    drain_outbox()
    assert titles(officer) == [f"Đơn hàng {order.code}: khiếu nại cần xem xét"]
    assert titles(seller.owner)[-1] == f"Đơn hàng {order.code}: khiếu nại chuyển cán bộ"


def test_old_events_are_not_announced_by_a_new_consumer(listing, seller, buyer):
    place(listing, buyer)
    OutboxEvent.objects.update(occurred_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    drain_outbox()
    assert not Notification.objects.filter(kind="market_order").exists()
