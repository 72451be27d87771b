"""Fees and charges paid for a dossier (financial obligations)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tinhso.dossiers.models import AppendOnlyError
from tinhso.payments.querysets import (
    PaymentAttemptEventQuerySet,
    PaymentAttemptQuerySet,
    PaymentQuerySet,
)


class PaymentStatus(models.TextChoices):
    REQUESTED = "requested", "Chờ thanh toán"
    PAID = "paid", "Đã thanh toán"
    CANCELLED = "cancelled", "Đã hủy"


class Payment(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT,
                                related_name="payments")
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
    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = "khoản thanh toán"
        verbose_name_plural = "khoản thanh toán"
        indexes = [models.Index(fields=["dossier", "status"])]


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
        indexes = [models.Index(fields=["payment", "status"], name="attempt_payment_status")]

    def __str__(self) -> str:
        return self.txn_ref


class AttemptEventKind(models.TextChoices):
    CREATED = "created", "Tạo yêu cầu thanh toán"
    IPN = "ipn", "Nhận thông báo IPN"


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
