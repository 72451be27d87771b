"""Outgoing documents (văn bản đi), incoming documents (văn bản đến) and their exchange.

Both registers carry a folded ``search_text`` (number, notation, subject, sender, no diacritics)
indexed for substring search (a trigram GIN index on PostgreSQL, see the migration), and a
``(agency, date, id)`` index for keyset paging: the registers are designed for a million rows.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from tinhso.correspondence.doctypes import DocType
from tinhso.correspondence.querysets import (
    AgencyHeldQuerySet,
    ViaIncomingQuerySet,
    ViaOutgoingQuerySet,
)

USER = settings.AUTH_USER_MODEL


class AgencyProfile(models.Model):
    """What the notation and the PDF need of an agency: its abbreviation (UBND, STP …) and the
    place name of its documents (Decree 30/2020 art. 8(4): the administrative unit's name)."""

    agency = models.OneToOneField("units.Agency", verbose_name="cơ quan", on_delete=models.CASCADE,
                                  related_name="corr_profile")
    abbreviation = models.CharField("chữ viết tắt tên cơ quan", max_length=20)
    place_name = models.CharField("địa danh", max_length=60, blank=True)
    parent_name = models.CharField("tên cơ quan chủ quản", max_length=200, blank=True)

    class Meta:
        verbose_name = "thông tin văn thư của cơ quan"
        verbose_name_plural = "thông tin văn thư của cơ quan"

    def __str__(self) -> str:
        return f"{self.agency} ({self.abbreviation})"


class OrgUnit(models.Model):
    """A unit inside an agency (phòng, ban, văn phòng). Its ``head`` is the "head of unit" of
    the approval chain; ``members`` are its specialists."""

    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan", on_delete=models.PROTECT,
                               related_name="corr_units")
    code = models.CharField("chữ viết tắt", max_length=20)
    name = models.CharField("tên đơn vị", max_length=200)
    head = models.ForeignKey(USER, verbose_name="trưởng đơn vị", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="corr_units_headed")
    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, verbose_name="thành viên", blank=True, related_name="corr_units")
    objects = AgencyHeldQuerySet.as_manager()

    class Meta:
        verbose_name = "đơn vị (phòng, ban)"
        verbose_name_plural = "đơn vị (phòng, ban)"
        ordering = ["agency", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"],
                                               name="corr_unit_code_uniq")]

    def __str__(self) -> str:
        return self.name


class Register(models.TextChoices):
    OUTGOING = "out", "Sổ văn bản đi"
    INCOMING = "in", "Sổ văn bản đến"


class Counter(models.Model):
    """The last number of a register per agency, year and (outgoing) document type; the row is
    locked while a number is taken, in the transaction that uses it: no gaps, no duplicates."""

    agency = models.ForeignKey("units.Agency", on_delete=models.CASCADE, related_name="+")
    register = models.CharField(max_length=3, choices=Register.choices)
    year = models.PositiveSmallIntegerField()
    doc_type = models.CharField(max_length=4, blank=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "register", "year", "doc_type"],
                                               name="corr_counter_uniq")]


class OutState(models.TextChoices):
    DRAFT = "draft", "Dự thảo"
    PENDING_HEAD = "pending_head", "Chờ trưởng đơn vị duyệt"
    PENDING_LEADER = "pending_leader", "Chờ lãnh đạo duyệt, ký"
    SIGNED = "signed", "Lãnh đạo đã ký, chờ văn thư"
    ISSUED = "issued", "Đã ban hành (đã đóng dấu)"
    RELEASED = "released", "Đã phát hành"
    WITHDRAWN = "withdrawn", "Đã thu hồi"


