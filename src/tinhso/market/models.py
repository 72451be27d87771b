"""The province's farm marketplace (chợ nông sản): sellers verified by the province, product
listings (optionally tied to a traced lot by GTIN + lot), orders with an append-only event log,
payments through the platform's VNPAY channel, reviews, reports, supply and demand posts and the
daily price bulletin of cashew, pepper and latex.

Money is whole đồng (``BigIntegerField``); quantities are whole units of the listing's unit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tinhso.market.querysets import (
    CertificateQuerySet,
    ListingPhotoQuerySet,
    ListingQuerySet,
    MarketPaymentQuerySet,
    MarketRefundQuerySet,
    OrderEventQuerySet,
    OrderQuerySet,
    PostQuerySet,
    ReportQuerySet,
    ReviewQuerySet,
    SellerQuerySet,
)


class SellerKind(models.TextChoices):
    ENTERPRISE = "enterprise", "Doanh nghiệp"
    COOPERATIVE = "cooperative", "Hợp tác xã"
    HOUSEHOLD = "household", "Hộ sản xuất"


class SellerStatus(models.TextChoices):
    PENDING = "pending", "Chờ xác minh"
    VERIFIED = "verified", "Đã xác minh"
    SUSPENDED = "suspended", "Tạm dừng bán"


class Crop(models.TextChoices):
    CASHEW = "cashew", "Điều"
    PEPPER = "pepper", "Hồ tiêu"
    RUBBER = "rubber", "Cao su"
    OTHER = "other", "Nông sản khác"


class CertificateKind(models.TextChoices):
    VIETGAP = "vietgap", "VietGAP"
    OCOP = "ocop", "OCOP"
    ORGANIC = "organic", "Hữu cơ"
    OTHER = "other", "Khác"


class Seller(models.Model):
    owner = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="tài khoản",
                                 on_delete=models.PROTECT, related_name="market_seller")
    name = models.CharField("tên người bán", max_length=200)
    kind = models.CharField("loại", max_length=12, choices=SellerKind.choices)
    commune = models.ForeignKey("units.AdminUnit", verbose_name="xã, phường",
                                on_delete=models.PROTECT, related_name="+")
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    phone = models.CharField("điện thoại", max_length=20, blank=True)
    # Enterprise/co-operative registration or household business registration number.
    registration_number = models.CharField("số đăng ký kinh doanh", max_length=30)
    description = models.TextField("giới thiệu", blank=True)
    search_text = models.CharField(max_length=400, editable=False, default="")
    status = models.CharField("trạng thái", max_length=12, choices=SellerStatus.choices,
                              default=SellerStatus.PENDING)
    verified_at = models.DateTimeField("ngày xác minh", null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    status_note = models.TextField("ghi chú trạng thái", blank=True)
    created_at = models.DateTimeField("ngày đăng ký")
    objects = SellerQuerySet.as_manager()

    class Meta:
        verbose_name = "người bán"
        verbose_name_plural = "người bán"
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="market_seller_queue"),
            models.Index(fields=["commune", "status"], name="market_seller_commune"),
        ]

    def __str__(self) -> str:
        return self.name


class Certificate(models.Model):
    """VietGAP, OCOP stars (3–5) and the like, with the decision that granted them."""

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="certificates")
    kind = models.CharField("loại", max_length=10, choices=CertificateKind.choices)
    stars = models.PositiveSmallIntegerField("số sao OCOP", null=True, blank=True)
    product = models.CharField("sản phẩm được chứng nhận", max_length=200, blank=True)
    decision_number = models.CharField("số quyết định / giấy chứng nhận", max_length=60)
    issued_by = models.CharField("cơ quan cấp", max_length=200, blank=True)
    issued_on = models.DateField("ngày cấp")
    expires_on = models.DateField("ngày hết hạn")
    verified_at = models.DateTimeField("ngày xác minh", null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = "chứng nhận"
        verbose_name_plural = "chứng nhận"
        ordering = ["seller", "-issued_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="ocop", stars__gte=3, stars__lte=5)
                           | (~Q(kind="ocop") & Q(stars__isnull=True))),
                name="market_cert_ocop_stars"),
            models.CheckConstraint(condition=Q(expires_on__gt=models.F("issued_on")),
                                   name="market_cert_dates"),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return f"{label} {self.stars}★" if self.stars else label


class ListingStatus(models.TextChoices):
    DRAFT = "draft", "Bản nháp"
    PUBLISHED = "published", "Đang bán"
    WITHDRAWN = "withdrawn", "Ngừng bán"
    HIDDEN = "hidden", "Bị ẩn sau phản ánh"


class Listing(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="listings")
    title = models.CharField("tên sản phẩm", max_length=200)
    description = models.TextField("mô tả", blank=True)
    crop = models.CharField("cây trồng", max_length=10, choices=Crop.choices)
    unit = models.CharField("đơn vị tính", max_length=20)
    price_vnd = models.BigIntegerField("giá (đồng / đơn vị)")
    stock = models.IntegerField("số lượng còn")
    # Denormalised from the seller: the public list filters by commune at 10^6 listings.
    commune = models.ForeignKey("units.AdminUnit", verbose_name="xã, phường",
                                on_delete=models.PROTECT, related_name="+")
    # A traced lot (GS1 Digital Link /01/{gtin}/10/{lot}); both or neither.
    gtin = models.CharField("GTIN", max_length=14, blank=True)
    lot = models.CharField("số lô", max_length=20, blank=True)
    search_text = models.CharField(max_length=600, editable=False, default="")
    status = models.CharField("trạng thái", max_length=10, choices=ListingStatus.choices,
                              default=ListingStatus.DRAFT)
    created_at = models.DateTimeField("ngày tạo")
    published_at = models.DateTimeField("ngày đăng bán", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    objects = ListingQuerySet.as_manager()

    class Meta:
        verbose_name = "sản phẩm"
        verbose_name_plural = "sản phẩm"
        ordering = ["-published_at", "-id"]
        indexes = [
            # The public list: newest first, optionally by crop or commune (keyset-friendly).
            models.Index(fields=["status", "-published_at", "-id"], name="market_listing_pub"),
            models.Index(fields=["status", "crop", "-published_at", "-id"],
                         name="market_listing_crop"),
            models.Index(fields=["status", "commune", "-published_at", "-id"],
                         name="market_listing_commune"),
            # A seller's page: its published listings newest first, read in index order
            # (with (seller, status) alone: 1.5 s at 10^6 listings, decision 0030).
            models.Index(fields=["seller", "status", "-published_at", "-id"],
                         name="market_listing_seller_pub"),
            models.Index(fields=["gtin", "lot"], name="market_listing_lot",
                         condition=~Q(gtin="")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="market_listing_stock"),
            models.CheckConstraint(condition=Q(price_vnd__gt=0), name="market_listing_price"),
            models.CheckConstraint(condition=(Q(gtin="") & Q(lot=""))
                                   | (~Q(gtin="") & ~Q(lot="")), name="market_listing_lot"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def digital_link(self) -> str:
        """The path of the GS1 Digital Link resolver for this listing's lot ("" without one)."""
        from urllib.parse import quote

        if not self.gtin:
            return ""
        return f"/01/{self.gtin}/10/{quote(self.lot, safe='')}"


