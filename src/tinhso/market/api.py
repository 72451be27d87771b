"""/api/v1/market: the farm marketplace.

Public (no account): listings, sellers, reviews, supply and demand posts, the price bulletin.
Signed in: seller profile, listings and photos, orders and their actions, online payment,
reviews, reports, posts. Market officers: verification, reports, prices. Officials: the IOC
figures.

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import BeforeValidator, StrictBool, model_validator

from tinhso.accounts.permissions import is_active_official
from tinhso.core.errors import PermissionDenied, ValidationFailed
from tinhso.core.paging import bounded_pagination
from tinhso.market import orders, payments, selectors, services
from tinhso.market.models import Listing, Order, Seller

router = Router(tags=["market"])

def _json_integer(value: Any) -> Any:
    """A JSON number with no fraction (``222`` or ``222.0``, as JSON Schema's "integer"); not
    a string or a boolean (pydantic's lax mode would read ``"222"`` and ``true``)."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON integer")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]
CropCode = Literal["cashew", "pepper", "rubber", "other"]
CommodityCode = Literal["cashew", "pepper", "latex"]
MarketCode = Literal["dong-xoai", "binh-long", "phuoc-long", "bu-dang", "loc-ninh", "tp-hcm"]
_TEXT = r"\S"
_MIN_DAY = dt.date(2000, 1, 1)
_MAX_DAY = dt.date(2100, 12, 31)


class MarketCertificateOut(Schema):
    kind: str
    stars: int | None
    product: str
    decision_number: str
    issued_by: str
    issued_on: dt.date
    expires_on: dt.date
    verified: bool


class MarketSellerOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    commune_code: str
    commune: str
    status: str
    verified_at: dt.datetime | None
    certificates: list[MarketCertificateOut]
    rating_average: float | None
    rating_count: int


class MarketListingOut(Schema):
    id: int
    title: str
    description: str
    crop: str
    unit: str
    price_vnd: int
    stock: int
    status: str
    seller_id: int
    seller_name: str
    commune_code: str
    commune: str
    gtin: str
    lot: str
    digital_link: str
    published_at: dt.datetime | None
    photos: list[str]


class MarketReviewOut(Schema):
    rating: int
    comment: str
    created_at: dt.datetime


class MarketPostOut(Schema):
    id: int
    kind: str
    crop: str
    title: str
    body: str
    quantity: str
    commune: str | None
    contact_phone: str
    created_at: dt.datetime
    expires_on: dt.date


class MarketPriceOut(Schema):
    day: dt.date
    market: str
    market_name: str
    commodity: str
    unit: str
    price_vnd: int


class MarketOrderOut(Schema):
    code: str
    listing_id: int
    listing_title: str
    seller_id: int
    seller_name: str
    quantity: int
    unit_price: int
    total: int
    payment_method: str
    paid: bool
    needs_refund: bool
    status: str
    status_label: str
    placed_at: dt.datetime
    delivered_at: dt.datetime | None
    version: int
    allowed_actions: list[str]


class MarketOrderEventOut(Schema):
    at: dt.datetime
    action: str
    from_status: str
    to_status: str
    note: str


class MarketFiguresRowOut(Schema):
    commune_code: str
    commune: str
    crop: str
    sellers: int
    products: int
    orders: int
    turnover: int


class MarketFiguresOut(Schema):
    totals: dict[str, int]
    by_crop: dict[str, dict[str, int]]
    rows: list[MarketFiguresRowOut]


class MarketSellerIn(Schema):
    name: str = Field(..., min_length=1, max_length=200, json_schema_extra={"pattern": _TEXT})
    kind: Literal["enterprise", "cooperative", "household"]
    commune_code: str = Field(..., min_length=1, max_length=10)
    registration_number: str = Field(..., pattern=r"^[0-9A-Za-z./-]{4,30}$")
    address: str = Field("", max_length=255)
    phone_number: str = Field("", pattern=r"^(\+?[0-9 .-]{8,20})?$")
    description: str = Field("", max_length=5000)


class MarketCertificateIn(Schema):
    kind: Literal["vietgap", "ocop", "organic", "other"]
    stars: Annotated[int, Field(ge=3, le=5), BeforeValidator(_json_integer)] | None = None
    decision_number: str = Field(..., min_length=1, max_length=60,
                                 json_schema_extra={"pattern": _TEXT})
    issued_on: dt.date = Field(..., ge=_MIN_DAY, le=_MAX_DAY)
    expires_on: dt.date = Field(..., ge=_MIN_DAY, le=_MAX_DAY)
    product: str = Field("", max_length=200)
    issued_by: str = Field("", max_length=200)


class MarketListingIn(Schema):
    title: str = Field(..., min_length=1, max_length=200, json_schema_extra={"pattern": _TEXT})
    crop: CropCode
    unit: str = Field(..., min_length=1, max_length=20, json_schema_extra={"pattern": _TEXT})
    price_vnd: JsonInt = Field(..., ge=1, le=services.MAX_PRICE_VND)
    stock: JsonInt = Field(..., ge=0, le=services.MAX_STOCK)
    description: str = Field("", max_length=5000)
    gtin: str = Field("", pattern=r"^([0-9]{14})?$")
    lot: str = Field("", max_length=20)


class MarketObjectBody(Schema):
    """A body whose fields are all optional must still be a JSON object (ninja would read a
    JSON array as an object without those fields)."""

    @model_validator(mode="wrap")
    @classmethod
    def _object_only(cls, value: Any, handler: Any) -> Any:
        raw = getattr(value, "_obj", value)
        if not isinstance(raw, dict):
            raise ValueError("a JSON object is required")
        return handler(value)


class MarketListingPatch(MarketObjectBody):
    price_vnd: Annotated[int, Field(ge=1, le=services.MAX_PRICE_VND),
                         BeforeValidator(_json_integer)] | None = None
    stock: Annotated[int, Field(ge=0, le=services.MAX_STOCK),
                     BeforeValidator(_json_integer)] | None = None


class MarketOrderIn(Schema):
    listing_id: JsonInt = Field(..., ge=1, le=2**62)
    quantity: JsonInt = Field(..., ge=1, le=orders.MAX_QUANTITY)
    shipping_address: str = Field(..., min_length=1, max_length=255,
                                  json_schema_extra={"pattern": _TEXT})
    buyer_phone: str = Field(..., pattern=r"^\+?[0-9 .-]{8,20}$")
    payment_method: Literal["cod", "vnpay"] = "cod"
    note: str = Field("", max_length=500)


class MarketActionIn(MarketObjectBody):
    reason: str = Field("", max_length=2000)


class MarketPayIn(MarketObjectBody):
    locale: Literal["vn", "en"] = "vn"


class MarketRefundIn(MarketObjectBody):
    reason: str = Field(..., min_length=5, max_length=500)
    amount: JsonInt | None = Field(None, ge=1, le=100_000_000_000)


class MarketRefundOut(Schema):
    amount: int
    full: bool
    reason: str
    status: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    response_code: str


class MarketPayOut(Schema):
    payment_url: str
    txn_ref: str


class MarketReviewIn(Schema):
    rating: JsonInt = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)


class MarketReportIn(Schema):
    listing_id: Annotated[int, Field(ge=1, le=2**62), BeforeValidator(_json_integer)] | None = None
    seller_id: Annotated[int, Field(ge=1, le=2**62), BeforeValidator(_json_integer)] | None = None
    reason: Literal["fake", "fraud", "price", "certificate", "other"]
    detail: str = Field("", max_length=5000)


class MarketReportOut(Schema):
    id: int
    seller_id: int
    listing_id: int | None
    reason: str
    detail: str
    status: str
    created_at: dt.datetime
    resolution: str


class MarketReportDecisionIn(Schema):
    uphold: StrictBool
    resolution: str = Field(..., min_length=1, max_length=5000,
                            json_schema_extra={"pattern": _TEXT})


class MarketVerifyIn(MarketObjectBody):
    note: str = Field("", max_length=2000)


class MarketPostIn(Schema):
    kind: Literal["supply", "demand"]
    crop: CropCode
    title: str = Field(..., min_length=1, max_length=200, json_schema_extra={"pattern": _TEXT})
    body: str = Field("", max_length=5000)
    quantity: str = Field("", max_length=60)
    commune_code: Annotated[str, Field(max_length=10)] | None = None
    contact_phone: str = Field("", pattern=r"^(\+?[0-9 .-]{8,20})?$")
    days: JsonInt = Field(30, ge=1, le=services.POST_MAX_DAYS)


class MarketPriceIn(Schema):
    day: dt.date = Field(..., ge=_MIN_DAY, le=_MAX_DAY)
    market: MarketCode
    commodity: CommodityCode
    price_vnd: JsonInt = Field(..., ge=1, le=services.MAX_QUOTE_VND)


class MarketPriceImportIn(Schema):
    csv: str = Field(..., min_length=1, max_length=500_000)


class MarketImportOut(Schema):
    imported: int


class MarketListingQuery(Schema):
    q: str = Field("", max_length=200)
    crop: CropCode | None = None
    seller_id: Annotated[int, Field(ge=1, le=2**62)] | None = None


class MarketPostQuery(Schema):
    q: str = Field("", max_length=200)
    kind: Literal["supply", "demand"] | None = None
    crop: CropCode | None = None


class MarketPriceQuery(Schema):
    commodity: CommodityCode | None = None
    market: MarketCode | None = None
    since: Annotated[dt.date, Field(ge=_MIN_DAY, le=_MAX_DAY)] | None = None
    until: Annotated[dt.date, Field(ge=_MIN_DAY, le=_MAX_DAY)] | None = None


# --- serialisers ------------------------------------------------------------------------------

def seller_out(seller: Seller) -> dict[str, Any]:
    rating = selectors.rating_summary(seller)
    return {
        "id": seller.pk, "name": seller.name, "kind": seller.kind,
        "kind_label": seller.get_kind_display(), "commune_code": seller.commune.code,
        "commune": str(seller.commune), "status": seller.status,
        "verified_at": seller.verified_at,
        "certificates": [{"kind": c.kind, "stars": c.stars, "product": c.product,
                          "decision_number": c.decision_number, "issued_by": c.issued_by,
                          "issued_on": c.issued_on, "expires_on": c.expires_on,
                          "verified": c.verified_at is not None}
                         for c in selectors.certificates_public(seller)],
        "rating_average": rating["average"], "rating_count": rating["count"],
    }


def listing_out(listing: Listing, photos: bool = False) -> dict[str, Any]:
    return {
        "id": listing.pk, "title": listing.title, "description": listing.description,
        "crop": listing.crop, "unit": listing.unit, "price_vnd": listing.price_vnd,
        "stock": listing.stock, "status": listing.status, "seller_id": listing.seller_id,
        "seller_name": listing.seller.name, "commune_code": listing.commune.code,
        "commune": str(listing.commune), "gtin": listing.gtin, "lot": listing.lot,
        "digital_link": listing.digital_link, "published_at": listing.published_at,
        "photos": ([f"/cho-nong-san/anh/{p.pk}/" for p in listing.photos.all()]
                   if photos else []),
    }


def order_out(order: Order, user: Any) -> dict[str, Any]:
    return {
        "code": order.code, "listing_id": order.listing_id,
        "listing_title": order.listing.title, "seller_id": order.seller_id,
        "seller_name": order.seller.name, "quantity": order.quantity,
        "unit_price": order.unit_price, "total": order.total,
        "payment_method": order.payment_method, "paid": order.paid_at is not None,
        "needs_refund": order.needs_refund, "status": order.status,
        "status_label": order.get_status_display(), "placed_at": order.placed_at,
        "delivered_at": order.delivered_at, "version": order.version,
        "allowed_actions": orders.allowed_actions(user, order),
    }


class _Lazy:
    """Sliced by the paginator, then serialised."""

    def __init__(self, qs: Any, render: Any) -> None:
        self.qs, self.render = qs, render

    def __len__(self) -> int:
        return int(self.qs.count())

    def count(self) -> int:
        return int(self.qs.count())

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [self.render(x) for x in self.qs[item]]


# --- public -----------------------------------------------------------------------------------

@router.get("/listings", response=list[MarketListingOut], auth=None,
            summary="Sản phẩm đang bán (tìm không dấu)")
@paginate(bounded_pagination(100, default=20))
def listing_list(request: HttpRequest, f: Query[MarketListingQuery]) -> Any:
    return _Lazy(selectors.CountedListings(query=f.q, crop=f.crop, seller_id=f.seller_id),
                 listing_out)


@router.get("/listings/{listing_id}", response=MarketListingOut, auth=None,
            summary="Chi tiết sản phẩm")
def listing_detail(request: HttpRequest, listing_id: int) -> Any:
    return listing_out(selectors.listing_public(listing_id), photos=True)


@router.get("/listings/{listing_id}/reviews", response=list[MarketReviewOut], auth=None,
            summary="Đánh giá của người mua")
@paginate(bounded_pagination(100, default=20))
def listing_reviews(request: HttpRequest,
                    listing_id: int) -> Any:
    listing = selectors.listing_public(listing_id)
    return _Lazy(selectors.reviews_public(listing=listing),
                 lambda r: {"rating": r.rating, "comment": r.comment,
                            "created_at": r.created_at})


@router.get("/sellers/{seller_id}", response=MarketSellerOut, auth=None,
            summary="Người bán đã xác minh")
def seller_detail(request: HttpRequest, seller_id: int) -> Any:
    return seller_out(selectors.seller_public(seller_id))


@router.get("/posts", response=list[MarketPostOut], auth=None, summary="Tin cung – cầu")
@paginate(bounded_pagination(100, default=20))
def post_list(request: HttpRequest, f: Query[MarketPostQuery]) -> Any:
    return _Lazy(selectors.posts_public(query=f.q, kind=f.kind, crop=f.crop), lambda p: {
        "id": p.pk, "kind": p.kind, "crop": p.crop, "title": p.title, "body": p.body,
        "quantity": p.quantity, "commune": str(p.commune) if p.commune_id else None,
        "contact_phone": p.contact_phone, "created_at": p.created_at,
        "expires_on": p.expires_on})


@router.get("/prices", response=list[MarketPriceOut], auth=None,
            summary="Bản tin giá điều, tiêu, mủ cao su")
@paginate(bounded_pagination(500, default=100))
def price_list(request: HttpRequest, f: Query[MarketPriceQuery]) -> Any:
    return _Lazy(selectors.prices(commodity=f.commodity, market=f.market, since=f.since,
                                  until=f.until),
                 lambda q: {"day": q.day, "market": q.market, "market_name": q.market_name,
                            "commodity": q.commodity, "unit": q.unit,
                            "price_vnd": q.price_vnd})


# --- sellers and listings (signed in) ---------------------------------------------------------

@router.post("/sellers", response={201: MarketSellerOut}, summary="Đăng ký người bán")
def seller_register(request: HttpRequest, payload: MarketSellerIn) -> Any:
    seller = services.seller_register(acting_user=request.user, **payload.dict())
    return Status(201, seller_out(seller))


@router.post("/sellers/me/certificates", response={201: MarketCertificateOut},
             summary="Khai báo chứng nhận (VietGAP, OCOP…)")
def certificate_add(request: HttpRequest, payload: MarketCertificateIn) -> Any:
    cert = services.certificate_add(acting_user=request.user, **payload.dict())
    return Status(201, {"kind": cert.kind, "stars": cert.stars, "product": cert.product,
                        "decision_number": cert.decision_number, "issued_by": cert.issued_by,
                        "issued_on": cert.issued_on, "expires_on": cert.expires_on,
                        "verified": False})


@router.post("/sellers/{seller_id}/verify", response=MarketSellerOut,
             summary="Xác minh người bán (Sở Nông nghiệp)")
def seller_verify(request: HttpRequest, payload: MarketVerifyIn,
                  seller_id: int) -> Any:
    seller = selectors.seller_get_for_user(request.user, seller_id)
    return seller_out(services.seller_verify(acting_user=request.user, seller=seller,
                                             note=payload.note))


@router.post("/listings", response={201: MarketListingOut}, summary="Tạo sản phẩm (bản nháp)")
def listing_create(request: HttpRequest, payload: MarketListingIn) -> Any:
    listing = services.listing_create(acting_user=request.user, **payload.dict())
    return Status(201, listing_out(listing))


@router.patch("/listings/{listing_id}", response=MarketListingOut, summary="Sửa giá, số lượng")
def listing_update(request: HttpRequest, payload: MarketListingPatch,
                   listing_id: int) -> Any:
    return listing_out(services.listing_update(acting_user=request.user, listing_id=listing_id,
                                               **payload.dict()))


@router.post("/listings/{listing_id}/publish", response=MarketListingOut, summary="Đăng bán")
def listing_publish(request: HttpRequest, listing_id: int) -> Any:
    return listing_out(services.listing_publish(acting_user=request.user,
                                                listing_id=listing_id))


@router.post("/listings/{listing_id}/withdraw", response=MarketListingOut, summary="Ngừng bán")
def listing_withdraw(request: HttpRequest, listing_id: int) -> Any:
    return listing_out(services.listing_withdraw(acting_user=request.user,
                                                 listing_id=listing_id))


@router.post("/listings/{listing_id}/photos", response={201: dict[str, str]},
             summary="Thêm ảnh sản phẩm (JPEG/PNG)")
def listing_photo(request: HttpRequest, listing_id: int,
                  file: UploadedFile = File(...)) -> Any:  # noqa: B008
    photo = services.listing_add_photo(acting_user=request.user, listing_id=listing_id,
                                       content=file.read(), name=file.name or "")
    return Status(201, {"url": f"/cho-nong-san/anh/{photo.pk}/", "sha256": photo.sha256})


# --- orders -----------------------------------------------------------------------------------

@router.post("/orders", response={201: MarketOrderOut}, summary="Đặt hàng")
def order_place(request: HttpRequest, payload: MarketOrderIn) -> Any:
    order = orders.order_place(acting_user=request.user, **payload.dict())
    return Status(201, order_out(order, request.user))


@router.get("/orders", response=list[MarketOrderOut], summary="Đơn hàng tôi được xem")
@paginate(bounded_pagination(100, default=20))
def order_list(request: HttpRequest,
               status: Literal["placed", "confirmed", "shipped", "delivered", "cancelled",
                               "disputed", "completed"] | None = None) -> Any:
    # Read as the index-ordered halves of "buyer or seller" (decision 0030).
    return _Lazy(selectors.OrderList(request.user, status=status),
                 lambda o: order_out(o, request.user))


@router.get("/orders/{code}", response=MarketOrderOut, summary="Chi tiết đơn hàng")
def order_detail(request: HttpRequest, code: str) -> Any:
    return order_out(selectors.order_get_for_user(request.user, code), request.user)


@router.get("/orders/{code}/events", response=list[MarketOrderEventOut],
            summary="Nhật ký đơn hàng")
def order_events(request: HttpRequest, code: str) -> Any:
    order = selectors.order_get_for_user(request.user, code)
    return [{"at": e.at, "action": e.action, "from_status": e.from_status,
             "to_status": e.to_status, "note": e.note}
            for e in selectors.order_events(request.user, order)]


@router.post("/orders/{code}/actions/{action}", response=MarketOrderOut,
             summary="Chuyển trạng thái đơn hàng")
def order_action(request: HttpRequest, payload: MarketActionIn,
                 code: str,
                 action: Literal["confirm", "ship", "deliver", "cancel", "dispute",
                                 "answer_dispute", "resolve_delivered",
                                 "resolve_cancelled"]) -> Any:
    order = selectors.order_get_for_user(request.user, code)
    order = orders.order_act(acting_user=request.user, order=order, action=action,
                             reason=payload.reason, expected_version=_if_match(request))
    return order_out(selectors.order_get_for_user(request.user, order.code), request.user)


@router.post("/orders/{code}/pay", response=MarketPayOut, summary="Thanh toán trực tuyến (VNPAY)")
def order_pay(request: HttpRequest, payload: MarketPayIn,
              code: str) -> Any:
    order = selectors.order_get_for_user(request.user, code)
    started = payments.market_vnpay_start(acting_user=request.user, order=order,
                                          ip_addr=str(request.META.get("REMOTE_ADDR") or ""),
                                          locale=payload.locale)
    return {"payment_url": started.payment_url, "txn_ref": started.payment.txn_ref}


@router.post("/orders/{code}/refund", response={201: list[MarketRefundOut]},
             summary="Hoàn tiền đơn hàng qua VNPAY (cán bộ quản lý chợ)")
def order_refund(request: HttpRequest, payload: MarketRefundIn, code: str) -> Any:
    """A market officer gives part (``amount``) or all of a paid order's money back; pending
    and succeeded refunds count, so nothing is ever refunded twice (409 ``NOTHING_TO_REFUND``,
    422 ``INVALID_REFUND_AMOUNT`` above what is left)."""
    from tinhso.market.refunds import market_refund

    order = selectors.order_get_for_user(request.user, code)
    done = market_refund(acting_user=request.user, order=order, reason=payload.reason,
                         amount=payload.amount)
    return Status(201, [{"amount": r.amount, "full": r.full, "reason": r.reason,
                         "status": r.status, "requested_at": r.requested_at,
                         "decided_at": r.decided_at, "response_code": r.response_code}
                        for r in done])


@router.post("/orders/{code}/review", response={201: MarketReviewOut},
             summary="Đánh giá đơn hàng đã giao")
def order_review(request: HttpRequest, payload: MarketReviewIn,
                 code: str) -> Any:
    order = selectors.order_get_for_user(request.user, code)
    review = services.review_add(acting_user=request.user, order=order, **payload.dict())
    return Status(201, {"rating": review.rating, "comment": review.comment,
                        "created_at": review.created_at})


# --- reports, posts, prices, figures ----------------------------------------------------------

def report_out(r: Any) -> dict[str, Any]:
    return {"id": r.pk, "seller_id": r.seller_id, "listing_id": r.listing_id,
            "reason": r.reason, "detail": r.detail, "status": r.status,
            "created_at": r.created_at, "resolution": r.resolution}


@router.post("/reports", response={201: MarketReportOut},
             summary="Phản ánh sản phẩm hoặc người bán vi phạm")
def report_file(request: HttpRequest, payload: MarketReportIn) -> Any:
    listing = (selectors.listing_public(payload.listing_id) if payload.listing_id else None)
    seller = (selectors.seller_public(payload.seller_id)
              if payload.seller_id and listing is None else None)
    report = services.report_file(acting_user=request.user, reason=payload.reason,
                                  listing=listing, seller=seller, detail=payload.detail)
    return Status(201, report_out(report))


@router.get("/reports", response=list[MarketReportOut], summary="Phản ánh tôi được xem")
@paginate(bounded_pagination(100, default=20))
def report_list(request: HttpRequest,
                status: Literal["open", "upheld", "dismissed"] | None = None) -> Any:
    return _Lazy(selectors.reports_visible_to(request.user, status), report_out)


@router.post("/reports/{report_id}/review", response=MarketReportOut,
             summary="Xem xét phản ánh (Sở Nông nghiệp)")
def report_review(request: HttpRequest, payload: MarketReportDecisionIn,
                  report_id: int) -> Any:
    report = selectors.report_get_for_user(request.user, report_id)
    return report_out(services.report_review(acting_user=request.user, report=report,
                                             uphold=payload.uphold,
                                             resolution=payload.resolution))


@router.post("/posts", response={201: MarketPostOut}, summary="Đăng tin cung – cầu")
def post_create(request: HttpRequest, payload: MarketPostIn) -> Any:
    p = services.post_create(acting_user=request.user, **payload.dict())
    return Status(201, {"id": p.pk, "kind": p.kind, "crop": p.crop, "title": p.title,
                        "body": p.body, "quantity": p.quantity,
                        "commune": str(p.commune) if p.commune_id else None,
                        "contact_phone": p.contact_phone, "created_at": p.created_at,
                        "expires_on": p.expires_on})


@router.post("/prices", response={201: MarketPriceOut}, summary="Nhập giá trong ngày")
def price_enter(request: HttpRequest, payload: MarketPriceIn) -> Any:
    q = services.price_enter(acting_user=request.user, **payload.dict())
    return Status(201, {"day": q.day, "market": q.market, "market_name": q.market_name,
                        "commodity": q.commodity, "unit": q.unit, "price_vnd": q.price_vnd})


@router.post("/prices/import", response=MarketImportOut, summary="Nhập bản tin giá từ CSV")
def price_import(request: HttpRequest, payload: MarketPriceImportIn) -> Any:
    return {"imported": services.price_import_csv(acting_user=request.user,
                                                  content=payload.csv)}


@router.get("/figures", response=MarketFiguresOut,
            summary="Số liệu chợ nông sản cho IOC (theo xã và cây trồng)")
def figures(request: HttpRequest) -> Any:
    if not is_active_official(request.user):
        raise PermissionDenied({"reason": "officials only"})
    return selectors.market_figures()


def _if_match(request: HttpRequest) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    try:
        return int(raw.strip().strip('"'))
    except ValueError:
        raise ValidationFailed("INVALID_IF_MATCH", "Tiêu đề If-Match phải là số phiên bản.",
                               "If-Match must be a version number.") from None