class OutgoingDocument(models.Model):
    uuid = models.UUIDField("mã văn bản", default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan ban hành",
                               on_delete=models.PROTECT, related_name="outgoing_documents")
    unit = models.ForeignKey(OrgUnit, verbose_name="đơn vị soạn thảo", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    doc_type = models.CharField("loại văn bản", max_length=4, choices=DocType.choices)
    state = models.CharField("trạng thái", max_length=16, choices=OutState.choices,
                             default=OutState.DRAFT)
    subject = models.CharField("trích yếu", max_length=500)
    body = models.TextField("nội dung", blank=True)
    recipients_text = models.TextField("nơi nhận (ghi trên văn bản)", blank=True)
    version = models.PositiveIntegerField("phiên bản", default=1)
    year = models.PositiveSmallIntegerField("năm", null=True, blank=True)
    number = models.PositiveIntegerField("số", null=True, blank=True)
    notation = models.CharField("số, ký hiệu", max_length=60, blank=True)
    promulgated_on = models.DateField("ngày ban hành", null=True, blank=True)
    signer = models.ForeignKey(USER, verbose_name="người ký", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    signer_title = models.CharField("chức vụ người ký", max_length=120, blank=True)
    author = models.ForeignKey(USER, verbose_name="người soạn", on_delete=models.PROTECT,
                               related_name="+")
    due_on = models.DateField("hạn xử lý đề nghị", null=True, blank=True)
    pdf = models.FileField("tệp PDF đã ký", max_length=200, blank=True)
    pdf_sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    objects = AgencyHeldQuerySet.as_manager()

    class Meta:
        verbose_name = "văn bản đi"
        verbose_name_plural = "văn bản đi"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["agency", "year", "doc_type", "number"],
                                               name="corr_out_number_uniq")]
        indexes = [models.Index(fields=["agency", "-promulgated_on", "-id"],
                                name="corr_out_register"),
                   models.Index(fields=["agency", "state"], name="corr_out_state")]

    def __str__(self) -> str:
        return self.notation or f"Dự thảo #{self.pk}"

    @property
    def retention(self) -> str:
        from tinhso.correspondence.doctypes import retention_label

        return retention_label(self.doc_type)


class OutgoingVersion(models.Model):
    """Each saved edit of a draft, immutable."""

    document = models.ForeignKey(OutgoingDocument, on_delete=models.CASCADE,
                                 related_name="versions")
    number = models.PositiveIntegerField("phiên bản")
    subject = models.CharField("trích yếu", max_length=500)
    body = models.TextField("nội dung", blank=True)
    recipients_text = models.TextField("nơi nhận", blank=True)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = ViaOutgoingQuerySet.as_manager()

    class Meta:
        verbose_name = "phiên bản dự thảo"
        verbose_name_plural = "phiên bản dự thảo"
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"],
                                               name="corr_version_uniq")]


