"""Official mail (thư công vụ): the address book, agency mailboxes, sent mail with its delivery
log, and received messages.

A ``Mailbox`` is an agency's official mailbox on the province's mail server. Its IMAP password
is never stored: ``password_env`` names an environment variable (or ``<NAME>_FILE``, a secret
file) that holds it. Received messages are stored once per mailbox and Message-ID.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tinhso.mail.querysets import (
    AddressEntryQuerySet,
    InboundMessageQuerySet,
    MailboxQuerySet,
    OutboundMailQuerySet,
)


class AddressKind(models.TextChoices):
    AGENCY = "agency", "Cơ quan"
    OFFICIAL = "official", "Cán bộ, công chức"


class AddressEntry(models.Model):
    kind = models.CharField("loại", max_length=10, choices=AddressKind.choices)
    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan", on_delete=models.CASCADE,
                               related_name="mail_addresses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="cán bộ", null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField("tên", max_length=200)
    position = models.CharField("chức vụ", max_length=200, blank=True)
    email = models.EmailField("địa chỉ thư công vụ", unique=True)
    phone = models.CharField("điện thoại", max_length=20, blank=True)
    # Lower-case, without diacritics: what the search matches against.
    search_text = models.CharField(max_length=600, blank=True, db_index=True)
    is_active = models.BooleanField("đang dùng", default=True)
    objects = AddressEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "địa chỉ thư công vụ"
        verbose_name_plural = "danh bạ thư công vụ"
        ordering = ["agency__name", "kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Mailbox(models.Model):
    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan", on_delete=models.CASCADE,
                               related_name="mailboxes")
    address = models.EmailField("địa chỉ", unique=True)
    imap_host = models.CharField(max_length=200, blank=True,
                                 help_text="trống: TINHSO_MAIL_IMAP_HOST")
    imap_port = models.PositiveIntegerField(null=True, blank=True,
                                            help_text="trống: TINHSO_MAIL_IMAP_PORT")
    imap_user = models.CharField(max_length=200, blank=True, help_text="trống: địa chỉ")
    password_env = models.CharField(
        "biến môi trường chứa mật khẩu", max_length=100,
        help_text="tên biến môi trường (hoặc NAME_FILE) chứa mật khẩu IMAP; không lưu mật khẩu")
    folder = models.CharField(max_length=100, default="INBOX")
    is_active = models.BooleanField(default=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_fetch_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    objects = MailboxQuerySet.as_manager()

    class Meta:
        verbose_name = "hộp thư cơ quan"
        verbose_name_plural = "hộp thư cơ quan"
        ordering = ["agency", "address"]

    def __str__(self) -> str:
        return self.address


class OutboundState(models.TextChoices):
    QUEUED = "queued", "Đang chờ gửi"
    RETRIED = "retried", "Gửi lỗi, sẽ thử lại"
    SENT = "sent", "Đã gửi"
    FAILED = "failed", "Gửi thất bại"


class OutboundMail(models.Model):
    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan gửi",
                               on_delete=models.PROTECT, related_name="outbound_mail")
    from_address = models.EmailField("từ")
    to = models.JSONField("đến", default=list)
    subject = models.CharField("tiêu đề", max_length=300)
    body = models.TextField("nội dung")
    # [{name, content_type, file, sha256, size}] — files in core.blobs
    attachments = models.JSONField(default=list, blank=True)
    message_id = models.CharField(max_length=250, unique=True)
    state = models.CharField("trạng thái", max_length=10, choices=OutboundState.choices,
                             default=OutboundState.QUEUED)
    attempts = models.PositiveSmallIntegerField("số lần thử", default=0)
    log = models.JSONField("nhật ký gửi", default=list, blank=True)
    source = models.CharField("nguồn", max_length=60, blank=True)  # e.g. meeting:12
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    objects = OutboundMailQuerySet.as_manager()

    class Meta:
        verbose_name = "thư đã gửi"
        verbose_name_plural = "thư đã gửi"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "created_at"], name="outbound_agency_created"),
                   models.Index(fields=["state", "created_at"], name="outbound_state")]

    def __str__(self) -> str:
        return self.subject


class InboundMessage(models.Model):
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="messages")
    agency = models.ForeignKey("units.Agency", on_delete=models.PROTECT,
                               related_name="inbound_mail")
    message_id = models.CharField(max_length=250)
    uid = models.BigIntegerField(null=True, blank=True)
    from_address = models.CharField("từ", max_length=300)
    to = models.CharField("đến", max_length=1000, blank=True)
    subject = models.CharField("tiêu đề", max_length=500, blank=True)
    body = models.TextField("nội dung", blank=True)
    sent_at = models.DateTimeField("ngày gửi", null=True, blank=True)
    received_at = models.DateTimeField("ngày nhận")
    raw_file = models.CharField(max_length=200)  # the whole message (.eml) in core.blobs
    raw_sha256 = models.CharField(max_length=64)
    raw_size = models.PositiveIntegerField()
    attachments = models.JSONField(default=list, blank=True)
    objects = InboundMessageQuerySet.as_manager()

    class Meta:
        verbose_name = "thư đến"
        verbose_name_plural = "thư đến"
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["mailbox", "message_id"],
                                               name="inbound_once_per_mailbox")]
        indexes = [models.Index(fields=["agency", "received_at"], name="inbound_agency_received")]

    def __str__(self) -> str:
        return self.subject or self.message_id
