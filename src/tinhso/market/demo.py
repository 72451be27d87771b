"""Demo marketplace at the seeds' scale: about 100 sellers and 400 products across Bình Phước's
communes, a quarter of them tied to a traced lot (GTIN + lot), orders in every state, reviews,
supply and demand posts and 120 days of the price bulletin. Deterministic (seeded), idempotent
(does nothing when sellers exist), bulk inserts (no outbox events, like the dossier generator).

Demo GTINs (docs/market.md): GTIN-14 = ``0`` + GTIN-13 ``893`` (GS1 Vietnam) + a made-up
5-digit company number ``00001``–``00100`` (the seller's index) + a 4-digit item number + the
check digit, i.e. ``0893CCCCCIIIIK``; lots ``BP{yy}-{crop}-{nnnn}``.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tinhso.accounts.models import AccountKind, User
from tinhso.core.text import fold
from tinhso.market.models import (
    MARKETS,
    Certificate,
    Commodity,
    Crop,
    Listing,
    ListingStatus,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
    Post,
    PriceQuote,
    Review,
    Seller,
    SellerKind,
    SellerStatus,
)
from tinhso.market.services import gtin_check_digit

AGRICULTURE_CODE = "000.00.15.H10"
AGRICULTURE_NAME = "Sở Nông nghiệp và Phát triển nông thôn tỉnh Bình Phước"
OFFICER_USERNAME = "nongnghiep"
SELLER_USERNAME = "nguoiban"
N_SELLERS = 100
N_LISTINGS = 400
N_ORDERS = 300
PRICE_DAYS = 120

# (title, unit, low, high đồng per unit) per crop: plausible prices of 2025–2026.
PRODUCTS: dict[str, list[tuple[str, str, int, int]]] = {
    Crop.CASHEW: [("Hạt điều thô", "kg", 30_000, 36_000),
                  ("Hạt điều rang muối", "kg", 250_000, 380_000),
                  ("Nhân điều trắng W320", "kg", 180_000, 250_000),
                  ("Nhân điều vỡ", "kg", 120_000, 160_000),
                  ("Hạt điều rang củi nguyên vỏ lụa", "hộp 500 g", 150_000, 210_000)],
    Crop.PEPPER: [("Hồ tiêu đen", "kg", 138_000, 160_000),
                  ("Tiêu sọ (tiêu trắng)", "kg", 195_000, 240_000),
                  ("Tiêu đỏ chín cây", "kg", 350_000, 480_000),
                  ("Tiêu xanh ngâm", "hũ 500 g", 60_000, 95_000)],
    Crop.RUBBER: [("Mủ cao su nước", "kg", 13_000, 16_000),
                  ("Mủ tờ RSS3", "kg", 45_000, 55_000),
                  ("Mủ đông chén", "kg", 14_000, 19_000),
                  ("Gỗ cao su thanh lý", "m³", 1_400_000, 2_100_000)],
    Crop.OTHER: [("Cà phê Robusta nhân", "kg", 110_000, 130_000),
                 ("Sầu riêng Ri6", "kg", 55_000, 90_000),
                 ("Mật ong hoa điều", "lít", 250_000, 350_000),
                 ("Hạt macca sấy nứt vỏ", "kg", 220_000, 320_000),
                 ("Bơ sáp", "kg", 30_000, 50_000)],
}
CROP_WEIGHTS = {Crop.CASHEW: 40, Crop.PEPPER: 25, Crop.RUBBER: 20, Crop.OTHER: 15}
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Điểu",
          "Thị"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Long", "Mai",
         "Nam", "Phúc", "Sơn", "Tâm", "Thảo", "Tuấn", "Vy", "Xuân", "Yến"]
# Typical starting prices of the bulletin: raw cashew and pepper per kg, latex per degree TSC.
PRICE_START = {Commodity.CASHEW: 33_000, Commodity.PEPPER: 148_000, Commodity.LATEX: 420}
PRICE_MARKETS = ["dong-xoai", "binh-long", "phuoc-long", "bu-dang", "loc-ninh", "tp-hcm"]


def demo_gtin(company: int, item: int) -> str:
    body = f"0893{company:05d}{item:04d}"
    return body + str(gtin_check_digit(body))


def _communes() -> list[Any]:
    from tinhso.units.demo import LEGACY_PROVINCE_CODE
    from tinhso.units.models import AdminUnit, Level, Structure

    return list(AdminUnit.objects.filter(structure=Structure.LEGACY_3, level=Level.COMMUNE,
                                         parent__parent__code=LEGACY_PROVINCE_CODE)
                .order_by("code"))


def _agriculture() -> tuple[Any, User]:
    from tinhso.accounts.demo import DEMO_PASSWORD
    from tinhso.units.demo import LEGACY_PROVINCE_CODE, PROVINCE_COMMITTEE_CODE
    from tinhso.units.models import AdminUnit, Agency, AgencyKind, Structure

    province = AdminUnit.objects.get(structure=Structure.LEGACY_3, code=LEGACY_PROVINCE_CODE)
    agency, _ = Agency.objects.get_or_create(code=AGRICULTURE_CODE, defaults={
        "name": AGRICULTURE_NAME, "short_name": "Sở NN&PTNT", "kind": AgencyKind.DEPARTMENT,
        "unit": province, "has_one_stop_desk": False,
        "parent": Agency.objects.filter(code=PROVINCE_COMMITTEE_CODE).first()})
    officer = User.objects.filter(username=OFFICER_USERNAME).first()
    if officer is None:
        officer = User.objects.create(
            username=OFFICER_USERNAME, kind=AccountKind.OFFICIAL, agency=agency,
            full_name="Lê Văn Nông", email=f"{OFFICER_USERNAME}@demo.tinhso.local",
            password=make_password(DEMO_PASSWORD))
    return agency, officer


def _seller_name(rng: random.Random, kind: str, commune: Any, index: int) -> str:
    place = commune.name
    if kind == SellerKind.ENTERPRISE:
        trade = rng.choice(["Chế biến Điều", "Nông sản", "Hồ tiêu", "Cao su", "Thực phẩm"])
        return f"Công ty TNHH {trade} {place} {index}"
    if kind == SellerKind.COOPERATIVE:
        trade = rng.choice(["Nông nghiệp", "Điều", "Hồ tiêu", "Dịch vụ nông nghiệp"])
        return f"HTX {trade} {place}"
    return f"Hộ {rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


@transaction.atomic
def load_market_demo(*, seed: int = 2019) -> dict[str, int]:
    """Create the demo marketplace; nothing when sellers exist already."""
    if Seller.objects.exists():
        return {}
    from tinhso.accounts.demo import DEMO_PASSWORD

    rng = random.Random(seed)
    communes = _communes()
    if not communes:
        return {}
    _agency, officer = _agriculture()
    now = timezone.now()
    today = timezone.localdate()
    unusable = make_password(None)
    kinds = ([SellerKind.ENTERPRISE] * 15 + [SellerKind.COOPERATIVE] * 25
             + [SellerKind.HOUSEHOLD] * 60)
    owners: list[User] = []
    for i in range(N_SELLERS):
        username = SELLER_USERNAME if i == 0 else f"nguoiban{i:03d}"
        kind = kinds[i]
        owners.append(User(
            username=username, kind=(AccountKind.CITIZEN if kind == SellerKind.HOUSEHOLD
                                     else AccountKind.ORGANISATION),
            password=make_password(DEMO_PASSWORD) if i == 0 else unusable,
            email=f"{username}@demo.tinhso.local"))
    User.objects.bulk_create(owners)
    owners = list(User.objects.filter(username__in=[u.username for u in owners])
                  .order_by("username"))
    sellers: list[Seller] = []
    for i, owner in enumerate(owners):
        kind = kinds[i]
        commune = rng.choice(communes)
        name = _seller_name(rng, kind, commune, i + 1)
        verified = i < 92  # a few wait for the department
        created = now - dt.timedelta(days=rng.randint(100, 700))
        sellers.append(Seller(
            owner=owner, name=name, kind=kind, commune=commune,
            address=f"Ấp {rng.randint(1, 9)}, {commune.unit_type.lower()} {commune.name}",
            phone=f"09{rng.randint(10_000_000, 99_999_999)}",
            registration_number=(f"38{rng.randint(10_000_000, 99_999_999)}"
                                 if kind != SellerKind.HOUSEHOLD
                                 else f"44A8{rng.randint(100_000, 999_999)}"),
            search_text=fold(name)[:400],
            status=SellerStatus.VERIFIED if verified else SellerStatus.PENDING,
            verified_at=created + dt.timedelta(days=5) if verified else None,
            verified_by=officer if verified else None, created_at=created))
    Seller.objects.bulk_create(sellers)
    sellers = list(Seller.objects.select_related("commune").order_by("id"))
    certificates = []
    for seller in sellers:
        verified = seller.status == SellerStatus.VERIFIED
        if rng.random() < 0.45:
            issued = today - dt.timedelta(days=rng.randint(30, 700))
            certificates.append(Certificate(
                seller=seller, kind="vietgap", decision_number=f"VG-{rng.randint(100, 999)}"
                f"/{issued.year}", issued_by="Tổ chức chứng nhận VietGAP được chỉ định",
                issued_on=issued, expires_on=issued + dt.timedelta(days=3 * 365),
                verified_at=seller.verified_at, verified_by=seller.verified_by if verified
                else None))
        if seller.kind != SellerKind.HOUSEHOLD and rng.random() < 0.35:
            issued = today - dt.timedelta(days=rng.randint(30, 700))
            certificates.append(Certificate(
                seller=seller, kind="ocop", stars=rng.choice([3, 3, 3, 4, 4, 5]),
                product="Hạt điều rang muối" if rng.random() < 0.6 else "Hồ tiêu đen",
                decision_number=f"{rng.randint(100, 2999)}/QĐ-UBND",
                issued_by="UBND tỉnh Bình Phước", issued_on=issued,
                expires_on=issued + dt.timedelta(days=3 * 365),
                verified_at=seller.verified_at,
                verified_by=seller.verified_by if verified else None))
    Certificate.objects.bulk_create(certificates)

    crops = list(CROP_WEIGHTS)
    weights = [CROP_WEIGHTS[c] for c in crops]
    listings: list[Listing] = []
    items: dict[int, int] = {}
    for n in range(N_LISTINGS):
        seller = sellers[n % len(sellers)] if n < len(sellers) else rng.choice(sellers)
        crop = rng.choices(crops, weights)[0]
        title, unit, low, high = rng.choice(PRODUCTS[crop])
        price = round(rng.randint(low, high), -3 if high >= 10_000 else -2)
        traced = crop != Crop.OTHER and rng.random() < 0.3
        gtin = lot = ""
        if traced:
            index = sellers.index(seller) + 1
            items[index] = items.get(index, 0) + 1
            gtin = demo_gtin(index, items[index])
            lot = f"BP{today:%y}-{crop[:3].upper()}-{n:04d}"
        published = seller.status == SellerStatus.VERIFIED and rng.random() < 0.93
        listings.append(Listing(
            seller=seller, title=title, description=f"{title} của {seller.name}, "
            f"{seller.commune.unit_type.lower()} {seller.commune.name}.", crop=crop, unit=unit,
            price_vnd=price, stock=rng.randint(20, 5000), commune=seller.commune, gtin=gtin,
            lot=lot, search_text=fold(f"{title} {seller.name} {Crop(crop).label}")[:600],
            status=ListingStatus.PUBLISHED if published else ListingStatus.DRAFT,
            created_at=seller.created_at + dt.timedelta(days=7),
            published_at=(now - dt.timedelta(days=rng.randint(0, 90), minutes=n))
            if published else None))
    _link_traced_lots(listings)
    Listing.objects.bulk_create(listings)
    on_sale = list(Listing.objects.filter(status=ListingStatus.PUBLISHED).order_by("id"))

    buyers = list(User.objects.filter(username__in=["congdan", "doanhnghiep"]))
    extra = [User(username=f"nguoimua{i:02d}", kind=AccountKind.CITIZEN, password=unusable,
                  email=f"nguoimua{i:02d}@demo.tinhso.local") for i in range(1, 21)]
    User.objects.bulk_create(extra)
    buyers += list(User.objects.filter(username__startswith="nguoimua"))
    final_states = ([OrderStatus.DELIVERED] * 55 + [OrderStatus.SHIPPED] * 10
                    + [OrderStatus.CONFIRMED] * 10 + [OrderStatus.PLACED] * 12
                    + [OrderStatus.CANCELLED] * 10 + [OrderStatus.DISPUTED] * 3)
    orders: list[Order] = []
    taken: dict[int, int] = {}
    for n in range(N_ORDERS):
        listing = rng.choice(on_sale)
        quantity = max(1, min(listing.stock // 10, rng.randint(1, 50)))
        status = rng.choice(final_states)
        placed = now - dt.timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 1440))
        method = PaymentMethod.VNPAY if rng.random() < 0.4 else PaymentMethod.COD
        paid = method == PaymentMethod.VNPAY and status != OrderStatus.PLACED
        orders.append(Order(
            code=f"DH{timezone.localtime(placed):%y%m%d}D{n:05d}",
            buyer=rng.choice(buyers), seller=listing.seller, listing=listing,
            quantity=quantity, unit_price=listing.price_vnd, total=listing.price_vnd * quantity,
            commune=listing.commune, crop=listing.crop, payment_method=method,
            paid_at=placed + dt.timedelta(minutes=5) if paid else None,
            payment_reference=f"{14_000_000 + n}" if paid else "",
            shipping_address="Giao tại kho người mua", buyer_phone="0912345678",
            status=status, placed_at=placed,
            delivered_at=(placed + dt.timedelta(days=3)) if status == OrderStatus.DELIVERED
            else None))
        if status != OrderStatus.CANCELLED:
            taken[listing.pk] = taken.get(listing.pk, 0) + quantity
    Order.objects.bulk_create(orders)
    orders = list(Order.objects.order_by("id"))
    events = []
    for order in orders:
        events.append(OrderEvent(order=order, at=order.placed_at, actor=order.buyer,
                                 action="place", from_status="", to_status="placed",
                                 data={"demo": True}))
        if order.status != OrderStatus.PLACED:
            events.append(OrderEvent(order=order, at=order.placed_at + dt.timedelta(days=1),
                                     action="demo", from_status="placed",
                                     to_status=order.status, data={"demo": True}))
    OrderEvent.objects.bulk_create(events)
    for listing_id, quantity in taken.items():
        Listing.objects.filter(pk=listing_id, stock__gte=quantity).update(
            stock=F("stock") - quantity)
    reviews = [Review(order=o, listing_id=o.listing_id, seller_id=o.seller_id,
                      author_id=o.buyer_id, rating=rng.choice([3, 4, 4, 5, 5, 5]),
                      comment=rng.choice(["Hàng đúng mô tả, giao nhanh.", "Điều giòn, thơm.",
                                          "Tiêu chắc hạt, sẽ mua tiếp.", ""]),
                      created_at=(o.delivered_at or o.placed_at) + dt.timedelta(days=1))
               for o in orders if o.status == OrderStatus.DELIVERED and rng.random() < 0.5]
    Review.objects.bulk_create(reviews)
    # The demo's orders publish no events (bulk): the IOC projection is built from them once.
    from tinhso.market.figures import figures_rebuild

    figures_rebuild()

    posts = []
    for n in range(30):
        post_kind = "supply" if n % 2 else "demand"
        crop = rng.choices(crops, weights)[0]
        product = rng.choice(PRODUCTS[crop])[0]
        amount = rng.choice([2, 5, 10, 20, 50])
        title = (f"Cần bán {amount} tấn {product.lower()}" if post_kind == "supply"
                 else f"Cần mua {amount} tấn {product.lower()}")
        posts.append(Post(
            author=owners[n] if post_kind == "supply" else rng.choice(buyers), kind=post_kind,
            crop=crop,
            title=title, body="Liên hệ để thương lượng giá, giao tại vườn.",
            quantity=f"{amount} tấn", commune=rng.choice(communes),
            contact_phone=f"09{rng.randint(10_000_000, 99_999_999)}",
            search_text=fold(title)[:600], created_at=now - dt.timedelta(days=n),
            expires_on=today + dt.timedelta(days=30 - n % 20)))
    Post.objects.bulk_create(posts)

    quotes = []
    for commodity, start in PRICE_START.items():
        base = float(start)
        for offset in range(PRICE_DAYS, -1, -1):
            day = today - dt.timedelta(days=offset)
            base *= 1 + rng.uniform(-0.012, 0.012)
            for market in PRICE_MARKETS:
                spread = 1.04 if market == "tp-hcm" else 1 + rng.uniform(-0.02, 0.01)
                step = 1 if commodity == Commodity.LATEX else 100
                price = max(step, int(round(base * spread / step) * step))
                quotes.append(PriceQuote(day=day, market=market, commodity=commodity,
                                         price_vnd=price, source="demo", entered_by=officer,
                                         entered_at=now))
    PriceQuote.objects.bulk_create(quotes)
    assert set(PRICE_MARKETS) <= set(MARKETS)
    return {"sellers": len(sellers), "listings": len(listings), "orders": len(orders),
            "prices": len(quotes)}


def _link_traced_lots(listings: list[Any]) -> None:
    """Give the first traced listings the lots the traceability demo really recorded, so their
    QR opens a journey (the other demo GTINs stay unknown to the resolver)."""
    from django.apps import apps

    if not apps.is_installed("tinhso.trace"):
        return
    from tinhso.trace.demo import demo_lots

    traced = [listing for listing in listings if listing.gtin]
    for listing, (gtin, lot) in zip(traced, demo_lots(), strict=False):
        listing.gtin, listing.lot = gtin, lot
