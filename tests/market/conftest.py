"""Fixtures of the marketplace tests: a commune, the agriculture department with a market
officer, a verified seller with a published listing, a buyer."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests import factories
from tinhso.market import services
from tinhso.market.models import Listing, Seller
from tinhso.units.models import AdminUnit, Level, Structure

_seq = itertools.count(1)
MARKET_AGENCY = "000.00.15.H10"


@pytest.fixture(autouse=True)
def _market_settings(settings, tmp_path) -> None:
    settings.TINHSO_MARKET_AGENCY = MARKET_AGENCY
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def commune(province) -> AdminUnit:
    district = AdminUnit.objects.create(structure=Structure.LEGACY_3, code="689",
                                        name="Đồng Xoài", unit_type="Thành phố",
                                        level=Level.DISTRICT, parent=province)
    return AdminUnit.objects.create(structure=Structure.LEGACY_3, code="25432",
                                    name="Tiến Thành", unit_type="Xã", level=Level.COMMUNE,
                                    parent=district)


@pytest.fixture
def officer(province) -> Any:
    department = factories.make_agency(unit=province, code=MARKET_AGENCY,
                                       name="Sở Nông nghiệp và Phát triển nông thôn")
    return factories.make_official(department, "specialist")


@pytest.fixture
def other_official(agency) -> Any:
    return factories.make_official(agency, "receiver")


def make_seller(commune: AdminUnit, officer: Any = None, name: str = "HTX Điều Tiến Thành"
                ) -> Seller:
    owner = factories.make_citizen(id_number=f"0700900{next(_seq):05d}")
    seller = services.seller_register(acting_user=owner, name=name, kind="cooperative",
                                      commune_code=commune.code,
                                      registration_number="3801234567")
    if officer is not None:
        seller = services.seller_verify(acting_user=officer, seller=seller)
    return seller


def make_listing(seller: Seller, *, stock: int = 10, price: int = 250_000,
                 title: str = "Hạt điều rang muối loại A", publish: bool = True,
                 crop: str = "cashew", **extra: Any) -> Listing:
    listing = services.listing_create(acting_user=seller.owner, title=title, crop=crop,
                                      unit="kg", price_vnd=price, stock=stock, **extra)
    if publish:
        listing = services.listing_publish(acting_user=seller.owner, listing_id=listing.pk)
    return listing


@pytest.fixture
def seller(commune, officer) -> Seller:
    return make_seller(commune, officer)


@pytest.fixture
def listing(seller) -> Listing:
    return make_listing(seller)


@pytest.fixture
def buyer(db) -> Any:
    return factories.make_citizen(id_number="070090055555")


@pytest.fixture
def buyer2(db) -> Any:
    return factories.make_citizen(id_number="070090066666")


def place(listing: Listing, buyer: Any, quantity: int = 1, method: str = "cod") -> Any:
    from tinhso.market.orders import order_place

    return order_place(acting_user=buyer, listing_id=listing.pk, quantity=quantity,
                       shipping_address="Số 1, Tiến Thành, Đồng Xoài", buyer_phone="0912345678",
                       payment_method=method)