class ListingPhoto(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos")
    file = models.CharField("tệp", max_length=200)  # a core.blobs name
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    uploaded_at = models.DateTimeField()
    objects = ListingPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = "ảnh sản phẩm"
        verbose_name_plural = "ảnh sản phẩm"
        ordering = ["listing", "position", "id"]


class PaymentMethod(models.TextChoices):
    COD = "cod", "Thanh toán khi nhận hàng"
    VNPAY = "vnpay", "Thanh toán trực tuyến (VNPAY)"


class OrderStatus(models.TextChoices):
    PLACED = "placed", "Đã đặt hàng"
    CONFIRMED = "confirmed", "Người bán đã xác nhận"
    SHIPPED = "shipped", "Đang giao hàng"
    DELIVERED = "delivered", "Đã giao hàng"
    CANCELLED = "cancelled", "Đã hủy"
    DISPUTED = "disputed", "Đang khiếu nại"
    # Delivered and no longer disputable: closed by the periodic job K days after delivery.
    COMPLETED = "completed", "Hoàn tất"


class Order(models.Model):
    code = models.CharField("mã đơn hàng", max_length=30, unique=True)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người mua",
                              on_delete=models.PROTECT, related_name="market_orders")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="orders")
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="orders")
    quantity = models.PositiveIntegerField("số lượng")
    unit_price = models.BigIntegerField("đơn giá")
    total = models.BigIntegerField("thành tiền")
    # Denormalised for the IOC figures (turnover by commune and crop).
    commune = models.ForeignKey("units.AdminUnit", on_delete=models.PROTECT, related_name="+")
    crop = models.CharField(max_length=10, choices=Crop.choices)
    payment_method = models.CharField("hình thức thanh toán", max_length=8,
                                      choices=PaymentMethod.choices)
    paid_at = models.DateTimeField("ngày thanh toán", null=True, blank=True)
    payment_reference = models.CharField(max_length=40, blank=True)
    # Paid online, then cancelled: the money must go back (refund by the finance officer).
    needs_refund = models.BooleanField(default=False)
    shipping_address = models.CharField("địa chỉ giao hàng", max_length=255)
    buyer_phone = models.CharField("điện thoại người mua", max_length=20)
    note = models.CharField("ghi chú", max_length=500, blank=True)
    status = models.CharField("trạng thái", max_length=10, choices=OrderStatus.choices,
                              default=OrderStatus.PLACED)
    placed_at = models.DateTimeField("ngày đặt")
    delivered_at = models.DateTimeField("ngày giao", null=True, blank=True)
    # Dispute time limits (docs/market.md): when the buyer disputed, when the seller answered,
    # when an unanswered dispute went to the market officers, when the order closed.
    disputed_at = models.DateTimeField("ngày khiếu nại", null=True, blank=True)
    dispute_answered_at = models.DateTimeField("người bán trả lời", null=True, blank=True)
    escalated_at = models.DateTimeField("chuyển cán bộ quản lý", null=True, blank=True)
    completed_at = models.DateTimeField("ngày hoàn tất", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = "đơn hàng"
        verbose_name_plural = "đơn hàng"
        ordering = ["-placed_at", "-id"]
        indexes = [
            # Page 1 of "my orders" (buyer or seller) and of the officers' list, newest first.
            models.Index(fields=["buyer", "-placed_at", "-id"], name="market_order_buyer"),
            models.Index(fields=["seller", "-placed_at", "-id"], name="market_order_seller"),
            models.Index(fields=["-placed_at", "-id"], name="market_order_recent"),
            models.Index(fields=["status", "placed_at"], name="market_order_status"),
            models.Index(fields=["commune", "crop", "status"], name="market_order_figures"),
            models.Index(fields=["listing"], name="market_order_listing"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="market_order_qty"),
            models.CheckConstraint(condition=Q(total=models.F("quantity") * models.F("unit_price")),
                                   name="market_order_total"),
        ]

    def __str__(self) -> str:
        return self.code


class AppendOnlyError(RuntimeError):
    pass


class OrderEvent(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=24)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    objects = OrderEventQuerySet.as_manager()

    class Meta:
        verbose_name = "sự kiện đơn hàng"
        verbose_name_plural = "sự kiện đơn hàng"
        ordering = ["order", "at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="market_order_event_at")]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise AppendOnlyError("Order events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError("Order events are append-only.")


class MarketPaymentStatus(models.TextChoices):
    PENDING = "pending", "Chờ thanh toán"
    SUCCEEDED = "succeeded", "Thành công"
    FAILED = "failed", "Không thành công"


class MarketPayment(models.Model):
    """One attempt at the VNPAY gateway for an order (decision 0013: beside, not inside, the
    dossier-bound ``payments.Payment``; the protocol code is shared)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    txn_ref = models.CharField(max_length=40, unique=True)
    amount = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=MarketPaymentStatus.choices,
                              default=MarketPaymentStatus.PENDING)
    ip_addr = models.CharField(max_length=45)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ipn_received_at = models.DateTimeField(null=True, blank=True)
    response_code = models.CharField(max_length=4, blank=True)
    transaction_status = models.CharField(max_length=4, blank=True)
    transaction_no = models.CharField(max_length=40, blank=True)
    bank_code = models.CharField(max_length=20, blank=True)
    raw_response = models.JSONField(default=dict, blank=True)
    objects = MarketPaymentQuerySet.as_manager()

    class Meta:
        verbose_name = "thanh toán đơn hàng"
        verbose_name_plural = "thanh toán đơn hàng"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="market_payment_pending")]


class MarketRefundStatus(models.TextChoices):
    PENDING = "pending", "Đang chờ cổng thanh toán"
    SUCCEEDED = "succeeded", "Đã hoàn tiền"
    FAILED = "failed", "Hoàn tiền không thành công"


class MarketRefund(models.Model):
    """Money given back through VNPAY for a paid order (whole or part). Written before the
    gateway is called (pending), so a crash between the call and its answer leaves a trace; a
    pending or succeeded refund counts against what may still be refunded (never twice)."""

    payment = models.ForeignKey(MarketPayment, on_delete=models.PROTECT, related_name="refunds")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    request_id = models.CharField(max_length=32, unique=True)
    amount = models.BigIntegerField("số tiền hoàn")
    full = models.BooleanField(default=True)
    reason = models.CharField("lý do", max_length=500)
    status = models.CharField(max_length=10, choices=MarketRefundStatus.choices,
                              default=MarketRefundStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    response_code = models.CharField(max_length=4, blank=True)
    message = models.CharField(max_length=255, blank=True)
    transaction_no = models.CharField(max_length=40, blank=True)
    objects = MarketRefundQuerySet.as_manager()

    class Meta:
        verbose_name = "hoàn tiền đơn hàng"
        verbose_name_plural = "hoàn tiền đơn hàng"
        ordering = ["-requested_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0),
                                              name="market_refund_positive")]


class MarketFigure(models.Model):
    """The IOC's order figures per commune and crop, kept by the outbox consumer
    "market-figures" (``tinhso.market.figures``): no scan of the orders."""

    commune = models.ForeignKey("units.AdminUnit", on_delete=models.PROTECT, related_name="+")
    crop = models.CharField(max_length=10, choices=Crop.choices)
    orders = models.BigIntegerField(default=0)  # not cancelled
    turnover = models.BigIntegerField(default=0)  # delivered or completed, đồng

    class Meta:
        verbose_name = "số liệu chợ nông sản"
        verbose_name_plural = "số liệu chợ nông sản"
        constraints = [models.UniqueConstraint(fields=["commune", "crop"],
                                               name="market_figure_cell")]


class MarketListingCount(models.Model):
    """Published listings per commune and crop for the IOC, moved by the listing services in
    the transaction that publishes, withdraws or hides listings (``figures.listings_counted``,
    decision 0030): the IOC reads a few hundred cells instead of counting 10^6 listings."""

    commune = models.ForeignKey("units.AdminUnit", on_delete=models.PROTECT, related_name="+")
    crop = models.CharField(max_length=10, choices=Crop.choices)
    published = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "số sản phẩm đang bán"
        verbose_name_plural = "số sản phẩm đang bán"
        constraints = [models.UniqueConstraint(fields=["commune", "crop"],
                                               name="market_listing_count_cell")]


class MarketOrderFact(models.Model):
    """What the figures count of one order now (its status as last applied) and the last
    outbox event applied: an event at or below it is skipped (a rebuild before delivery)."""

    order = models.OneToOneField(Order, primary_key=True, on_delete=models.CASCADE,
                                 related_name="+")
    status = models.CharField(max_length=10)
    last_event_id = models.BigIntegerField(default=0)


class Review(models.Model):
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="review")
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="reviews")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    rating = models.PositiveSmallIntegerField("số sao")
    comment = models.TextField("nhận xét", blank=True)
    created_at = models.DateTimeField()
    hidden = models.BooleanField("bị ẩn", default=False)
    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = "đánh giá"
        verbose_name_plural = "đánh giá"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["listing", "-created_at"], name="market_review_listing")]
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5),
                                              name="market_review_rating")]


class ReportReason(models.TextChoices):
    FAKE = "fake", "Hàng giả, hàng kém chất lượng"
    FRAUD = "fraud", "Lừa đảo, không giao hàng"
    PRICE = "price", "Giá sai lệch, thông tin sai"
    CERTIFICATE = "certificate", "Chứng nhận không đúng"
    OTHER = "other", "Lý do khác"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Chờ xem xét"
    UPHELD = "upheld", "Đã xử lý (có vi phạm)"
    DISMISSED = "dismissed", "Không có vi phạm"


class Report(models.Model):
    """A flag on a listing or a seller, reviewed by a market officer."""

    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="reports")
    listing = models.ForeignKey(Listing, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    reason = models.CharField("lý do", max_length=12, choices=ReportReason.choices)
    detail = models.TextField("nội dung", blank=True)
    status = models.CharField("trạng thái", max_length=10, choices=ReportStatus.choices,
                              default=ReportStatus.OPEN)
    created_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    resolution = models.TextField("kết quả xem xét", blank=True)
    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = "phản ánh vi phạm"
        verbose_name_plural = "phản ánh vi phạm"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="market_report_queue")]


class PostKind(models.TextChoices):
    SUPPLY = "supply", "Cần bán"
    DEMAND = "demand", "Cần mua"


class Post(models.Model):
    """A supply or demand post (tin cung – cầu): anyone signed in may post."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField("loại tin", max_length=8, choices=PostKind.choices)
    crop = models.CharField("cây trồng", max_length=10, choices=Crop.choices)
    title = models.CharField("tiêu đề", max_length=200)
    body = models.TextField("nội dung", blank=True)
    quantity = models.CharField("số lượng", max_length=60, blank=True)
    commune = models.ForeignKey("units.AdminUnit", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    contact_phone = models.CharField("điện thoại liên hệ", max_length=20, blank=True)
    search_text = models.CharField(max_length=600, editable=False, default="")
    is_open = models.BooleanField("đang mở", default=True)
    created_at = models.DateTimeField()
    expires_on = models.DateField("hết hạn")
    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = "tin cung – cầu"
        verbose_name_plural = "tin cung – cầu"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["is_open", "kind", "crop", "-created_at"],
                                name="market_post_open")]


class Commodity(models.TextChoices):
    CASHEW = "cashew", "Điều thô"
    PEPPER = "pepper", "Hồ tiêu đen"
    LATEX = "latex", "Mủ cao su nước"


# Units the bulletin quotes each commodity in (the trade's own units).
COMMODITY_UNITS: dict[str, str] = {
    Commodity.CASHEW: "đồng/kg",
    Commodity.PEPPER: "đồng/kg",
    Commodity.LATEX: "đồng/độ TSC",
}

# Markets of the bulletin: the province's trading places and the export reference.
MARKETS: dict[str, str] = {
    "dong-xoai": "Đồng Xoài",
    "binh-long": "Bình Long",
    "phuoc-long": "Phước Long",
    "bu-dang": "Bù Đăng",
    "loc-ninh": "Lộc Ninh",
    "tp-hcm": "TP. Hồ Chí Minh (tham chiếu xuất khẩu)",
}


class PriceQuote(models.Model):
    """One price of the daily bulletin (a market, a commodity, a day)."""

    day = models.DateField("ngày")
    market = models.CharField("thị trường", max_length=20)
    commodity = models.CharField("mặt hàng", max_length=8, choices=Commodity.choices)
    price_vnd = models.BigIntegerField("giá (đồng)")
    source = models.CharField("nguồn", max_length=10, default="manual")  # manual | csv | demo
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField()

    class Meta:
        verbose_name = "giá nông sản"
        verbose_name_plural = "bản tin giá nông sản"
        ordering = ["-day", "commodity", "market"]
        constraints = [
            models.UniqueConstraint(fields=["commodity", "market", "day"],
                                    name="market_price_day"),
            models.CheckConstraint(condition=Q(price_vnd__gt=0), name="market_price_positive"),
        ]
        indexes = [models.Index(fields=["day"], name="market_price_by_day")]

    @property
    def unit(self) -> str:
        return COMMODITY_UNITS.get(self.commodity, "đồng")

    @property
    def market_name(self) -> str:
        return MARKETS.get(self.market, self.market)
