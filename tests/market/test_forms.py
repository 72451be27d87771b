"""The web forms of the stall and of the supply/demand page, through Django's test client:
certificates (VietGAP, OCOP with stars and decision number), listing photos (the upload
content checks), supply and demand posts; CSRF enforced; bad input writes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tinhso.market.models import Certificate, ListingPhoto, Post

pytestmark = pytest.mark.django_db
STALL = "/cho-nong-san/ban-hang/"


def client_for(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (120, 80, 0)).save(out, "PNG")
    return out.getvalue()


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_stall_shows_the_forms_with_csrf_tokens(listing, seller):
    page = client_for(seller.owner).get(STALL).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'accept="image/jpeg,image/png"' in page
    assert "Khai báo chứng nhận" in page and "Số quyết định / số chứng nhận" in page
    assert page.count("csrfmiddlewaretoken") >= 4


def test_a_certificate_form_with_ocop_stars(seller):
    today = dt.date.today()
    form = {"kind": "ocop", "stars": "4", "decision_number": "1234/QĐ-UBND",
            "product": "Hạt điều rang muối", "issued_by": "UBND tỉnh Bình Phước",
            "issued_on": str(today - dt.timedelta(days=30)),
            "expires_on": str(today + dt.timedelta(days=365 * 3))}
    reply = client_for(seller.owner).post(f"{STALL}chung-nhan/", form, follow=True)
    assert "Đã gửi chứng nhận" in messages_of(reply)
    cert = Certificate.objects.get(seller=seller, kind="ocop")
    assert (cert.stars, cert.decision_number, cert.verified_at) == (4, "1234/QĐ-UBND", None)
    # VietGAP with stars, OCOP without, a bad date: refused, nothing written.
    for bad in ({"kind": "vietgap", "stars": "3"}, {"stars": ""}, {"issued_on": "31/02/2026"}):
        reply = client_for(seller.owner).post(f"{STALL}chung-nhan/", {**form, **bad},
                                              follow=True)
        assert "Đã gửi" not in messages_of(reply) and messages_of(reply)
    assert Certificate.objects.filter(seller=seller).count() == 1


def test_a_photo_form_checks_the_content(listing, seller):
    client = client_for(seller.owner)
    reply = client.post(f"{STALL}anh/", {"listing_id": listing.pk,
                                         "file": SimpleUploadedFile("dieu.png", png())},
                        follow=True)
    assert "Đã thêm ảnh" in messages_of(reply)
    photo = ListingPhoto.objects.get(listing=listing)
    assert photo.content_type == "image/png"
    polyglot = b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"
    for name, content in (("trang.html", b"<html><body>x</body></html>"),
                          ("anh.png", polyglot), ("tai-lieu.jpg", b"%PDF-1.4 not an image")):
        reply = client.post(f"{STALL}anh/", {"listing_id": listing.pk,
                                             "file": SimpleUploadedFile(name, content)},
                            follow=True)
        assert "Đã thêm" not in messages_of(reply)
    assert ListingPhoto.objects.filter(listing=listing).count() == 1


def test_someone_elses_listing_takes_no_photo(listing, buyer):
    client_for(buyer).post(f"{STALL}anh/", {"listing_id": listing.pk,
                                            "file": SimpleUploadedFile("x.png", png())})
    assert not ListingPhoto.objects.exists()


def test_a_supply_post_form(buyer, commune):
    client = client_for(buyer)
    page = client.get("/cho-nong-san/cung-cau/").content.decode()
    assert "Đăng tin cần bán, cần mua" in page and 'type="tel"' in page
    reply = client.post("/cho-nong-san/cung-cau/dang-tin/", {
        "kind": "demand", "crop": "pepper", "title": "Cần mua 5 tấn tiêu đen",
        "quantity": "5 tấn", "body": "Giao tại Lộc Ninh", "commune_code": commune.code,
        "contact_phone": "0912345678", "days": "20"}, follow=True)
    assert "Đã đăng tin" in messages_of(reply)
    post = Post.objects.get(author=buyer)
    assert (post.kind, post.crop, post.commune_id) == ("demand", "pepper", commune.pk)
    assert "Cần mua 5 tấn tiêu đen" in reply.content.decode()
    reply = client.post("/cho-nong-san/cung-cau/dang-tin/", {
        "kind": "demand", "crop": "pepper", "title": "Quá hạn", "days": "365"}, follow=True)
    assert "Đã đăng tin" not in messages_of(reply)
    assert Post.objects.count() == 1


def test_forms_need_a_csrf_token_and_an_account(buyer, seller):
    reply = client_for(buyer, csrf=True).post("/cho-nong-san/cung-cau/dang-tin/",
                                              {"kind": "supply", "crop": "cashew",
                                               "title": "Bán điều"})
    assert reply.status_code == 403
    assert client_for(seller.owner, csrf=True).post(
        f"{STALL}chung-nhan/", {"kind": "vietgap"}).status_code == 403
    anonymous = Client().post("/cho-nong-san/cung-cau/dang-tin/",
                              {"kind": "supply", "crop": "cashew", "title": "Bán điều"})
    assert anonymous.status_code == 302 and "/dang-nhap" in anonymous["Location"] or (
        "login" in anonymous["Location"])
    assert not Post.objects.exists() and not Certificate.objects.exists()
