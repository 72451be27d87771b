"""Sellers and their verification, certificates, listings (GTIN + lot), photos, reviews,
reports, supply and demand posts, the price bulletin (manual and CSV)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from tests.market.conftest import make_listing, make_seller, place
from tinhso.accounts.models import AuditLog
from tinhso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tinhso.market import services
from tinhso.market.models import (
    Listing,
    ListingStatus,
    PriceQuote,
    Report,
    SellerStatus,
)
from tinhso.market.orders import order_act
from tinhso.market.permissions import is_market_officer
from tinhso.market.selectors import certificates_public, listings_public, lot_journey
from tinhso.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_unverified_sellers_cannot_publish(commune, officer):
    seller = make_seller(commune)
    assert seller.status == SellerStatus.PENDING
    listing = make_listing(seller, publish=False)
    with pytest.raises(Conflict) as exc:
        services.listing_publish(acting_user=seller.owner, listing_id=listing.pk)
    assert exc.value.code == "SELLER_NOT_VERIFIED"
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.DRAFT


def test_verification_by_a_market_officer_records_who_and_when(commune, officer,
                                                               other_official):
    seller = make_seller(commune)
    with pytest.raises(PermissionDenied):
        services.seller_verify(acting_user=other_official, seller=seller)
    with pytest.raises(PermissionDenied):
        services.seller_verify(acting_user=seller.owner, seller=seller)
    verified = services.seller_verify(acting_user=officer, seller=seller, note="Đã đối chiếu")
    assert verified.status == SellerStatus.VERIFIED
    assert verified.verified_by == officer and verified.verified_at is not None
    assert AuditLog.objects.filter(action="market_seller_verified").count() == 1
    assert OutboxEvent.objects.filter(type="market.seller_verified").count() == 1
    with pytest.raises(Conflict):
        services.seller_verify(acting_user=officer, seller=seller)


def test_market_officer_is_the_agriculture_department(officer, other_official, buyer):
    assert is_market_officer(officer)
    assert not is_market_officer(other_official)
    assert not is_market_officer(buyer)


def test_officials_do_not_sell_and_one_profile_per_account(commune, officer, seller):
    with pytest.raises(PermissionDenied):
        services.seller_register(acting_user=officer, name="X", kind="household",
                                 commune_code=commune.code, registration_number="12345678")
    with pytest.raises(Conflict):
        services.seller_register(acting_user=seller.owner, name="X", kind="household",
                                 commune_code=commune.code, registration_number="12345678")


def test_certificates_ocop_stars_decision_and_expiry(commune, officer):
    seller = make_seller(commune)
    today = timezone.localdate()
    with pytest.raises(ValidationFailed):
        services.certificate_add(acting_user=seller.owner, kind="ocop", stars=6,
                                 decision_number="1", issued_on=today,
                                 expires_on=today + dt.timedelta(days=1))
    with pytest.raises(ValidationFailed):
        services.certificate_add(acting_user=seller.owner, kind="vietgap", stars=4,
                                 decision_number="1", issued_on=today,
                                 expires_on=today + dt.timedelta(days=1))
    with pytest.raises(ValidationFailed):
        services.certificate_add(acting_user=seller.owner, kind="vietgap",
                                 decision_number="1", issued_on=today, expires_on=today)
    ocop = services.certificate_add(acting_user=seller.owner, kind="ocop", stars=4,
                                    decision_number="1234/QĐ-UBND", issued_on=today,
                                    expires_on=today + dt.timedelta(days=3 * 365),
                                    product="Hạt điều rang muối")
    services.certificate_add(acting_user=seller.owner, kind="vietgap",
                             decision_number="VG-01", issued_on=today - dt.timedelta(days=800),
                             expires_on=today - dt.timedelta(days=1))
    assert certificates_public(seller) == []  # not verified yet
    services.seller_verify(acting_user=officer, seller=seller)
    assert [c.pk for c in certificates_public(seller)] == [ocop.pk]  # the expired one is hidden


def test_gtin_check_digit_and_lot():
    body = "0893000010001"
    good = body + str(services.gtin_check_digit(body))
    assert services.is_valid_gtin14(good)
    bad = body + str((services.gtin_check_digit(body) + 1) % 10)
    assert not services.is_valid_gtin14(bad)
    # GS1's own example GTIN-13 4006381333931 as GTIN-14.
    assert services.is_valid_gtin14("04006381333931")
    assert services.check_lot_link("", "") == ("", "")
    with pytest.raises(ValidationFailed):
        services.check_lot_link(good, "")
    with pytest.raises(ValidationFailed):
        services.check_lot_link(good, "lô có dấu")


def test_listing_with_a_traced_lot_links_to_the_resolver(seller):
    body = "0893000010001"
    gtin = body + str(services.gtin_check_digit(body))
    listing = make_listing(seller, gtin=gtin, lot="DX-2026-001")
    assert listing.digital_link == f"/01/{gtin}/10/DX-2026-001"
    assert lot_journey(gtin=gtin, lot="DX-2026-001") is None  # the trace app is not installed


def test_search_without_diacritics(seller):
    make_listing(seller, title="Hạt điều rang muối loại A")
    make_listing(seller, title="Hồ tiêu đen Lộc Ninh", crop="pepper")
    assert [x.title for x in listings_public(query="hat dieu")] == ["Hạt điều rang muối loại A"]
    assert [x.title for x in listings_public(query="TIÊU lộc")] == ["Hồ tiêu đen Lộc Ninh"]
    assert listings_public(query="rang muoi", crop="pepper").count() == 0
    assert listings_public(query="tien thanh").count() == 2  # the seller's name too


def _png(width: int = 2, height: int = 2) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 100, 0)).save(out, "PNG")
    return out.getvalue()


def test_photos_type_size_and_store(listing, settings):
    photo = services.listing_add_photo(acting_user=listing.seller.owner, listing_id=listing.pk,
                                       content=_png(), name="dieu.png")
    assert photo.content_type == "image/png" and photo.file.startswith("market/")
    with pytest.raises(ValidationFailed) as exc:
        services.listing_add_photo(acting_user=listing.seller.owner, listing_id=listing.pk,
                                   content=b"%PDF-1.4 not an image", name="x.png")
    assert exc.value.code == "FILE_TYPE_NOT_ALLOWED"
    settings.TINHSO_MARKET_PHOTO_MAX_BYTES = 10
    with pytest.raises(ValidationFailed) as exc:
        services.listing_add_photo(acting_user=listing.seller.owner, listing_id=listing.pk,
                                   content=_png(), name="big.png")
    assert exc.value.code == "FILE_TOO_LARGE"


def test_photos_of_someone_elses_listing_are_not_found(listing, buyer):
    with pytest.raises(NotFound):
        services.listing_add_photo(acting_user=buyer, listing_id=listing.pk, content=_png())


def test_only_the_buyer_of_a_delivered_order_reviews_once(listing, seller, buyer, buyer2):
    order = place(listing, buyer)
    with pytest.raises(Conflict):
        services.review_add(acting_user=buyer, order=order, rating=5)
    for action, who in (("confirm", seller.owner), ("ship", seller.owner), ("deliver", buyer)):
        order = order_act(acting_user=who, order=order, action=action)
    with pytest.raises(PermissionDenied):
        services.review_add(acting_user=buyer2, order=order, rating=5)
    with pytest.raises(ValidationFailed):
        services.review_add(acting_user=buyer, order=order, rating=6)
    services.review_add(acting_user=buyer, order=order, rating=4, comment="Điều ngon")
    with pytest.raises(Conflict) as exc:
        services.review_add(acting_user=buyer, order=order, rating=5)
    assert exc.value.code == "ALREADY_REVIEWED"


def test_reports_reviewed_by_an_officer_hide_the_listing(listing, buyer, officer,
                                                         other_official):
    report = services.report_file(acting_user=buyer, reason="fake", listing=listing,
                                  detail="Hàng không đúng mô tả")
    with pytest.raises(PermissionDenied):
        services.report_review(acting_user=other_official, report=report, uphold=True,
                               resolution="x")
    services.report_review(acting_user=officer, report=report, uphold=True,
                           resolution="Xác minh có vi phạm")
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.HIDDEN
    assert listings_public().filter(pk=listing.pk).count() == 0
    with pytest.raises(Conflict):
        services.report_review(acting_user=officer, report=report, uphold=False,
                               resolution="x")


def test_upheld_report_on_a_seller_suspends_it(seller, listing, buyer, officer):
    report = services.report_file(acting_user=buyer, reason="fraud", seller=seller)
    services.report_review(acting_user=officer, report=report, uphold=True,
                           resolution="Không giao hàng nhiều lần")
    seller.refresh_from_db()
    assert seller.status == SellerStatus.SUSPENDED
    assert Report.objects.get(pk=report.pk).status == "upheld"
    assert listings_public().count() == 0


def test_posts(buyer, commune):
    post = services.post_create(acting_user=buyer, kind="demand", crop="pepper",
                                title="Cần mua 5 tấn tiêu đen", commune_code=commune.code,
                                days=10)
    assert post.expires_on == timezone.localdate() + dt.timedelta(days=10)
    with pytest.raises(ValidationFailed):
        services.post_create(acting_user=buyer, kind="other", crop="pepper", title="x")
    services.post_close(acting_user=buyer, post=post)
    post.refresh_from_db()
    assert not post.is_open


def test_prices_by_officers_only_and_corrections_are_audited(officer, other_official):
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.price_enter(acting_user=other_official, day=today, market="dong-xoai",
                             commodity="pepper", price_vnd=150_000)
    services.price_enter(acting_user=officer, day=today, market="dong-xoai",
                         commodity="pepper", price_vnd=150_000)
    services.price_enter(acting_user=officer, day=today, market="dong-xoai",
                         commodity="pepper", price_vnd=151_000)
    assert PriceQuote.objects.get().price_vnd == 151_000
    assert AuditLog.objects.filter(action="market_price_corrected").count() == 1
    for bad in ({"market": "ha-noi"}, {"commodity": "coffee"}, {"price_vnd": 0},
                {"day": today + dt.timedelta(days=5)}):
        args = {"day": today, "market": "dong-xoai", "commodity": "pepper",
                "price_vnd": 1, **bad}
        with pytest.raises(ValidationFailed):
            services.price_enter(acting_user=officer, **args)


def test_price_csv_import_is_all_or_nothing(officer):
    good = ("day,market,commodity,price_vnd\n2026-12-01,dong-xoai,cashew,32.500\n"
            "02/12/2026,bu-dang,latex,420\n")
    assert services.price_import_csv(acting_user=officer, content=good) == 2
    assert PriceQuote.objects.count() == 2
    bad = "day,market,commodity,price_vnd\n2026-12-03,dong-xoai,cashew,33000\n2026-12-03,x,y,z\n"
    with pytest.raises(ValidationFailed) as exc:
        services.price_import_csv(acting_user=officer, content=bad)
    assert exc.value.details["line"] == 3 and "Dòng 3" in exc.value.message_vi
    assert PriceQuote.objects.count() == 2
    with pytest.raises(ValidationFailed):
        services.price_import_csv(acting_user=officer, content="a,b\n1,2\n")
