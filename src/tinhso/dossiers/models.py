"""Dossiers (hồ sơ) of the one-stop mechanism and their append-only event log."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tinhso.dossiers.querysets import (
    DossierPartQuerySet,
    DossierQuerySet,
    IdempotencyRecordQuerySet,
)


class Channel(models.IntegerChoices):
    """KenhThucHien of the national portal."""

    DIRECT = 1, "Trực tiếp"
    ONLINE = 2, "Trực tuyến"
    POSTAL = 3, "Bưu chính công ích"


class Status(models.IntegerChoices):
    """TrangThaiHoSo of the national portal (DOMAIN §3)."""

    NEW = 1, "Mới đăng ký"
    RECEIVED = 2, "Đã tiếp nhận"
    REFUSED = 3, "Không tiếp nhận"
    PROCESSING = 4, "Đang xử lý"
    SUPPLEMENT_REQUESTED = 5, "Yêu cầu bổ sung"
    PAYMENT_REQUESTED = 6, "Yêu cầu thực hiện nghĩa vụ tài chính"
    WITHDRAWN = 7, "Công dân yêu cầu rút hồ sơ"
    STOPPED = 8, "Dừng xử lý"
    PROCESSED = 9, "Đã xử lý xong"
    RETURNED = 10, "Đã trả kết quả"


# Statuses after which the dossier's processing has ended (766: end of processing).
END_OF_PROCESSING = frozenset({Status.REFUSED, Status.STOPPED, Status.PROCESSED, Status.RETURNED})
CLOSED = frozenset({Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED})


class Action(models.TextChoices):
    """What a dossier event records. Bulk paths (import, generator) use the same vocabulary."""

    SUBMIT = "submit", "Nộp hồ sơ trực tuyến"
    CREATE_DIRECT = "create_direct", "Tiếp nhận trực tiếp"
    RECEIVE = "receive", "Tiếp nhận"
    REFUSE = "refuse", "Từ chối tiếp nhận"
    REQUEST_SUPPLEMENT = "request_supplement", "Yêu cầu bổ sung"
    SUPPLEMENT = "supplement", "Bổ sung hồ sơ"
    ASSIGN = "assign", "Phân công"
    FORWARD = "forward", "Chuyển bước"
    RETURN_TO_STEP = "return_to_step", "Trả về bước trước"
    REQUEST_PAYMENT = "request_payment", "Yêu cầu thanh toán"
    PAY = "pay", "Thanh toán"
    APPROVE = "approve", "Phê duyệt, hoàn thành xử lý"
    RETURN_RESULT = "return_result", "Trả kết quả"
    WITHDRAW = "withdraw", "Rút hồ sơ"
    STOP = "stop", "Dừng xử lý"
    APOLOGIZE = "apologize", "Xin lỗi, hẹn lại ngày trả"
    RATE = "rate", "Đánh giá"
    IMPORT = "import", "Nhập từ hệ thống cũ"


class ApplicantKind(models.TextChoices):
    CITIZEN = "citizen", "Công dân"
    ORGANISATION = "organisation", "Tổ chức"


class Dossier(models.Model):
    code = models.CharField("mã hồ sơ", max_length=60, unique=True)
    procedure = models.ForeignKey("catalog.Procedure", verbose_name="thủ tục",
                                  on_delete=models.PROTECT, related_name="dossiers")
    # No one-column indexes on agency, applicant and assignee: the composite indexes in Meta
    # start with them and answer the same lookups; each extra index is written on every
    # intake and on every row of an import (decision 0031).
    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan tiếp nhận",
                               on_delete=models.PROTECT, related_name="dossiers",
                               db_index=False)
    # Unit of the agency at reception: history keeps its unit after the 2025 reform.
    unit = models.ForeignKey("units.AdminUnit", verbose_name="đơn vị hành chính",
                             on_delete=models.PROTECT, related_name="dossiers")
    channel = models.PositiveSmallIntegerField("kênh", choices=Channel.choices)
    status = models.PositiveSmallIntegerField("trạng thái", choices=Status.choices,
                                              default=Status.NEW)

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="dossiers",
                                  db_index=False)
    applicant_kind = models.CharField("loại người nộp", max_length=20,
                                      choices=ApplicantKind.choices)
    applicant_id_number = models.CharField("số định danh / mã số thuế", max_length=14)
    applicant_name = models.CharField("người nộp", max_length=200)
    applicant_phone = models.CharField("điện thoại", max_length=20, blank=True)
    applicant_email = models.EmailField("thư điện tử", blank=True)
    applicant_address = models.CharField("địa chỉ", max_length=255, blank=True)
    form_data = models.JSONField("dữ liệu tờ khai", default=dict, blank=True)

    submitted_at = models.DateTimeField("ngày nộp", null=True, blank=True)
    received_at = models.DateTimeField("ngày tiếp nhận", null=True, blank=True, db_index=True)
    # due_at: the return date promised now (a late dossier's apology, form 04, moves it).
    # original_due_at: the legal appointment — set at reception and shifted only by supplement
    # pauses, never by an apology; the 766 on-time rule compares the end of processing with it.
    due_at = models.DateTimeField("hẹn trả", null=True, blank=True)
    original_due_at = models.DateTimeField("hẹn trả theo quy định", null=True, blank=True)
    finished_at = models.DateTimeField("kết thúc xử lý", null=True, blank=True)
    returned_at = models.DateTimeField("ngày trả kết quả", null=True, blank=True)
    # Supplement pause accounting: office seconds left to the deadline when the clock stopped.
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_office_seconds = models.BigIntegerField(null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(default=0)
    apology_count = models.PositiveSmallIntegerField(default=0)
    # No "apologised" flag: an apology (form 04) moves due_at into the future, and
    # services._common.require_not_late lets a dossier continue exactly when now <= due_at.

    current_step = models.PositiveSmallIntegerField(null=True, blank=True)
    # Role of the current step, kept beside the index so work queues filter without a join.
    current_role = models.CharField(max_length=20, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_dossiers",
                                 db_index=False)

    fee_amount = models.PositiveBigIntegerField("phí, lệ phí", default=0)
    paid_online = models.BooleanField("thanh toán trực tuyến", default=False)
    result_electronic = models.BooleanField("kết quả điện tử", default=False)
    components_digitized = models.BooleanField("đã số hóa thành phần", default=False)
    rating = models.SmallIntegerField("đánh giá", null=True, blank=True)
    is_imported = models.BooleanField("nhập từ hệ thống cũ", default=False)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = "hồ sơ"
        verbose_name_plural = "hồ sơ"
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="dossier_agency_queue"),
            models.Index(fields=["agency", "received_at"], name="dossier_agency_received"),
            models.Index(fields=["applicant", "created_at"], name="dossier_applicant"),
            models.Index(fields=["applicant_id_number"], name="dossier_applicant_idno"),
            models.Index(fields=["assignee", "status"], name="dossier_assignee"),
            models.Index(fields=["agency", "current_role", "status"], name="dossier_agency_role"),
            # Province-wide queues (province admins, IOC drill-down) ordered by due time.
            models.Index(fields=["status", "due_at"], name="dossier_status_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__in=[-1, 0, 1]) |
                                   models.Q(rating__isnull=True), name="dossier_rating_valid"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class DossierStep(models.Model):
    """One step of the procedure's process as run for this dossier."""

    # Indexed by (dossier, index) in Meta, which answers the lookups by dossier too.
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps",
                                db_index=False)
    index = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=20)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    objects = DossierPartQuerySet.as_manager()

    class Meta:
        ordering = ["dossier", "started_at", "id"]
        indexes = [models.Index(fields=["dossier", "index"])]


