"""Two buyers race for the last unit: exactly one order is placed, the other gets 409
OUT_OF_STOCK, and the stock never goes below zero (real transactions, one connection per
thread: PostgreSQL's row lock re-checks ``stock >= quantity`` after the winner commits)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.market.conftest import make_listing, make_seller, place
from tinhso.core.errors import Conflict
from tinhso.market.models import Listing, Order
from tinhso.market.orders import order_act

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(funcs):
    barrier = threading.Barrier(len(funcs))
    results: list[object] = [None] * len(funcs)

    def worker(i, func):
        try:
            barrier.wait()
            results[i] = func()
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(funcs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_buyers_race_for_the_last_unit(commune, officer, buyer, buyer2):
    listing = make_listing(make_seller(commune, officer), stock=1)
    results = run_concurrently([lambda: place(listing, buyer), lambda: place(listing, buyer2)])
    winners = [r for r in results if isinstance(r, Order)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].code == "OUT_OF_STOCK"
    assert Listing.objects.get(pk=listing.pk).stock == 0
    assert Order.objects.count() == 1


def test_many_buyers_never_oversell(commune, officer, buyer, buyer2):
    listing = make_listing(make_seller(commune, officer), stock=3)
    results = run_concurrently([lambda b=b: place(listing, b) for b in (buyer, buyer2) * 3])
    assert sum(isinstance(r, Order) for r in results) == 3
    assert sum(isinstance(r, Conflict) for r in results) == 3
    assert Listing.objects.get(pk=listing.pk).stock == 0


def test_cancel_and_confirm_race_one_wins_and_stock_is_consistent(commune, officer, buyer):
    seller = make_seller(commune, officer)
    listing = make_listing(seller, stock=5)
    order = place(listing, buyer, quantity=2)
    results = run_concurrently([
        lambda: order_act(acting_user=buyer, order=order, action="cancel"),
        lambda: order_act(acting_user=seller.owner, order=order, action="confirm"),
    ])
    assert sum(isinstance(r, Order) for r in results) == 1, results
    final = Order.objects.get(pk=order.pk)
    expected_stock = 5 if final.status == "cancelled" else 3
    assert Listing.objects.get(pk=listing.pk).stock == expected_stock


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of PostgreSQL")
def test_publishing_and_suspending_at_once_keep_the_counts_exact(commune, officer):
    """Six listings are published at once into a cell that does not exist yet (its first
    insert races: get_or_create) while a seller is suspended: the counts equal the listings
    on sale afterwards (decision 0030)."""
    from tinhso.market import services
    from tinhso.market.models import ListingStatus, MarketListingCount

    sellers = [make_seller(commune, officer, f"HTX Nông sản số {n}") for n in range(4)]
    for _ in range(2):
        make_listing(sellers[0])  # cashew, on sale until the suspension
    drafts = [make_listing(s, publish=False, crop="pepper", title="Hồ tiêu đen")
              for s in sellers[1:] for _ in range(2)]
    assert not MarketListingCount.objects.filter(crop="pepper").exists()
    jobs = [lambda d=d: services.listing_publish(acting_user=d.seller.owner, listing_id=d.pk)
            for d in drafts]
    jobs.append(lambda: services.seller_suspend(acting_user=officer, seller=sellers[0],
                                                reason="Vi phạm"))
    results = run_concurrently(jobs)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert dict(MarketListingCount.objects.values_list("crop", "published")) == {
        "cashew": 0, "pepper": 6}
    assert Listing.objects.filter(status=ListingStatus.PUBLISHED, crop="pepper").count() == 6
