"""Published listings per commune and crop are kept by the listing services
(``MarketListingCount``, decision 0030): after any mix of publishing, withdrawing, hiding by an
upheld report and suspending a seller, the IOC figures equal the raw aggregate, and reading
them counts no listing."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.market.conftest import make_listing, make_seller
from tinhso.market import services
from tinhso.market.figures import listing_counts_rebuild
from tinhso.market.models import Listing, ListingStatus, MarketListingCount
from tinhso.market.selectors import market_figures, market_figures_raw
from tinhso.units.models import AdminUnit, Level

pytestmark = pytest.mark.django_db


def counted() -> dict[tuple[int, str], int]:
    return {(c.commune_id, c.crop): c.published
            for c in MarketListingCount.objects.filter(published__gt=0)}


def raw() -> dict[tuple[int, str], int]:
    cells: dict[tuple[int, str], int] = {}
    for listing in Listing.objects.filter(status=ListingStatus.PUBLISHED):
        key = (listing.commune_id, listing.crop)
        cells[key] = cells.get(key, 0) + 1
    return cells


@pytest.mark.parametrize("seed", [1, 2])
def test_counts_follow_every_status_change(commune, officer, buyer, seed):
    other = AdminUnit.objects.create(structure=commune.structure, code="25433",
                                     name="Tiến Hưng", unit_type="Xã", level=Level.COMMUNE,
                                     parent=commune.parent)
    sellers = [make_seller(commune, officer, "HTX Điều Tiến Thành"),
               make_seller(other, officer, "Hộ tiêu Tiến Hưng"),
               make_seller(other, officer, "HTX Cao su Tiến Hưng")]
    rng = random.Random(seed)
    listings = [make_listing(rng.choice(sellers), crop=rng.choice(["cashew", "pepper"]),
                             publish=rng.random() < 0.6) for _ in range(12)]
    assert counted() == raw()
    for _ in range(40):
        listing = Listing.objects.get(pk=rng.choice(listings).pk)
        seller = listing.seller
        move = rng.choice(["publish", "withdraw", "withdraw", "report", "suspend"])
        if move == "publish" and seller.status == "verified" and listing.status in (
                ListingStatus.DRAFT, ListingStatus.WITHDRAWN):
            services.listing_publish(acting_user=seller.owner, listing_id=listing.pk)
        elif move == "withdraw":
            services.listing_withdraw(acting_user=seller.owner, listing_id=listing.pk)
        elif move == "report":
            report = services.report_file(acting_user=buyer, reason="fake", listing=listing,
                                          detail="Hàng giả")
            services.report_review(acting_user=officer, report=report, uphold=True,
                                   resolution="Đã xác minh")
        elif move == "suspend" and rng.random() < 0.3:
            services.seller_suspend(acting_user=officer, seller=seller, reason="Vi phạm")
        assert counted() == raw(), move
    assert market_figures() == market_figures_raw()
    assert any(c.published for c in MarketListingCount.objects.all()) or not raw()
    assert listing_counts_rebuild() == MarketListingCount.objects.count()
    assert counted() == raw()


def test_reading_the_figures_counts_no_listing(listing):
    with CaptureQueriesContext(connection) as captured:
        figures = market_figures()
    assert figures["totals"]["products"] == 1 == market_figures_raw()["totals"]["products"]
    assert not [q for q in captured.captured_queries if 'FROM "market_listing"' in q["sql"]]


def test_page_numbers_count_from_the_cells(commune, officer):
    from tinhso.market.selectors import CountedListings, listings_public, listings_public_count

    sellers = [make_seller(commune, officer, "HTX Điều Tiến Thành"),
               make_seller(commune, officer, "Hộ tiêu Tiến Hưng")]
    for n in range(7):
        make_listing(sellers[n % 2], crop=["cashew", "pepper", "rubber"][n % 3],
                     title=f"Hạt điều loại {n}", publish=n != 3)
    for filters in [{}, {"crop": "pepper"}, {"crop": "rubber"}, {"commune_id": commune.pk},
                    {"commune_id": commune.pk + 1000}, {"query": "hat dieu"},
                    {"query": "loai 5"}, {"seller_id": sellers[0].pk}, {"query": " "}]:
        assert listings_public_count(**filters) == listings_public(**filters).count(), filters
        assert CountedListings(**filters).count() == listings_public(**filters).count()
    with CaptureQueriesContext(connection) as captured:
        assert listings_public_count(crop="pepper") == 2
    assert not [q for q in captured.captured_queries if 'FROM "market_listing"' in q["sql"]]


def test_a_search_is_counted_up_to_the_cap(commune, officer, monkeypatch):
    from django.test import Client

    from tinhso.market import selectors

    seller = make_seller(commune, officer)
    for n in range(4):
        make_listing(seller, title=f"Hạt điều loại {n}")
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 3)
    assert selectors.listings_public_count(query="hat dieu") == 3
    assert selectors.listings_public_count(query="loai 2") == 1
    assert selectors.listings_public_count() == 4
    html = Client().get("/cho-nong-san/", {"q": "hat dieu"}).content.decode()
    assert "Hơn 3 sản phẩm" in html
    assert "4 sản phẩm" in Client().get("/cho-nong-san/").content.decode()
