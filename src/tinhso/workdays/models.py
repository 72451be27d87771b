"""Overrides of the working-day calendar on top of weekends and the `holidays` VN table."""

from __future__ import annotations

from django.db import models


class OverrideKind(models.TextChoices):
    # A day that would be off (weekend, swapped holiday) is worked, e.g. a make-up Saturday.
    WORKING = "working", "Ngày làm việc (làm bù)"
    # A day that would be worked is off, e.g. a swapped day or a provincial day off.
    DAY_OFF = "day_off", "Ngày nghỉ"


class CalendarOverride(models.Model):
    date = models.DateField("ngày", unique=True)
    kind = models.CharField("loại", max_length=10, choices=OverrideKind.choices)
    reason = models.CharField("lý do", max_length=255)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    # Part of the cheap change stamp (count, max(updated_at)) that tells every process its
    # in-memory calendar is stale, including after an edit in place (see calendar.py).
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)

    class Meta:
        verbose_name = "điều chỉnh lịch làm việc"
        verbose_name_plural = "điều chỉnh lịch làm việc"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.get_kind_display()}"
