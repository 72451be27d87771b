"""Jobs that failed for good (after their last retry), with their error, for operators."""

from __future__ import annotations

from django.db import models


class JobFailure(models.Model):
    task_name = models.CharField("tác vụ", max_length=200)
    task_id = models.CharField(max_length=64)
    args = models.JSONField("tham số", default=list)
    kwargs = models.JSONField(default=dict)
    error = models.TextField("lỗi")
    traceback = models.TextField(blank=True)
    attempts = models.PositiveIntegerField("số lần chạy", default=1)
    failed_at = models.DateTimeField("thời điểm lỗi", db_index=True)
    retried_at = models.DateTimeField("đã chạy lại lúc", null=True, blank=True)

    class Meta:
        verbose_name = "tác vụ lỗi"
        verbose_name_plural = "tác vụ lỗi"
        ordering = ["-failed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.failed_at:%Y-%m-%d %H:%M})"
