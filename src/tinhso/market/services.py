"""Writes of the marketplace other than orders (``orders.py``) and payments (``payments.py``):
sellers and their verification, certificates, listings and photos, reviews, reports, supply and
demand posts, the price bulletin.

Every service: keyword-only arguments, an acting user, one transaction; the audit row (or the
outbox event) is written in that transaction; bad input changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.accounts.models import AuditLog
from tinhso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tinhso.core.scoping import is_signed_in
from tinhso.core.text import fold, nfc
from tinhso.market.figures import listings_counted
from tinhso.market.models import (
    COMMODITY_UNITS,
    MARKETS,
    Certificate,
    CertificateKind,
    Commodity,
    Crop,
    Listing,
    ListingPhoto,
    ListingStatus,
    Order,
    OrderStatus,
    Post,
    PostKind,
    PriceQuote,
    Report,
    ReportReason,
    ReportStatus,
    Review,
    Seller,
    SellerKind,
    SellerStatus,
)
from tinhso.market.permissions import is_market_officer, require_market_officer

MAX_PRICE_VND = 10_000_000_000  # per unit: far above any farm product
MAX_STOCK = 100_000_000
MAX_PHOTOS = 8
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png"}
_REG_NUMBER = re.compile(r"^[0-9A-Za-z./-]{4,30}$")
_PHONE = re.compile(r"^\+?[0-9 .-]{8,20}$")


# --- helpers ----------------------------------------------------------------------------------

def now() -> dt.datetime:
    return timezone.now()


def text(value: Any, field: str, max_len: int, required: bool = True) -> str:
    cleaned = nfc(value if isinstance(value, str) else "").strip()
    if (required and not cleaned) or len(cleaned) > max_len:
        raise ValidationFailed(
            "INVALID_FIELD", f"Trường «{field}» không được để trống và tối đa {max_len} ký tự.",
            f"The field {field!r} must not be empty and has at most {max_len} characters.",
            {"field": field})
    return cleaned


def choice(value: Any, field: str, allowed: list[str]) -> str:
    if value not in allowed:
        raise ValidationFailed("INVALID_FIELD", f"Giá trị của «{field}» không hợp lệ.",
                               f"Invalid value for {field!r}.",
                               {"field": field, "allowed": allowed})
    return str(value)


def whole(value: Any, field: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValidationFailed("INVALID_FIELD", f"«{field}» phải là số nguyên từ {low} đến {high}.",
                               f"{field!r} must be a whole number from {low} to {high}.",
                               {"field": field, "min": low, "max": high})
    return value


def phone(value: Any, field: str = "phone", required: bool = False) -> str:
    cleaned = text(value, field, 20, required=required)
    if cleaned and not _PHONE.match(cleaned):
        raise ValidationFailed("INVALID_PHONE", "Số điện thoại không hợp lệ.",
                               "Invalid phone number.", {"field": field})
    return cleaned


def audit(actor: Any, action: str, obj: Any, data: dict[str, Any]) -> None:
    AuditLog.objects.create(actor=actor if getattr(actor, "pk", None) else None,
                            action=action, object_type=obj._meta.label_lower,
                            object_id=str(obj.pk), data=data)


def publish(type_: str, aggregate_type: str, aggregate_id: int, actor: Any,
            payload: dict[str, Any], at: dt.datetime) -> None:
    from tinhso.outbox.services import event_publish

    event_publish(type=type_, aggregate_type=aggregate_type, aggregate_id=aggregate_id,
                  agency_id=None, actor_id=getattr(actor, "pk", None), occurred_at=at,
                  payload={**payload, "at": at.isoformat()})


def _require_signed_in(user: Any) -> None:
    if not is_signed_in(user):
        raise PermissionDenied({"reason": "sign in first"})


def _commune(code: str | None, field: str = "commune_code", required: bool = True) -> Any:
    from tinhso.units.models import AdminUnit, Level

    if not code and not required:
        return None
    unit = (AdminUnit.objects.filter(code=code or "", level=Level.COMMUNE)
            .order_by("structure").first() if isinstance(code, str) else None)
    if unit is None:
        raise ValidationFailed("UNKNOWN_COMMUNE", "Không tìm thấy xã, phường với mã này.",
                               "No commune has this code.", {"field": field, "code": code})
    return unit


# --- GTIN (GS1 General Specifications §7.9: mod-10 check digit) -------------------------------

def gtin_check_digit(body: str) -> int:
    """Check digit of a GTIN whose other digits are ``body`` (weights 3,1,… from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin14(value: str) -> bool:
    return (len(value) == 14 and value.isdigit()
            and gtin_check_digit(value[:13]) == int(value[13]))


# GS1 AI (10) batch/lot: up to 20 characters of the GS1 "CSET 82" set.
_LOT = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")


def check_lot_link(gtin: str, lot: str) -> tuple[str, str]:
    gtin, lot = (gtin or "").strip(), (lot or "").strip()
    if not gtin and not lot:
        return "", ""
    if not is_valid_gtin14(gtin):
        raise ValidationFailed("INVALID_GTIN",
                               "GTIN phải gồm 14 chữ số với số kiểm tra đúng (chuẩn GS1).",
                               "The GTIN must be 14 digits with a valid GS1 check digit.",
                               {"field": "gtin"})
    if not _LOT.match(lot):
        raise ValidationFailed("INVALID_LOT",
                               "Số lô gồm 1–20 ký tự (chữ, số, dấu theo chuẩn GS1).",
                               "The lot has 1–20 characters of the GS1 character set.",
                               {"field": "lot"})
    return gtin, lot


# --- sellers ----------------------------------------------------------------------------------

@transaction.atomic
def seller_register(*, acting_user: Any, name: str, kind: str, commune_code: str,
                    registration_number: str, address: str = "", phone_number: str = "",
                    description: str = "") -> Seller:
    """An account opens its seller profile; it sells only once a market officer verified it."""
    _require_signed_in(acting_user)
    if getattr(acting_user, "is_official", False):
        raise PermissionDenied({"reason": "official accounts do not sell"})
    if Seller.objects.filter(owner=acting_user).exists():
        raise Conflict("SELLER_EXISTS", "Tài khoản này đã đăng ký người bán.",
                       "This account already has a seller profile.")
    reg = text(registration_number, "registration_number", 30)
    if not _REG_NUMBER.match(reg):
        raise ValidationFailed("INVALID_REGISTRATION_NUMBER",
                               "Số đăng ký kinh doanh không hợp lệ.",
                               "Invalid business registration number.",
                               {"field": "registration_number"})
    name = text(name, "name", 200)
    seller = Seller.objects.create(
        owner=acting_user, name=name, kind=choice(kind, "kind", list(SellerKind.values)),
        commune=_commune(commune_code), address=text(address, "address", 255, required=False),
        phone=phone(phone_number, "phone_number"), registration_number=reg,
        description=text(description, "description", 5000, required=False),
        search_text=fold(name)[:400], created_at=now())
    audit(acting_user, "market_seller_registered", seller, {"registration_number": reg})
    return seller


@transaction.atomic
def seller_verify(*, acting_user: Any, seller: Seller, note: str = "") -> Seller:
    """A market officer checked the registration (and certificates): the seller may sell."""
    require_market_officer(acting_user)
    seller = Seller.objects.select_for_update().get(pk=seller.pk)
    if seller.status != SellerStatus.PENDING:
        raise Conflict("SELLER_NOT_PENDING", "Người bán không ở trạng thái chờ xác minh.",
                       "The seller is not awaiting verification.", {"status": seller.status})
    at = now()
    seller.status = SellerStatus.VERIFIED
    seller.verified_at, seller.verified_by = at, acting_user
    seller.status_note = text(note, "note", 2000, required=False)
    seller.save(update_fields=["status", "verified_at", "verified_by", "status_note"])
    Certificate.objects.filter(seller=seller, verified_at__isnull=True).update(
        verified_at=at, verified_by=acting_user)
    audit(acting_user, "market_seller_verified", seller, {"note": seller.status_note})
    publish("market.seller_verified", "market_seller", seller.pk, acting_user,
            {"seller_id": seller.pk, "kind": seller.kind, "commune_code": seller.commune.code,
             "status": seller.status}, at)
    return seller


@transaction.atomic
def seller_suspend(*, acting_user: Any, seller: Seller, reason: str) -> Seller:
    require_market_officer(acting_user)
    reason = text(reason, "reason", 2000)
    seller = Seller.objects.select_for_update().get(pk=seller.pk)
    if seller.status == SellerStatus.SUSPENDED:
        return seller
    seller.status, seller.status_note = SellerStatus.SUSPENDED, reason
    seller.save(update_fields=["status", "status_note"])
    on_sale = list(Listing.objects.select_for_update().filter(
        seller=seller, status=ListingStatus.PUBLISHED).values_list("pk", "commune_id", "crop"))
    Listing.objects.filter(pk__in=[pk for pk, _, _ in on_sale]).update(
        status=ListingStatus.HIDDEN)
    listings_counted([(commune_id, crop) for _, commune_id, crop in on_sale], -1)
    audit(acting_user, "market_seller_suspended", seller, {"reason": reason})
    return seller


def _own_seller(user: Any) -> Seller:
    _require_signed_in(user)
    seller = Seller.objects.filter(owner=user).first()
    if seller is None:
        raise NotFound("Tài khoản chưa đăng ký người bán.", "No seller profile for this account.",
                       code="NO_SELLER")
    return seller


@transaction.atomic
def certificate_add(*, acting_user: Any, kind: str, decision_number: str,
                    issued_on: dt.date, expires_on: dt.date, stars: int | None = None,
                    product: str = "", issued_by: str = "") -> Certificate:
    """The seller declares a certificate; a market officer verifies it (with the seller or on
    its own)."""
    seller = _own_seller(acting_user)
    kind = choice(kind, "kind", list(CertificateKind.values))
    if kind == CertificateKind.OCOP:
        stars = whole(stars, "stars", 3, 5)
    elif stars is not None:
        raise ValidationFailed("STARS_ONLY_FOR_OCOP", "Chỉ chứng nhận OCOP mới có số sao.",
                               "Only OCOP certificates have stars.", {"field": "stars"})
    if not isinstance(issued_on, dt.date) or not isinstance(expires_on, dt.date) \
            or expires_on <= issued_on:
        raise ValidationFailed("INVALID_DATES", "Ngày hết hạn phải sau ngày cấp.",
                               "The expiry date must be after the issue date.",
                               {"field": "expires_on"})
    cert = Certificate.objects.create(
        seller=seller, kind=kind, stars=stars, decision_number=text(
            decision_number, "decision_number", 60), issued_on=issued_on, expires_on=expires_on,
        product=text(product, "product", 200, required=False),
        issued_by=text(issued_by, "issued_by", 200, required=False))
    audit(acting_user, "market_certificate_added", cert, {"kind": kind, "stars": stars})
    return cert


@transaction.atomic
def certificate_verify(*, acting_user: Any, certificate: Certificate) -> Certificate:
    require_market_officer(acting_user)
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.verified_at is None:
        certificate.verified_at, certificate.verified_by = now(), acting_user
        certificate.save(update_fields=["verified_at", "verified_by"])
        audit(acting_user, "market_certificate_verified", certificate, {})
    return certificate


# --- listings ---------------------------------------------------------------------------------

def _listing_search_text(title: str, seller: Seller, crop: str) -> str:
    return fold(f"{title} {seller.name} {Crop(crop).label}")[:600]


@transaction.atomic
def listing_create(*, acting_user: Any, title: str, crop: str, unit: str, price_vnd: int,
                   stock: int, description: str = "", gtin: str = "", lot: str = "") -> Listing:
    seller = _own_seller(acting_user)
    title = text(title, "title", 200)
    crop = choice(crop, "crop", list(Crop.values))
    gtin, lot = check_lot_link(gtin, lot)
    listing = Listing.objects.create(
        seller=seller, title=title, crop=crop, unit=text(unit, "unit", 20),
        price_vnd=whole(price_vnd, "price_vnd", 1, MAX_PRICE_VND),
        stock=whole(stock, "stock", 0, MAX_STOCK), commune_id=seller.commune_id,
        description=text(description, "description", 5000, required=False), gtin=gtin, lot=lot,
        search_text=_listing_search_text(title, seller, crop), created_at=now())
    audit(acting_user, "market_listing_created", listing, {"price_vnd": listing.price_vnd})
    return listing


def _own_listing(user: Any, listing_id: int, *, lock: bool = False) -> Listing:
    seller = _own_seller(user)
    qs = Listing.objects.select_for_update() if lock else Listing.objects
    listing = qs.filter(pk=listing_id, seller=seller).first()
    if listing is None:
        raise NotFound("Không tìm thấy sản phẩm.", "Listing not found.", {"id": listing_id})
    return listing


@transaction.atomic
def listing_update(*, acting_user: Any, listing_id: int, price_vnd: int | None = None,
                   stock: int | None = None) -> Listing:
    """Change price or stock (stock set here is what is on hand, open orders already took
    theirs)."""
    listing = _own_listing(acting_user, listing_id, lock=True)
    fields = []
    if price_vnd is not None:
        listing.price_vnd = whole(price_vnd, "price_vnd", 1, MAX_PRICE_VND)
        fields.append("price_vnd")
    if stock is not None:
        listing.stock = whole(stock, "stock", 0, MAX_STOCK)
        fields.append("stock")
    if fields:
        listing.version += 1
        listing.save(update_fields=[*fields, "version"])
        audit(acting_user, "market_listing_updated", listing,
              {"price_vnd": listing.price_vnd, "stock": listing.stock})
    return listing


@transaction.atomic
def listing_publish(*, acting_user: Any, listing_id: int) -> Listing:
    """Offer the listing for sale: only verified sellers publish."""
    listing = _own_listing(acting_user, listing_id, lock=True)
    seller = listing.seller
    if seller.status != SellerStatus.VERIFIED:
        raise Conflict("SELLER_NOT_VERIFIED",
                       "Người bán chưa được Sở Nông nghiệp xác minh nên chưa thể đăng bán.",
                       "The seller is not verified by the province yet and cannot publish.",
                       {"seller_status": seller.status})
    if listing.status not in (ListingStatus.DRAFT, ListingStatus.WITHDRAWN):
        raise Conflict("LISTING_NOT_PUBLISHABLE", "Sản phẩm này không thể đăng bán lại.",
                       "This listing cannot be published.", {"status": listing.status})
    at = now()
    listing.status, listing.published_at = ListingStatus.PUBLISHED, at
    listing.version += 1
    listing.save(update_fields=["status", "published_at", "version"])
    listings_counted([(listing.commune_id, listing.crop)], +1)
    audit(acting_user, "market_listing_published", listing, {})
    publish("market.listing_published", "market_listing", listing.pk, acting_user,
            {"listing_id": listing.pk, "seller_id": seller.pk, "crop": listing.crop,
             "price_vnd": listing.price_vnd, "gtin": listing.gtin, "lot": listing.lot}, at)
    return listing


@transaction.atomic
def listing_withdraw(*, acting_user: Any, listing_id: int) -> Listing:
    listing = _own_listing(acting_user, listing_id, lock=True)
    if listing.status == ListingStatus.PUBLISHED:
        listing.status = ListingStatus.WITHDRAWN
        listing.version += 1
        listing.save(update_fields=["status", "version"])
        listings_counted([(listing.commune_id, listing.crop)], -1)
        audit(acting_user, "market_listing_withdrawn", listing, {})
    return listing


def _sniff_image(content: bytes) -> str | None:
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


@transaction.atomic
def listing_add_photo(*, acting_user: Any, listing_id: int, content: bytes,
                      name: str = "") -> ListingPhoto:
    """A JPEG or PNG photo (type checked by content, size and pixels bounded), stored in the
    content-addressed store (core.blobs)."""
    from tinhso.core import blobs
    from tinhso.dossiers.upload_content import check_image_size, inspect

    listing = _own_listing(acting_user, listing_id, lock=True)
    limit = int(settings.TINHSO_MARKET_PHOTO_MAX_BYTES)
    if len(content) > limit:
        raise ValidationFailed("FILE_TOO_LARGE", f"Ảnh tối đa {limit // 1024} KB.",
                               f"A photo has at most {limit} bytes.",
                               {"size": len(content), "max": limit})
    content_type = _sniff_image(content)
    if content_type is None:
        raise ValidationFailed("FILE_TYPE_NOT_ALLOWED", "Chỉ nhận ảnh JPEG hoặc PNG.",
                               "Only JPEG or PNG photos are accepted.", {"file": name[:100]})
    inspect(content, content_type, name=name[:100] or "photo", component="market_photo")
    check_image_size(content, content_type, name=name[:100] or "photo", component="market_photo")
    count = listing.photos.count()
    if count >= MAX_PHOTOS:
        raise Conflict("TOO_MANY_PHOTOS", f"Mỗi sản phẩm tối đa {MAX_PHOTOS} ảnh.",
                       f"A listing has at most {MAX_PHOTOS} photos.")
    blob = blobs.put(content, area="market", suffix=PHOTO_TYPES[content_type])
    photo = ListingPhoto.objects.create(listing=listing, file=blob.name, sha256=blob.sha256,
                                        size=blob.size, content_type=content_type,
                                        position=count, uploaded_at=now())
    audit(acting_user, "market_photo_added", photo, {"sha256": blob.sha256})
    return photo


# --- reviews ----------------------------------------------------------------------------------

@transaction.atomic
def review_add(*, acting_user: Any, order: Order, rating: int, comment: str = "") -> Review:
    """Only the buyer of a delivered order reviews it, once."""
    _require_signed_in(acting_user)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.buyer_id != acting_user.pk:
        raise PermissionDenied({"reason": "only the buyer reviews an order"})
    if order.status not in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        raise Conflict("ORDER_NOT_DELIVERED", "Chỉ đánh giá được đơn hàng đã giao.",
                       "Only a delivered order can be reviewed.", {"status": order.status})
    if Review.objects.filter(order=order).exists():
        raise Conflict("ALREADY_REVIEWED", "Bạn đã đánh giá đơn hàng này.",
                       "You have already reviewed this order.")
    review = Review.objects.create(
        order=order, listing_id=order.listing_id, seller_id=order.seller_id, author=acting_user,
        rating=whole(rating, "rating", 1, 5),
        comment=text(comment, "comment", 2000, required=False), created_at=now())
    audit(acting_user, "market_review_added", review, {"rating": review.rating})
    return review


# --- reports ----------------------------------------------------------------------------------

@transaction.atomic
def report_file(*, acting_user: Any, reason: str, listing: Listing | None = None,
                seller: Seller | None = None, detail: str = "") -> Report:
    _require_signed_in(acting_user)
    if listing is None and seller is None:
        raise ValidationFailed("REPORT_TARGET_REQUIRED", "Cần chọn sản phẩm hoặc người bán.",
                               "Name the listing or the seller you report.", {})
    target = listing.seller if listing is not None else seller
    assert target is not None
    report = Report.objects.create(
        seller=target, listing=listing,
        reporter=acting_user, reason=choice(reason, "reason", list(ReportReason.values)),
        detail=text(detail, "detail", 5000, required=False), created_at=now())
    audit(acting_user, "market_report_filed", report, {"reason": report.reason})
    return report


@transaction.atomic
def report_review(*, acting_user: Any, report: Report, uphold: bool, resolution: str) -> Report:
    """A market officer decides: upheld hides the listing (or suspends the seller when the
    report names no listing); dismissed changes nothing else."""
    require_market_officer(acting_user)
    resolution = text(resolution, "resolution", 5000)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.OPEN:
        raise Conflict("REPORT_CLOSED", "Phản ánh này đã được xem xét.",
                       "This report was reviewed already.", {"status": report.status})
    report.status = ReportStatus.UPHELD if uphold else ReportStatus.DISMISSED
    report.reviewed_at, report.reviewed_by, report.resolution = now(), acting_user, resolution
    report.save(update_fields=["status", "reviewed_at", "reviewed_by", "resolution"])
    if uphold:
        if report.listing_id is not None:
            hidden = Listing.objects.select_for_update().get(pk=report.listing_id)
            if hidden.status == ListingStatus.PUBLISHED:
                listings_counted([(hidden.commune_id, hidden.crop)], -1)
            Listing.objects.filter(pk=hidden.pk).update(status=ListingStatus.HIDDEN)
        else:
            seller_suspend(acting_user=acting_user, seller=report.seller, reason=resolution)
    audit(acting_user, "market_report_reviewed", report, {"status": report.status})
    return report


# --- supply and demand posts ------------------------------------------------------------------

POST_MAX_DAYS = 90


@transaction.atomic
def post_create(*, acting_user: Any, kind: str, crop: str, title: str, body: str = "",
                quantity: str = "", commune_code: str | None = None, contact_phone: str = "",
                days: int = 30) -> Post:
    _require_signed_in(acting_user)
    title = text(title, "title", 200)
    at = now()
    post = Post.objects.create(
        author=acting_user, kind=choice(kind, "kind", list(PostKind.values)),
        crop=choice(crop, "crop", list(Crop.values)), title=title,
        body=text(body, "body", 5000, required=False),
        quantity=text(quantity, "quantity", 60, required=False),
        commune=_commune(commune_code, required=False),
        contact_phone=phone(contact_phone, "contact_phone"),
        search_text=fold(title)[:600], created_at=at,
        expires_on=timezone.localdate(at) + dt.timedelta(days=whole(days, "days", 1,
                                                                   POST_MAX_DAYS)))
    audit(acting_user, "market_post_created", post, {"kind": post.kind})
    return post


@transaction.atomic
def post_close(*, acting_user: Any, post: Post) -> Post:
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.author_id != getattr(acting_user, "pk", None) and not is_market_officer(acting_user):
        raise PermissionDenied({"reason": "only the author or a market officer"})
    if post.is_open:
        post.is_open = False
        post.save(update_fields=["is_open"])
        audit(acting_user, "market_post_closed", post, {})
    return post


# --- price bulletin ---------------------------------------------------------------------------

MAX_QUOTE_VND = 10_000_000  # a kilogram of pepper has never cost ten million đồng
MAX_CSV_ROWS = 5000


def _quote_values(day: Any, market: Any, commodity: Any, price_vnd: Any,
                  where: dict[str, Any]) -> tuple[dt.date, str, str, int]:
    if not isinstance(day, dt.date):
        raise ValidationFailed("INVALID_DATE", "Ngày không hợp lệ.", "Invalid date.", where)
    if day > timezone.localdate() + dt.timedelta(days=1):
        raise ValidationFailed("DATE_IN_FUTURE", "Không nhập giá cho ngày chưa tới.",
                               "Prices are not entered for future days.", where)
    if market not in MARKETS:
        raise ValidationFailed("UNKNOWN_MARKET", "Thị trường không có trong danh mục.",
                               "Unknown market.", {**where, "allowed": sorted(MARKETS)})
    if commodity not in COMMODITY_UNITS:
        raise ValidationFailed("UNKNOWN_COMMODITY", "Mặt hàng phải là điều, tiêu hoặc mủ cao su.",
                               "The commodity is cashew, pepper or latex.",
                               {**where, "allowed": list(Commodity.values)})
    if not isinstance(price_vnd, int) or isinstance(price_vnd, bool) \
            or not 0 < price_vnd <= MAX_QUOTE_VND:
        raise ValidationFailed("INVALID_PRICE", f"Giá phải từ 1 đến {MAX_QUOTE_VND:,} đồng.",
                               f"The price must be 1 to {MAX_QUOTE_VND} VND.", where)
    return day, str(market), str(commodity), price_vnd


def _upsert_quote(actor: Any, day: dt.date, market: str, commodity: str, price: int,
                  source: str, at: dt.datetime) -> PriceQuote:
    quote, created = PriceQuote.objects.select_for_update().get_or_create(
        day=day, market=market, commodity=commodity,
        defaults={"price_vnd": price, "source": source, "entered_by": actor, "entered_at": at})
    if not created and quote.price_vnd != price:
        audit(actor, "market_price_corrected", quote, {"from": quote.price_vnd, "to": price})
        quote.price_vnd, quote.source, quote.entered_by, quote.entered_at = price, source, actor, at
        quote.save(update_fields=["price_vnd", "source", "entered_by", "entered_at"])
    return quote


@transaction.atomic
def price_enter(*, acting_user: Any, day: dt.date, market: str, commodity: str,
                price_vnd: int) -> PriceQuote:
    """A market officer enters (or corrects) one price of the bulletin."""
    require_market_officer(acting_user)
    values = _quote_values(day, market, commodity, price_vnd, {"field": "price_vnd"})
    quote = _upsert_quote(acting_user, *values, source="manual", at=now())
    audit(acting_user, "market_price_entered", quote, {"price_vnd": quote.price_vnd})
    return quote


@transaction.atomic
def price_import_csv(*, acting_user: Any, content: str) -> int:
    """Import ``day,market,commodity,price_vnd`` lines (a header line first; ``day`` as
    YYYY-MM-DD or DD/MM/YYYY). All or nothing: the first bad line is reported with its number."""
    require_market_officer(acting_user)
    if not isinstance(content, str) or not content.strip():
        raise ValidationFailed("CSV_EMPTY", "Tệp CSV trống.", "The CSV file is empty.", {})
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:4] != ["day", "market", "commodity", "price_vnd"]:
        raise ValidationFailed("CSV_HEADER", "Dòng đầu phải là: day,market,commodity,price_vnd",
                               "The first line must be: day,market,commodity,price_vnd",
                               {"line": 1})
    at = now()
    count = 0
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = {"line": number}
        if len(row) < 4:
            raise ValidationFailed("CSV_LINE", f"Dòng {number} thiếu cột.",
                                   f"Line {number} has too few columns.", where)
        count += 1
        if count > MAX_CSV_ROWS:
            raise ValidationFailed("CSV_TOO_LONG", f"Tối đa {MAX_CSV_ROWS} dòng mỗi lần nhập.",
                                   f"At most {MAX_CSV_ROWS} lines per import.", where)
        raw_day, market, commodity, raw_price = (c.strip() for c in row[:4])
        day: Any = None
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                day = dt.datetime.strptime(raw_day, fmt).date()
                break
            except ValueError:
                continue
        digits = raw_price.replace(".", "").replace(",", "").replace(" ", "")
        price: Any = int(digits) if digits.isdigit() else None
        try:
            values = _quote_values(day, market, commodity, price, where)
        except ValidationFailed as exc:
            exc.message_vi = f"Dòng {number}: {exc.message_vi}"
            exc.message_en = f"Line {number}: {exc.message_en}"
            raise
        _upsert_quote(acting_user, *values, source="csv", at=at)
    if count == 0:
        raise ValidationFailed("CSV_EMPTY", "Tệp CSV không có dòng giá nào.",
                               "The CSV file has no price lines.", {})
    AuditLog.objects.create(actor=acting_user, action="market_prices_imported",
                            object_type="market.pricequote", object_id="csv",
                            data={"rows": count})
    return count