class OutgoingEvent(models.Model):
    """Append-only: every step of the approval chain, every comment."""

    document = models.ForeignKey(OutgoingDocument, on_delete=models.CASCADE,
                                 related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    objects = ViaOutgoingQuerySet.as_manager()

    class Meta:
        ordering = ["document", "at", "id"]


class ExchangeStatus(models.TextChoices):
    """Recipient states, from the edXML status messages (codes in exchange.STATUS_CODES)."""

    PENDING = "pending", "Chờ gửi"
    SENT = "sent", "Đã gửi"
    RECEIVED = "received", "Đã đến"
    REJECTED = "rejected", "Từ chối tiếp nhận"
    ACCEPTED = "accepted", "Đã tiếp nhận"
    ASSIGNED = "assigned", "Đã phân công"
    PROCESSING = "processing", "Đang xử lý"
    COMPLETED = "completed", "Hoàn thành"
    WITHDRAWN = "withdrawn", "Đã thu hồi"


class OutgoingRecipient(models.Model):
    """Where a released document went: an agency of the province, or an outside agency by its
    identifier code; ``status`` follows the recipient's status messages."""

    document = models.ForeignKey(OutgoingDocument, on_delete=models.CASCADE,
                                 related_name="recipients")
    agency = models.ForeignKey("units.Agency", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    code = models.CharField("mã định danh nơi nhận", max_length=40)
    name = models.CharField("tên nơi nhận", max_length=200)
    status = models.CharField(max_length=12, choices=ExchangeStatus.choices,
                              default=ExchangeStatus.PENDING)
    status_at = models.DateTimeField(null=True, blank=True)
    status_note = models.CharField(max_length=500, blank=True)
    objects = ViaOutgoingQuerySet.as_manager()

    class Meta:
        ordering = ["document", "id"]
        constraints = [models.UniqueConstraint(fields=["document", "code"],
                                               name="corr_recipient_uniq")]


class Source(models.TextChoices):
    EXCHANGE = "exchange", "Liên thông (edXML)"
    EMAIL = "email", "Thư điện tử công vụ"
    PAPER = "paper", "Bản giấy (scan)"


class InState(models.TextChoices):
    REGISTERED = "registered", "Đã vào sổ"
    ASSIGNED = "assigned", "Đã phân công"
    PROCESSING = "processing", "Đang xử lý"
    COMPLETED = "completed", "Hoàn thành"
    REJECTED = "rejected", "Đã từ chối"
    WITHDRAWN = "withdrawn", "Bên gửi đã thu hồi"


class IncomingDocument(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan nhận",
                               on_delete=models.PROTECT, related_name="incoming_documents")
    year = models.PositiveSmallIntegerField("năm")
    incoming_number = models.PositiveIntegerField("số đến")
    received_at = models.DateTimeField("thời điểm đến")
    source = models.CharField("nguồn", max_length=10, choices=Source.choices)
    sender_name = models.CharField("cơ quan gửi", max_length=200)
    sender_code = models.CharField("mã định danh cơ quan gửi", max_length=40, blank=True)
    number = models.CharField("số văn bản", max_length=20, blank=True)
    notation = models.CharField("số, ký hiệu", max_length=60, blank=True)
    doc_type = models.CharField("loại văn bản", max_length=4, blank=True)
    subject = models.CharField("trích yếu", max_length=500)
    promulgated_on = models.DateField("ngày ban hành", null=True, blank=True)
    external_ref = models.CharField("mã tham chiếu bên gửi", max_length=120, null=True,
                                    blank=True)
    state = models.CharField("trạng thái", max_length=12, choices=InState.choices,
                             default=InState.REGISTERED)
    handling_unit = models.ForeignKey(OrgUnit, verbose_name="đơn vị xử lý", null=True,
                                      blank=True, on_delete=models.PROTECT, related_name="+")
    handler = models.ForeignKey(USER, verbose_name="người xử lý", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("hạn xử lý", null=True, blank=True)
    completed_at = models.DateTimeField("hoàn thành lúc", null=True, blank=True)
    registered_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AgencyHeldQuerySet.as_manager()

    class Meta:
        verbose_name = "văn bản đến"
        verbose_name_plural = "văn bản đến"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "incoming_number"],
                                    name="corr_in_number_uniq"),
            models.UniqueConstraint(fields=["agency", "external_ref"],
                                    condition=models.Q(external_ref__isnull=False),
                                    name="corr_in_external_uniq"),
        ]
        indexes = [models.Index(fields=["agency", "-received_at", "-id"],
                                name="corr_in_register"),
                   models.Index(fields=["agency", "state", "due_on"], name="corr_in_due")]

    def __str__(self) -> str:
        return f"{self.incoming_number}/{self.year} — {self.notation or self.subject[:40]}"

    @property
    def is_open(self) -> bool:
        return self.state in (InState.REGISTERED, InState.ASSIGNED, InState.PROCESSING)


class IncomingEvent(models.Model):
    """Append-only: registration, assignment, handling notes, forwarding, completion."""

    incoming = models.ForeignKey(IncomingDocument, on_delete=models.CASCADE,
                                 related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    to_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    to_user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    objects = ViaIncomingQuerySet.as_manager()

    class Meta:
        ordering = ["incoming", "at", "id"]


class CorrFile(models.Model):
    """A stored file of a document (tinhso.core.blobs): the signed PDF, an attachment, a scan."""

    agency = models.ForeignKey("units.Agency", on_delete=models.PROTECT, related_name="+")
    outgoing = models.ForeignKey(OutgoingDocument, null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="files")
    incoming = models.ForeignKey(IncomingDocument, null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="files")
    name = models.CharField("tên tệp", max_length=200)
    content_type = models.CharField(max_length=100, default="application/pdf")
    file = models.FileField(max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AgencyHeldQuerySet.as_manager()

    class Meta:
        ordering = ["id"]


class Direction(models.TextChoices):
    OUT = "out", "Gửi đi"
    IN = "in", "Nhận về"


class MessageKind(models.TextChoices):
    DOCUMENT = "document", "Gói văn bản"
    STATUS = "status", "Thông điệp trạng thái"


class ExchangeMessage(models.Model):
    """An edXML package or status message sent or received by an agency (the transport log:
    files to export, LGSP posts, imports)."""

    agency = models.ForeignKey("units.Agency", on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=8, choices=MessageKind.choices)
    document_id = models.CharField("DocumentId", max_length=120)
    from_code = models.CharField(max_length=40)
    to_code = models.CharField(max_length=40)
    status_code = models.CharField(max_length=4, blank=True)
    file = models.FileField(max_length=200)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.CharField(max_length=300, blank=True)
    objects = AgencyHeldQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["agency", "direction", "sha256"], name="corr_message_once")]
