"""The national portal's sync log (one row per dossier lifecycle step) and catalogue syncs."""

from __future__ import annotations

from django.db import models

from tinhso.webhooks.querysets import OperatorsQuerySet


class SyncState(models.TextChoices):
    PENDING = "pending", "Chờ đồng bộ"
    ACKNOWLEDGED = "acknowledged", "Cổng quốc gia đã nhận"


class PortalSync(models.Model):
    """One dossier lifecycle step to report to the national portal, in its status code
    (``TrangThaiHoSo``, decision 0001). Retried until the portal acknowledges it."""

    event_id = models.UUIDField(unique=True)
    outbox_id = models.BigIntegerField()
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE,
                                related_name="+")
    dossier_code = models.CharField(max_length=60)
    agency_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=30)
    national_status = models.PositiveSmallIntegerField("TrangThaiHoSo")
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=12, choices=SyncState.choices,
                             default=SyncState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "đồng bộ trạng thái lên Cổng DVC quốc gia"
        verbose_name_plural = "nhật ký đồng bộ Cổng DVC quốc gia"
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="portal_sync_due"),
                   models.Index(fields=["occurred_at"], name="portal_sync_at")]

    def __str__(self) -> str:
        return f"{self.dossier_code} → {self.national_status} ({self.state})"


class CatalogueSync(models.Model):
    """One comparison of the local procedure catalogue with the national one."""

    at = models.DateTimeField()
    national_count = models.PositiveIntegerField(default=0)
    local_count = models.PositiveIntegerField(default=0)
    missing_locally = models.JSONField(default=list)
    missing_nationally = models.JSONField(default=list)
    name_differs = models.JSONField(default=list)
    error = models.CharField(max_length=300, blank=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "đồng bộ danh mục thủ tục"
        verbose_name_plural = "đồng bộ danh mục thủ tục"