class AppendOnlyError(RuntimeError):
    pass


class DossierEvent(models.Model):
    """Append-only: who did what, when, from which status to which, under which deadline."""

    # Indexed by (dossier, at) in Meta, which answers the lookups by dossier too.
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events",
                                db_index=False)
    at = models.DateTimeField(db_index=True)
    # Partial index in Meta: imported and system events have no actor, and a million
    # NULL entries a year would serve no lookup.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", db_index=False)
    action = models.CharField(max_length=40, choices=Action.choices)
    from_status = models.PositiveSmallIntegerField(null=True, blank=True,
                                                   choices=Status.choices)
    to_status = models.PositiveSmallIntegerField(choices=Status.choices)
    note = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    objects = DossierPartQuerySet.as_manager()

    class Meta:
        verbose_name = "sự kiện hồ sơ"
        verbose_name_plural = "sự kiện hồ sơ"
        ordering = ["dossier", "at", "id"]
        indexes = [models.Index(fields=["dossier", "at"], name="event_dossier_at"),
                   models.Index(fields=["actor"], name="event_actor",
                                condition=models.Q(actor__isnull=False))]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise AppendOnlyError("Dossier events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError("Dossier events are append-only.")


class AttachmentKind(models.TextChoices):
    COMPONENT = "component", "Thành phần hồ sơ"
    SUPPLEMENT = "supplement", "Bổ sung"
    RESULT = "result", "Kết quả"
    DOCUMENT = "document", "Phiếu, biểu mẫu"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The content hash names the file: no personal data in paths, duplicates share nothing.
    return f"dossiers/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="attachments")
    component = models.ForeignKey("catalog.ProcedureComponent", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=AttachmentKind.choices,
                            default=AttachmentKind.COMPONENT)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    objects = DossierPartQuerySet.as_manager()

    class Meta:
        verbose_name = "tệp đính kèm"
        verbose_name_plural = "tệp đính kèm"


class DailySequence(models.Model):
    """Gap-free daily counter per agency for dossier codes (locked row per agency and day)."""

    agency = models.ForeignKey("units.Agency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="daily_sequence_uniq")
        ]


class IdempotencyRecord(models.Model):
    """Remembers an online submission's Idempotency-Key so a retry returns the same dossier."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = IdempotencyRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_uniq")
        ]


class DossierTransfer(models.Model):
    """An open dossier moved from an abolished agency's desk to its successor (the 2025
    reform: dossiers caught at an old desk on 1 July 2025). The dossier keeps its code, its
    deadlines and its event log; this row is the record of the move (who, when, from, to)."""

    dossier = models.ForeignKey(Dossier, verbose_name="hồ sơ", on_delete=models.PROTECT,
                                related_name="transfers")
    from_agency = models.ForeignKey("units.Agency", verbose_name="cơ quan cũ",
                                    on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey("units.Agency", verbose_name="cơ quan kế nhiệm",
                                  on_delete=models.PROTECT, related_name="+")
    status = models.PositiveSmallIntegerField("trạng thái khi chuyển", choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người thực hiện",
                              null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField("thời điểm chuyển")
    objects = DossierPartQuerySet.as_manager()

    class Meta:
        verbose_name = "chuyển hồ sơ sang cơ quan kế nhiệm"
        verbose_name_plural = "chuyển hồ sơ sang cơ quan kế nhiệm"
        ordering = ["dossier", "at", "id"]
        constraints = [
            # A dossier leaves a given desk once: a re-run or a racing run moves nothing twice.
            models.UniqueConstraint(fields=["dossier", "from_agency"],
                                    name="dossier_transfer_once_per_desk"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.from_agency_id} → {self.to_agency_id}"
