"""Orders: every allowed and forbidden transition of the lifecycle table, stock reservation and
release, the append-only event log and the outbox events."""

from __future__ import annotations

import pytest

from tests.market.conftest import make_listing, make_seller, place
from tinhso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tinhso.market.models import AppendOnlyError, Listing, Order, OrderEvent, OrderStatus
from tinhso.market.orders import BUYER, LIFECYCLE, OFFICER, SELLER, allowed_actions, order_act
from tinhso.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db

S = OrderStatus
ALL_STATUSES = list(S.values)


def _stock(listing: Listing) -> int:
    return Listing.objects.get(pk=listing.pk).stock


def _force(order: Order, status: str) -> Order:
    Order.objects.filter(pk=order.pk).update(status=status)
    return Order.objects.get(pk=order.pk)


def test_place_reserves_stock_and_writes_event_and_outbox(listing, buyer):
    order = place(listing, buyer, quantity=3)
    assert order.status == S.PLACED and order.total == 3 * 250_000
    assert _stock(listing) == 7
    event = OrderEvent.objects.get(order=order)
    assert (event.action, event.from_status, event.to_status) == ("place", "", "placed")
    out = OutboxEvent.objects.filter(type="market.order_placed", aggregate_id=str(order.pk))
    assert out.count() == 1 and out.get().payload["quantity"] == 3


def test_more_than_the_stock_is_a_conflict_and_changes_nothing(listing, buyer):
    with pytest.raises(Conflict) as exc:
        place(listing, buyer, quantity=11)
    assert exc.value.code == "OUT_OF_STOCK" and exc.value.details["available"] == 10
    assert _stock(listing) == 10 and not Order.objects.exists()


def test_only_published_listings_of_verified_sellers_can_be_ordered(commune, officer, buyer):
    unverified = make_seller(commune, None, name="Hộ Nguyễn Văn B")
    draft = make_listing(unverified, publish=False)
    with pytest.raises(NotFound):
        place(draft, buyer)


def test_anonymous_cannot_order_and_a_seller_cannot_buy_its_own(listing, seller):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        place(listing, AnonymousUser())
    with pytest.raises(Conflict) as exc:
        place(listing, seller.owner)
    assert exc.value.code == "OWN_LISTING"


@pytest.mark.parametrize("quantity", [0, -1, True, 10**7])
def test_bad_quantities_are_refused(listing, buyer, quantity):
    with pytest.raises(ValidationFailed):
        place(listing, buyer, quantity=quantity)
    assert _stock(listing) == 10


def _who(name, seller, buyer, officer, other):
    return {BUYER: buyer, SELLER: seller.owner, OFFICER: officer, "other": other}[name]


# Every (action, party, status): allowed exactly when the lifecycle table has the row.
CASES = [(t.action, party, status)
         for t in {(t.action, t.party): t for t in LIFECYCLE}.values()
         for party in (BUYER, SELLER, OFFICER)
         for status in ALL_STATUSES]
CASES = sorted(set((a, p, s) for a, p, s in CASES))


def _expected(action: str, party: str, status: str) -> str | None:
    for t in LIFECYCLE:
        if t.action == action and t.party == party and status in t.from_statuses:
            return t.to_status
    return None


@pytest.mark.parametrize(("action", "party", "status"), CASES)
def test_lifecycle_table(listing, seller, buyer, officer, other_official, action, party,
                         status):
    order = _force(place(listing, buyer, quantity=2), status)
    user = _who(party, seller, buyer, officer, other_official)
    expected = _expected(action, party, status)
    before = _stock(listing)
    if expected is None:
        with pytest.raises(Conflict) as exc:
            order_act(acting_user=user, order=order, action=action, reason="lý do")
        assert exc.value.code == "ILLEGAL_TRANSITION"
        assert Order.objects.get(pk=order.pk).status == status
        assert action not in allowed_actions(user, Order.objects.get(pk=order.pk))
        return
    assert action in allowed_actions(user, order)
    done = order_act(acting_user=user, order=order, action=action, reason="lý do")
    assert done.status == expected
    row = next(t for t in LIFECYCLE if t.action == action and t.party == party)
    assert _stock(listing) == before + (2 if row.releases_stock else 0)
    last = OrderEvent.objects.filter(order=order).order_by("-id").first()
    assert (last.action, last.from_status, last.to_status) == (action, status, expected)
    assert OutboxEvent.objects.filter(aggregate_type="market_order",
                                      aggregate_id=str(order.pk)).count() == 2


def test_strangers_do_not_see_the_order(listing, buyer, buyer2, other_official):
    order = place(listing, buyer)
    for user in (buyer2, other_official):
        with pytest.raises(NotFound):
            order_act(acting_user=user, order=order, action="cancel")


def test_reason_required_where_the_table_says_so(listing, seller, buyer):
    order = place(listing, buyer)
    with pytest.raises(ValidationFailed):
        order_act(acting_user=seller.owner, order=order, action="cancel", reason="  ")
    assert Order.objects.get(pk=order.pk).status == S.PLACED


def test_full_happy_path_and_stale_version(listing, seller, buyer):
    order = place(listing, buyer)
    with pytest.raises(Conflict) as exc:
        order_act(acting_user=seller.owner, order=order, action="confirm", expected_version=99)
    assert exc.value.code == "STALE_VERSION"
    order = order_act(acting_user=seller.owner, order=order, action="confirm")
    order = order_act(acting_user=seller.owner, order=order, action="ship")
    order = order_act(acting_user=buyer, order=order, action="deliver")
    assert order.status == S.DELIVERED and order.delivered_at is not None
    types = list(OutboxEvent.objects.filter(aggregate_type="market_order")
                 .order_by("id").values_list("type", flat=True))
    assert types == ["market.order_placed", "market.order_confirmed", "market.order_shipped",
                     "market.order_delivered"]


def test_online_orders_are_confirmed_only_once_paid(listing, seller, buyer):
    order = place(listing, buyer, method="vnpay")
    assert "confirm" not in allowed_actions(seller.owner, order)
    with pytest.raises(Conflict) as exc:
        order_act(acting_user=seller.owner, order=order, action="confirm")
    assert exc.value.code == "PAYMENT_REQUIRED"


def test_order_events_are_append_only(listing, buyer):
    event = OrderEvent.objects.get(order=place(listing, buyer))
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
