"""Feedback and petitions (phản ánh, kiến nghị) about a dossier or an agency.

Deadlines in working days from submission (DOMAIN §4): refuse within 2, request a supplement
within 5, handle within 15 (time waiting for the citizen's supplement excluded), publish the
result within 2 after handling. Every change writes an append-only FeedbackEvent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tinhso.feedback.querysets import FeedbackEventQuerySet, FeedbackQuerySet


class FeedbackKind(models.TextChoices):
    REFLECTION = "reflection", "Phản ánh"
    PETITION = "petition", "Kiến nghị"


class FeedbackStatus(models.TextChoices):
    NEW = "new", "Mới tiếp nhận"
    SUPPLEMENT_REQUESTED = "supplement_requested", "Yêu cầu bổ sung"
    PROCESSING = "processing", "Đang xử lý"
    REFUSED = "refused", "Từ chối tiếp nhận"
    RESOLVED = "resolved", "Đã xử lý"
    PUBLISHED = "published", "Đã công khai kết quả"


OPEN_STATUSES = frozenset({FeedbackStatus.NEW, FeedbackStatus.SUPPLEMENT_REQUESTED,
                           FeedbackStatus.PROCESSING})
HANDLED_STATUSES = frozenset({FeedbackStatus.RESOLVED, FeedbackStatus.PUBLISHED})


class FeedbackAction(models.TextChoices):
    SUBMIT = "submit", "Gửi phản ánh, kiến nghị"
    REFUSE = "refuse", "Từ chối tiếp nhận"
    REQUEST_SUPPLEMENT = "request_supplement", "Yêu cầu bổ sung"
    SUPPLEMENT = "supplement", "Bổ sung thông tin"
    RESOLVE = "resolve", "Xử lý, trả lời"
    PUBLISH = "publish", "Công khai kết quả"
    RATE = "rate", "Đánh giá"


class Feedback(models.Model):
    code = models.CharField("mã", max_length=40, unique=True)
    kind = models.CharField("loại", max_length=12, choices=FeedbackKind.choices)
    title = models.CharField("tiêu đề", max_length=300)
    content = models.TextField("nội dung")
    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan xử lý",
                               on_delete=models.PROTECT, related_name="feedback")
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name="hồ sơ liên quan", null=True,
                                blank=True, on_delete=models.PROTECT, related_name="feedback")
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người gửi", null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="feedback")
    submitter_name = models.CharField("họ tên người gửi", max_length=200)
    submitter_phone = models.CharField("điện thoại", max_length=20, blank=True)
    submitter_email = models.EmailField("thư điện tử", blank=True)
    # The citizen agrees that the question and the answer are published (without identity).
    allow_publish = models.BooleanField("đồng ý công khai", default=True)

    status = models.CharField("trạng thái", max_length=24, choices=FeedbackStatus.choices,
                              default=FeedbackStatus.NEW)
    submitted_at = models.DateTimeField("ngày gửi", db_index=True)
    refuse_due_at = models.DateTimeField("hạn từ chối")
    supplement_due_at = models.DateTimeField("hạn yêu cầu bổ sung")
    handle_due_at = models.DateTimeField("hạn xử lý")
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_office_seconds = models.BigIntegerField(null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(default=0)
    handled_at = models.DateTimeField("ngày xử lý xong / từ chối", null=True, blank=True)
    handled_on_time = models.BooleanField("đúng hạn", null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    resolution = models.TextField("kết quả xử lý", blank=True)
    refusal_reason = models.TextField("lý do từ chối", blank=True)
    publish_due_at = models.DateTimeField("hạn công khai", null=True, blank=True)
    published_at = models.DateTimeField("ngày công khai", null=True, blank=True)
    rating = models.SmallIntegerField("đánh giá", null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = "phản ánh, kiến nghị"
        verbose_name_plural = "phản ánh, kiến nghị"
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "status", "handle_due_at"], name="feedback_queue"),
            models.Index(fields=["agency", "submitted_at"], name="feedback_agency_submitted"),
            models.Index(fields=["dossier", "status"], name="feedback_dossier"),
            models.Index(fields=["submitter", "submitted_at"], name="feedback_submitter"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__in=[-1, 0, 1])
                                   | models.Q(rating__isnull=True), name="feedback_rating_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class AppendOnlyError(RuntimeError):
    pass


class FeedbackEvent(models.Model):
    feedback = models.ForeignKey(Feedback, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=24, choices=FeedbackAction.choices)
    from_status = models.CharField(max_length=24, blank=True, choices=FeedbackStatus.choices)
    to_status = models.CharField(max_length=24, choices=FeedbackStatus.choices)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    objects = FeedbackEventQuerySet.as_manager()

    class Meta:
        verbose_name = "sự kiện phản ánh"
        verbose_name_plural = "sự kiện phản ánh"
        ordering = ["feedback", "at", "id"]
        indexes = [models.Index(fields=["feedback", "at"], name="feedback_event_at")]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise AppendOnlyError("Feedback events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError("Feedback events are append-only.")
