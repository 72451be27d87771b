"""Failed jobs in the admin: read-only, with a "retry" action (tinhso.jobs.services.job_retry)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tinhso.core.errors import DomainError
from tinhso.jobs.models import JobFailure
from tinhso.jobs.services import job_retry


@admin.register(JobFailure)
class JobFailureAdmin(admin.ModelAdmin):
    list_display = ["failed_at", "task_name", "error", "attempts", "retried_at"]
    list_filter = ["task_name", ("retried_at", admin.EmptyFieldListFilter)]
    search_fields = ["task_name", "error"]
    readonly_fields = [f.name for f in JobFailure._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Chạy lại / retry")
    def retry(self, request: HttpRequest, queryset: QuerySet[JobFailure]) -> None:
        done = 0
        for failure in queryset:
            try:
                job_retry(acting_user=request.user, failure_id=failure.pk)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{failure}: {exc.message_vi}", messages.WARNING)
        if done:
            self.message_user(request, f"Đã đưa {done} tác vụ vào hàng đợi / {done} job(s) "
                                       "queued again.", messages.SUCCESS)
