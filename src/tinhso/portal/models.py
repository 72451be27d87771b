"""Portal-only data: drafts of online submissions and linked OpenID Connect identities."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from tinhso.portal.querysets import DraftFileQuerySet, DraftQuerySet, OidcIdentityQuerySet


class Draft(models.Model):
    """A dossier being prepared online (hồ sơ nháp), kept until it is submitted or deleted.

    The id is a random UUID, so a draft's URL reveals nothing and cannot be guessed; every view
    still checks the owner.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="portal_drafts")
    procedure = models.ForeignKey("catalog.Procedure", verbose_name="thủ tục",
                                  on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan tiếp nhận", null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="+")
    form_data = models.JSONField("dữ liệu tờ khai", default=dict, blank=True)
    # Contact details sent with the dossier (phone, e-mail, address).
    contact = models.JSONField(default=dict, blank=True)
    completed_steps = models.JSONField(default=list, blank=True)
    # Set once submitted: a repeated submit (double click, back button) finds the dossier.
    dossier_code = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    objects = DraftQuerySet.as_manager()

    class Meta:
        verbose_name = "hồ sơ nháp"
        verbose_name_plural = "hồ sơ nháp"
        indexes = [models.Index(fields=["owner", "updated_at"], name="draft_owner_updated")]

    def __str__(self) -> str:
        return f"{self.procedure} ({self.updated_at:%d/%m/%Y})"


def draft_file_path(instance: DraftFile, filename: str) -> str:
    # A random name: no personal data (file names often carry the applicant's name) in paths.
    return f"drafts/{uuid.uuid4().hex}"


class DraftFile(models.Model):
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="files")
    component = models.ForeignKey("catalog.ProcedureComponent", on_delete=models.CASCADE,
                                  related_name="+")
    file = models.FileField(upload_to=draft_file_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    objects = DraftFileQuerySet.as_manager()

    class Meta:
        verbose_name = "tệp của hồ sơ nháp"
        verbose_name_plural = "tệp của hồ sơ nháp"
        ordering = ["uploaded_at", "id"]


class OidcIdentity(models.Model):
    """A user's account at an OpenID Connect provider (issuer + subject), linked once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="oidc_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    objects = OidcIdentityQuerySet.as_manager()

    class Meta:
        verbose_name = "định danh OpenID Connect"
        verbose_name_plural = "định danh OpenID Connect"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"],
                                               name="oidc_issuer_subject_uniq")]
