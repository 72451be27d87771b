"""The demo marketplace: the seeds' scale, plausible prices, valid demo GTINs, idempotent."""

from __future__ import annotations

import pytest

from tinhso.market.demo import demo_gtin, load_market_demo
from tinhso.market.models import Listing, Order, PriceQuote, Seller
from tinhso.market.permissions import is_market_officer
from tinhso.market.services import is_valid_gtin14

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_province(settings):
    from tinhso.accounts.demo import load_demo_accounts
    from tinhso.units.demo import load_agencies, load_units

    settings.TINHSO_MARKET_AGENCY = "000.00.15.H10"
    load_units()
    load_agencies()
    load_demo_accounts()


def test_demo_marketplace(demo_province):
    made = load_market_demo(seed=7)
    assert made["sellers"] == 100 and made["listings"] == 400
    assert Seller.objects.values("commune").distinct().count() > 40
    traced = Listing.objects.exclude(gtin="")
    assert traced.count() > 50
    assert all(g.startswith("0893") and is_valid_gtin14(g)
               for g in traced.values_list("gtin", flat=True))
    raw = Listing.objects.filter(title="Hạt điều thô")
    assert all(30_000 <= p <= 36_000 for p in raw.values_list("price_vnd", flat=True))
    assert Order.objects.filter(status="delivered").exists()
    assert PriceQuote.objects.filter(commodity="latex").count() > 100
    from tinhso.accounts.models import User

    assert is_market_officer(User.objects.get(username="nongnghiep"))
    assert load_market_demo(seed=7) == {}  # idempotent
    assert Seller.objects.count() == 100


def test_demo_gtin_layout():
    gtin = demo_gtin(1, 1)
    assert gtin[:4] == "0893" and gtin[4:9] == "00001" and gtin[9:13] == "0001"
    assert is_valid_gtin14(gtin)
