"""The API under /api/v1/market and the pages under /cho-nong-san/ and /ioc/cho-nong-san/:
public browsing without an account, orders with an account, officers' pages and the IOC."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.market.conftest import make_listing, place
from tinhso.market import services
from tinhso.market.models import Order

pytestmark = pytest.mark.django_db

API = "/api/v1/market"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_browse_listings_search_and_seller(listing, seller):
    client = Client()
    data = client.get(f"{API}/listings", {"q": "hat dieu rang"}).json()
    assert data["count"] == 1 and data["items"][0]["id"] == listing.pk
    assert data["items"][0]["seller_name"] == seller.name
    assert client.get(f"{API}/listings", {"q": "ca phe"}).json()["count"] == 0
    assert client.get(f"{API}/listings", {"crop": "coffee"}).status_code == 422
    assert client.get(f"{API}/listings", {"limit": 1000}).status_code == 422
    assert client.get(f"{API}/listings/{listing.pk}").json()["price_vnd"] == 250_000
    assert client.get(f"{API}/sellers/{seller.pk}").json()["status"] == "verified"
    assert client.get(f"{API}/listings/{listing.pk}/reviews").json()["count"] == 0


def test_drafts_and_unverified_sellers_are_not_public(seller, commune):
    draft = make_listing(seller, publish=False)
    client = Client()
    assert client.get(f"{API}/listings/{draft.pk}").status_code == 404
    from tests.market.conftest import make_seller

    pending = make_seller(commune, name="Hộ chưa xác minh")
    assert client.get(f"{API}/sellers/{pending.pk}").status_code == 404


def test_ordering_needs_an_account(listing, buyer):
    body = {"listing_id": listing.pk, "quantity": 2, "shipping_address": "Tiến Thành",
            "buyer_phone": "0912345678"}
    assert Client().post(f"{API}/orders", body, content_type="application/json"
                         ).status_code in (401, 403)
    client = signed_in(buyer)
    made = client.post(f"{API}/orders", body, content_type="application/json")
    assert made.status_code == 201, made.content
    code = made.json()["code"]
    assert made.json()["allowed_actions"] == ["cancel"]
    assert client.get(f"{API}/orders").json()["count"] == 1
    events = client.get(f"{API}/orders/{code}/events").json()
    assert [e["action"] for e in events] == ["place"]
    too_many = client.post(f"{API}/orders", {**body, "quantity": 50},
                           content_type="application/json")
    assert too_many.status_code == 409 and too_many.json()["code"] == "OUT_OF_STOCK"
    assert too_many.json()["message_vi"] and too_many.json()["message_en"]


def test_order_actions_over_the_api(listing, seller, buyer, buyer2):
    order = place(listing, buyer)
    seller_client = signed_in(seller.owner)
    url = f"{API}/orders/{order.code}/actions"
    assert seller_client.post(f"{url}/deliver", {}, content_type="application/json"
                              ).status_code == 409
    ok = seller_client.post(f"{url}/confirm", {}, content_type="application/json",
                            headers={"If-Match": "1"})
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    assert signed_in(buyer2).get(f"{API}/orders/{order.code}").status_code == 404


def test_seller_flow_over_the_api(buyer, commune, officer):
    client = signed_in(buyer)
    made = client.post(f"{API}/sellers", {"name": "Hộ Trần Văn C", "kind": "household",
                                          "commune_code": commune.code,
                                          "registration_number": "45A8001234"},
                       content_type="application/json")
    assert made.status_code == 201, made.content
    seller_id = made.json()["id"]
    listing = client.post(f"{API}/listings", {"title": "Tiêu đen", "crop": "pepper",
                                              "unit": "kg", "price_vnd": 150_000,
                                              "stock": 100}, content_type="application/json")
    assert listing.status_code == 201
    listing_id = listing.json()["id"]
    refused = client.post(f"{API}/listings/{listing_id}/publish")
    assert refused.status_code == 409 and refused.json()["code"] == "SELLER_NOT_VERIFIED"
    assert client.post(f"{API}/sellers/{seller_id}/verify", {}, content_type="application/json"
                       ).status_code in (403, 404)
    verified = signed_in(officer).post(f"{API}/sellers/{seller_id}/verify", {"note": "ok"},
                                       content_type="application/json")
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    assert client.post(f"{API}/listings/{listing_id}/publish").json()["status"] == "published"


def test_prices_api_and_bulletin_page(officer, buyer):
    today = timezone.localdate()
    client = signed_in(officer)
    for days, price in ((1, 148_000), (0, 151_000)):
        r = client.post(f"{API}/prices", {"day": str(today - dt.timedelta(days=days)),
                                          "market": "loc-ninh", "commodity": "pepper",
                                          "price_vnd": price}, content_type="application/json")
        assert r.status_code == 201, r.content
    assert signed_in(buyer).post(f"{API}/prices", {"day": str(today), "market": "loc-ninh",
                                                   "commodity": "pepper", "price_vnd": 1},
                                 content_type="application/json").status_code == 403
    data = Client().get(f"{API}/prices", {"commodity": "pepper"}).json()
    assert [i["price_vnd"] for i in data["items"]] == [151_000, 148_000]
    page = Client().get("/cho-nong-san/gia/").content.decode()
    assert "151.000" in page and "<polyline" in page and "+3.000" in page


def test_figures_api_and_ioc_page_for_officials_only(listing, seller, buyer, officer,
                                                     other_official):
    order = place(listing, buyer, quantity=2)
    for action, who in (("confirm", seller.owner), ("ship", seller.owner), ("deliver", buyer)):
        from tinhso.market.orders import order_act

        order = order_act(acting_user=who, order=order, action=action)
    place(listing, buyer, quantity=1)
    from tinhso.outbox.dispatch import drain_outbox

    drain_outbox()  # the figures are the outbox projection's ("market-figures")
    assert Client().get(f"{API}/figures").status_code in (401, 403)
    assert signed_in(buyer).get(f"{API}/figures").status_code == 403
    data = signed_in(other_official).get(f"{API}/figures").json()
    assert data["totals"] == {"sellers": 1, "products": 1, "orders": 2, "turnover": 500_000}
    assert data["by_crop"]["cashew"]["turnover"] == 500_000
    page = signed_in(officer).get("/ioc/cho-nong-san/")
    assert page.status_code == 200 and "500.000" in page.content.decode()
    assert signed_in(buyer).get("/ioc/cho-nong-san/").status_code == 403


def test_public_pages(listing, seller):
    client = Client()
    assert "Hạt điều rang muối" in client.get("/cho-nong-san/", {"q": "HAT DIEU"}
                                               ).content.decode()
    page = client.get(f"/cho-nong-san/san-pham/{listing.pk}/").content.decode()
    assert "Đăng nhập để đặt hàng" in page
    assert client.get(f"/cho-nong-san/nguoi-ban/{seller.pk}/").status_code == 200
    assert client.get("/cho-nong-san/cung-cau/").status_code == 200
    assert client.get("/cho-nong-san/san-pham/999999/").status_code == 404


def test_order_through_the_pages(listing, seller, buyer):
    client = signed_in(buyer)
    r = client.post(f"/cho-nong-san/san-pham/{listing.pk}/dat-hang/",
                    {"quantity": "2", "shipping_address": "Tiến Thành",
                     "buyer_phone": "0912345678", "payment_method": "cod"})
    order = Order.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cho-nong-san/don-hang/{order.code}/"
    seller_page = signed_in(seller.owner).get(r["Location"]).content.decode()
    assert "Xác nhận đơn" in seller_page
    signed_in(seller.owner).post(f"/cho-nong-san/don-hang/{order.code}/confirm/")
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_officer_pages(commune, officer, buyer, other_official):
    from tests.market.conftest import make_seller

    pending = make_seller(commune, name="Hộ chờ xác minh")
    assert signed_in(other_official).get("/cho-nong-san/quan-ly/").status_code == 404
    client = signed_in(officer)
    assert "Hộ chờ xác minh" in client.get("/cho-nong-san/quan-ly/").content.decode()
    client.post(f"/cho-nong-san/quan-ly/xac-minh/{pending.pk}/", {"note": "đủ hồ sơ"})
    pending.refresh_from_db()
    assert pending.status == "verified"
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = SimpleUploadedFile("gia.csv", b"day,market,commodity,price_vnd\n"
                             + f"{timezone.localdate()},dong-xoai,cashew,32000\n".encode())
    client.post("/cho-nong-san/quan-ly/gia/", {"csv": csv})
    assert services.PriceQuote.objects.count() == 1


def test_json_integers_and_object_bodies(listing, seller):
    client = signed_in(seller.owner)
    url = f"{API}/listings/{listing.pk}"
    assert client.patch(url, {"price_vnd": 260000.0}, content_type="application/json"
                        ).json()["price_vnd"] == 260_000
    for body in ('{"price_vnd": "260000"}', '{"price_vnd": true}', '{"stock": 1.5}',
                 "[null, null]"):
        assert client.patch(url, body, content_type="application/json").status_code == 422, body


def test_list_pages_do_not_grow_queries_with_rows(seller, django_assert_max_num_queries):
    for n in range(30):
        make_listing(seller, title=f"Hạt điều loại {n}")
    client = Client()
    with django_assert_max_num_queries(6):
        assert client.get("/cho-nong-san/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(f"{API}/listings", {"limit": 30}).json()["count"] == 30


def test_photos_are_served_only_while_the_listing_is_on_sale(listing, seller):
    from tests.market.test_services import _png

    photo = services.listing_add_photo(acting_user=seller.owner, listing_id=listing.pk,
                                       content=_png(), name="a.png")
    client = Client()
    r = client.get(f"/cho-nong-san/anh/{photo.pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert b"".join(r.streaming_content) == _png()
    services.listing_withdraw(acting_user=seller.owner, listing_id=listing.pk)
    assert client.get(f"/cho-nong-san/anh/{photo.pk}/").status_code == 404


def test_the_stall_page_registers_and_lists(buyer, commune, officer):
    client = signed_in(buyer)
    assert "Đăng ký bán hàng" in client.get("/cho-nong-san/ban-hang/").content.decode()
    client.post("/cho-nong-san/ban-hang/dang-ky/", {
        "name": "Hộ Lê Thị D", "kind": "household", "commune_code": commune.code,
        "registration_number": "44A8123456"})
    from tinhso.market.models import Listing, Seller

    seller = Seller.objects.get(owner=buyer)
    client.post("/cho-nong-san/ban-hang/them/", {"title": "Tiêu đen", "crop": "pepper",
                                                 "unit": "kg", "price_vnd": "150000",
                                                 "stock": "40"})
    listing = Listing.objects.get(seller=seller)
    r = client.post("/cho-nong-san/ban-hang/dang-ban/", {"listing_id": str(listing.pk)},
                    follow=True)
    assert "chưa được Sở Nông nghiệp xác minh" in r.content.decode()
    services.seller_verify(acting_user=officer, seller=seller)
    client.post("/cho-nong-san/ban-hang/dang-ban/", {"listing_id": str(listing.pk)})
    listing.refresh_from_db()
    assert listing.status == "published"
    assert "Tiêu đen" in client.get("/cho-nong-san/ban-hang/").content.decode()
