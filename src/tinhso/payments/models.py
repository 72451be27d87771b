"""Fees and charges paid for a dossier (financial obligations)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tinhso.dossiers.models import AppendOnlyError
from tinhso.payments.querysets import (
    BankStatementQuerySet,
    LedgerEntryQuerySet,
    PaymentAttemptEventQuerySet,
    PaymentAttemptQuerySet,
    PaymentQuerySet,
    ReceiptQuerySet,
    RefundQuerySet,
    StatementLineQuerySet,
)


class PaymentStatus(models.TextChoices):
    REQUESTED = "requested", "Chờ thanh toán"
    PAID = "paid", "Đã thanh toán"
    CANCELLED = "cancelled", "Đã hủy"
    REFUNDED = "refunded", "Đã hoàn tiền"


class Payment(models.Model):
    # Indexed by (dossier, status) in Meta, which answers the lookups by dossier too.
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT,
                                related_name="payments", db_index=False)
    amount = models.PositiveBigIntegerField("số tiền (VND)")
    description = models.CharField("nội dung", max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=PaymentStatus.choices,
                              default=PaymentStatus.REQUESTED)
    online = models.BooleanField("trực tuyến", default=False)
    method = models.CharField("hình thức", max_length=30, blank=True)
    reference = models.CharField("mã giao dịch", max_length=100, blank=True)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    # The officer who took the money at the counter (none for gateway and bank confirmations).
    # No index: never searched by, and building one would lock this large table.
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name="người thu", db_index=False)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = "khoản thanh toán"
        verbose_name_plural = "khoản thanh toán"
        indexes = [models.Index(fields=["dossier", "status"]),
                   # The few awaiting payment, counted by /metrics and the settlement.
                   models.Index(fields=["requested_at"], name="payment_requested",
                                condition=models.Q(status="requested"))]


class AttemptStatus(models.TextChoices):
    PENDING = "pending", "Đang chờ cổng thanh toán"
    SUCCEEDED = "succeeded", "Thanh toán thành công"
    FAILED = "failed", "Không thành công"


class PaymentAttempt(models.Model):
    """One trip to the payment gateway (one vnp_TxnRef). A payment may need several."""

    payment = models.ForeignKey(Payment, verbose_name="khoản thanh toán",
                                on_delete=models.PROTECT, related_name="attempts")
    gateway = models.CharField("cổng thanh toán", max_length=20, default="vnpay")
    txn_ref = models.CharField("mã tham chiếu giao dịch", max_length=100, unique=True)
    amount = models.PositiveBigIntegerField("số tiền (VND)")
    order_info = models.CharField("nội dung thanh toán", max_length=255)
    ip_addr = models.CharField("địa chỉ IP người trả", max_length=45)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("tạo lúc")
    expires_at = models.DateTimeField("hết hạn lúc")
    status = models.CharField("trạng thái", max_length=10, choices=AttemptStatus.choices,
                              default=AttemptStatus.PENDING)
    # Filled from the gateway's verified notification (IPN), never from the browser's return.
    ipn_received_at = models.DateTimeField("nhận IPN lúc", null=True, blank=True)
    response_code = models.CharField("mã phản hồi", max_length=4, blank=True)
    transaction_status = models.CharField("tình trạng giao dịch", max_length=4, blank=True)
    transaction_no = models.CharField("mã giao dịch tại cổng", max_length=40, blank=True)
    bank_code = models.CharField("ngân hàng", max_length=20, blank=True)
    raw_response = models.JSONField("dữ liệu IPN", default=dict, blank=True)
    # The gateway took money that could not be applied (the fee was already settled, or the
    # dossier left "awaiting payment"): an officer must refund it.
    needs_refund = models.BooleanField("cần hoàn tiền", default=False)
    objects = PaymentAttemptQuerySet.as_manager()

    class Meta:
        verbose_name = "lượt thanh toán trực tuyến"
        verbose_name_plural = "lượt thanh toán trực tuyến"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["payment", "status"], name="attempt_payment_status"),
                   models.Index(fields=["expires_at"], name="attempt_pending",
                                condition=models.Q(status="pending"))]

    def __str__(self) -> str:
        return self.txn_ref


class AttemptEventKind(models.TextChoices):
    CREATED = "created", "Tạo yêu cầu thanh toán"
    IPN = "ipn", "Nhận thông báo IPN"
    QUERY = "query", "Truy vấn trạng thái tại cổng (querydr)"
    REFUND = "refund", "Hoàn tiền"


class PaymentAttemptEvent(models.Model):
    """Append-only history of an attempt: its creation and every signed IPN it received."""

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=AttemptEventKind.choices)
    from_status = models.CharField(max_length=10, choices=AttemptStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=AttemptStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    # What the merchant answered the gateway ("00", "02", "04" …) for IPN events.
    rsp_code = models.CharField(max_length=4, blank=True)
    remote_addr = models.CharField(max_length=45, blank=True)
    data = models.JSONField(default=dict, blank=True)
    objects = PaymentAttemptEventQuerySet.as_manager()

    class Meta:
        verbose_name = "nhật ký thanh toán trực tuyến"
        verbose_name_plural = "nhật ký thanh toán trực tuyến"
        ordering = ["attempt", "at", "id"]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise AppendOnlyError("Payment attempt events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError("Payment attempt events are append-only.")


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Đang chờ cổng thanh toán"
    SUCCEEDED = "succeeded", "Đã hoàn tiền"
    FAILED = "failed", "Hoàn tiền không thành công"


class Refund(models.Model):
    """Money given back through the gateway for one successful attempt (VNPAY ``refund``).

    Written before the gateway is called (status pending) so that a crash between the call and
    its answer leaves a trace an officer can resolve; never deleted.
    """

    attempt = models.ForeignKey(PaymentAttempt, verbose_name="lượt thanh toán",
                                on_delete=models.PROTECT, related_name="refunds")
    request_id = models.CharField("mã yêu cầu (vnp_RequestId)", max_length=32, unique=True)
    amount = models.PositiveBigIntegerField("số tiền hoàn (VND)")
    full = models.BooleanField("hoàn toàn bộ", default=True)
    reason = models.CharField("lý do", max_length=500)
    status = models.CharField("trạng thái", max_length=10, choices=RefundStatus.choices,
                              default=RefundStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField("yêu cầu lúc")
    decided_at = models.DateTimeField("có kết quả lúc", null=True, blank=True)
    response_code = models.CharField("mã phản hồi", max_length=4, blank=True)
    message = models.CharField("thông báo của cổng", max_length=255, blank=True)
    transaction_no = models.CharField("mã giao dịch hoàn tại cổng", max_length=40, blank=True)
    transaction_status = models.CharField("tình trạng", max_length=4, blank=True)
    objects = RefundQuerySet.as_manager()

    class Meta:
        verbose_name = "lượt hoàn tiền"
        verbose_name_plural = "lượt hoàn tiền"
        ordering = ["-requested_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0),
                                              name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.attempt.txn_ref} −{self.amount}"


class BankStatement(models.Model):
    """One imported statement of the account that receives VietQR transfers."""

    account = models.CharField("tài khoản", max_length=30)
    file_name = models.CharField("tệp", max_length=255)
    sha256 = models.CharField(max_length=64)
    layout = models.CharField("mẫu sao kê", max_length=40)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    imported_at = models.DateTimeField("nhập lúc")
    lines_read = models.PositiveIntegerField(default=0)
    lines_new = models.PositiveIntegerField(default=0)
    lines_matched = models.PositiveIntegerField(default=0)
    objects = BankStatementQuerySet.as_manager()

    class Meta:
        verbose_name = "sao kê ngân hàng"
        verbose_name_plural = "sao kê ngân hàng"
        ordering = ["-imported_at", "-id"]


class LineStatus(models.TextChoices):
    MATCHED = "matched", "Khớp, đã xác nhận thanh toán"
    PARTIAL = "partial", "Chuyển thiếu"
    OVERPAID = "overpaid", "Chuyển thừa"
    DUPLICATE = "duplicate", "Khoản đã được thanh toán"
    LATE = "late", "Chuyển sau khi khoản thu đóng"
    UNMATCHED = "unmatched", "Không khớp khoản thu nào"
    CONFIRMED = "confirmed", "Cán bộ đã xác nhận"
    REJECTED = "rejected", "Đã loại"
    REFUND = "refund", "Chờ hoàn trả"


REVIEW_STATUSES = (LineStatus.PARTIAL, LineStatus.OVERPAID, LineStatus.DUPLICATE,
                   LineStatus.LATE, LineStatus.UNMATCHED)


class StatementLine(models.Model):
    """One credit on the account. Unique per (account, bank reference): re-importing an
    overlapping statement never counts a transfer twice."""

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=30)
    line_no = models.PositiveIntegerField("dòng")
    bank_ref = models.CharField("số tham chiếu", max_length=64)
    booked_at = models.DateTimeField("ngày giao dịch")
    amount = models.PositiveBigIntegerField("số tiền (VND)")
    note = models.CharField("nội dung", max_length=500, blank=True)
    payer = models.CharField("người chuyển", max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=LineStatus.choices, db_index=True)
    reason = models.CharField("lý do", max_length=500, blank=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="bank_lines")
    agency = models.ForeignKey("units.Agency", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    objects = StatementLineQuerySet.as_manager()

    class Meta:
        verbose_name = "giao dịch sao kê"
        verbose_name_plural = "giao dịch sao kê"
        ordering = ["-booked_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "bank_ref"],
                                               name="statement_line_once")]
        indexes = [models.Index(fields=["status", "agency"], name="line_review_queue")]


class ReceiptStatus(models.TextChoices):
    ISSUED = "issued", "Đã phát hành"
    CANCELLED = "cancelled", "Đã hủy"


class ReceiptCounter(models.Model):
    """Gap-free numbers per agency, year, template and series (row locked while numbering)."""

    agency = models.ForeignKey("units.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    template = models.CharField(max_length=20)
    series = models.CharField(max_length=20)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year", "template", "series"],
                                               name="receipt_counter_once")]


class Receipt(models.Model):
    """An electronic receipt of a fee or charge (biên lai thu phí, lệ phí điện tử).

    Never deleted: a wrong receipt is cancelled with a reason and replaced by a new one with the
    next number, which names the one it replaces.
    """

    agency = models.ForeignKey("units.Agency", verbose_name="đơn vị thu",
                               on_delete=models.PROTECT, related_name="receipts")
    year = models.PositiveSmallIntegerField("năm")
    template = models.CharField("ký hiệu mẫu biên lai", max_length=20)
    series = models.CharField("ký hiệu biên lai", max_length=20)
    number = models.PositiveIntegerField("số biên lai")
    payment = models.ForeignKey(Payment, verbose_name="khoản thu", on_delete=models.PROTECT,
                                related_name="receipts")
    status = models.CharField("trạng thái", max_length=10, choices=ReceiptStatus.choices,
                              default=ReceiptStatus.ISSUED)
    payer_name = models.CharField("người nộp", max_length=200)
    payer_id_number = models.CharField("số định danh / mã số thuế", max_length=14, blank=True)
    payer_address = models.CharField("địa chỉ", max_length=255, blank=True)
    item = models.CharField("tên loại phí, lệ phí", max_length=500)
    amount = models.PositiveBigIntegerField("số tiền (VND)")
    amount_words = models.CharField("số tiền bằng chữ", max_length=300)
    method = models.CharField("hình thức thu", max_length=30)
    collected_at = models.DateTimeField("thời điểm thu")
    issued_at = models.DateTimeField("thời điểm lập")
    document = models.OneToOneField("documents.Document", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="fee_receipt")
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    cancel_reason = models.CharField("lý do hủy", max_length=500, blank=True)
    objects = ReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = "biên lai điện tử"
        verbose_name_plural = "biên lai điện tử"
        ordering = ["agency", "year", "series", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "template", "series", "number"],
                                    name="receipt_number_once"),
            models.UniqueConstraint(fields=["payment"],
                                    condition=models.Q(status="issued"),
                                    name="one_issued_receipt_per_payment"),
            models.CheckConstraint(condition=models.Q(amount__gt=0),
                                   name="receipt_amount_positive"),
        ]

    @property
    def label(self) -> str:
        return f"{self.template} · {self.series} · {self.number:07d}"


class LedgerKind(models.TextChoices):
    COLLECTED = "collected", "Thu"
    REFUNDED = "refunded", "Hoàn trả"


class LedgerEntry(models.Model):
    """Append-only record of money moving: a fee collected (+) or given back (−).

    One entry per (source, kind): written in the same transaction as the payment's confirmation
    or the refund's success, and by the set-based backfill for history, never twice.
    """

    at = models.DateTimeField("thời điểm", db_index=True)
    agency = models.ForeignKey("units.Agency", on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=10, choices=LedgerKind.choices)
    channel = models.CharField("kênh", max_length=20)
    amount = models.BigIntegerField("số tiền (VND, âm khi hoàn)")
    reference = models.CharField(max_length=100, blank=True)
    source_type = models.CharField(max_length=10)  # "payment" | "refund"
    source_id = models.BigIntegerField()
    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "sổ thu chi"
        verbose_name_plural = "sổ thu chi"
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["source_type", "source_id", "kind"],
                                               name="ledger_entry_once")]
        indexes = [models.Index(fields=["agency", "at"], name="ledger_agency_at")]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise AppendOnlyError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError("Ledger entries are append-only.")


class FeeKind(models.TextChoices):
    FLAT = "flat", "Mức thu cố định mỗi hồ sơ"
    PER_COPY = "per_copy", "Theo số bản"
    PER_PAGE = "per_page", "Theo số trang mỗi bản (có mức trần)"


class FeeRule(models.Model):
    """How a procedure's fee is computed, when the one figure in the catalogue is not enough.

    Without a rule the catalogue's ``Procedure.fee`` is charged once per dossier.
    """

    procedure = models.OneToOneField("catalog.Procedure", verbose_name="thủ tục",
                                     on_delete=models.CASCADE, related_name="fee_rule")
    kind = models.CharField("cách tính", max_length=10, choices=FeeKind.choices)
    amount = models.PositiveBigIntegerField("mức thu (VND)", default=0,
                                            help_text="mỗi hồ sơ, mỗi bản, hoặc mỗi trang đầu")
    first_pages = models.PositiveSmallIntegerField("số trang tính mức đầu", default=0)
    amount_after = models.PositiveBigIntegerField("mức thu mỗi trang tiếp theo (VND)", default=0)
    cap_per_copy = models.PositiveBigIntegerField("mức trần mỗi bản (VND)", null=True,
                                                  blank=True)
    legal_basis = models.CharField("căn cứ pháp lý", max_length=255, blank=True)

    class Meta:
        verbose_name = "biểu phí, lệ phí"
        verbose_name_plural = "biểu phí, lệ phí"


class FeeExemption(models.Model):
    """A listed applicant group pays less (percent) or nothing (100) for a procedure, or for
    every procedure when ``procedure`` is empty."""

    procedure = models.ForeignKey("catalog.Procedure", null=True, blank=True,
                                  verbose_name="thủ tục (trống: mọi thủ tục)",
                                  on_delete=models.CASCADE, related_name="fee_exemptions")
    group = models.CharField("đối tượng", max_length=40)
    group_name = models.CharField("tên đối tượng", max_length=200)
    percent = models.PositiveSmallIntegerField("miễn, giảm (%)")
    legal_basis = models.CharField("căn cứ pháp lý", max_length=255, blank=True)

    class Meta:
        verbose_name = "miễn, giảm phí, lệ phí"
        verbose_name_plural = "miễn, giảm phí, lệ phí"
        constraints = [
            models.CheckConstraint(condition=models.Q(percent__gte=1, percent__lte=100),
                                   name="exemption_percent_1_100"),
            models.UniqueConstraint(fields=["procedure", "group"], name="exemption_once"),
            models.UniqueConstraint(fields=["group"], condition=models.Q(procedure__isnull=True),
                                    name="exemption_once_everywhere"),
        ]
