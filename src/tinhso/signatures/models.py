"""The provincial PKI: certificate authorities, holder certificates, requests, trust anchors.

Private keys the platform keeps are PKCS#8, encrypted with the PKI passphrase (see conf.py);
a key on a PKCS#11 token or behind a remote signer is only referenced, never stored.
Every lifecycle step writes a ``CertificateEvent`` (append-only) in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tinhso.signatures.querysets import (
    CertificateEventQuerySet,
    CertificateQuerySet,
    CertificateRequestQuerySet,
)


class KeyAlgorithm(models.TextChoices):
    EC_P256 = "ec-p256", "EC P-256"
    RSA_2048 = "rsa-2048", "RSA 2048"


class CAKind(models.TextChoices):
    ROOT = "root", "CA gốc"
    ISSUING = "issuing", "CA cấp phát"


class CertificateAuthority(models.Model):
    kind = models.CharField("loại", max_length=10, choices=CAKind.choices)
    name = models.CharField("tên", max_length=60, unique=True,
                            help_text="Tên ngắn dùng trong đường dẫn CRL, ví dụ root, issuing.")
    subject = models.CharField("chủ thể", max_length=500)
    parent = models.ForeignKey("self", verbose_name="CA cấp trên", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    key_algorithm = models.CharField("thuật toán khóa", max_length=12,
                                     choices=KeyAlgorithm.choices)
    certificate_pem = models.TextField("chứng thư (PEM)")
    key_pem = models.TextField("khóa bí mật (PKCS#8, đã mã hóa)")
    serial = models.CharField("số hiệu", max_length=40)
    fingerprint = models.CharField("vân tay SHA-256", max_length=64, unique=True)
    not_before = models.DateTimeField("hiệu lực từ")
    not_after = models.DateTimeField("hiệu lực đến")
    # The active issuing CA signs new certificates; retired ones still answer CRL/OCSP.
    is_active = models.BooleanField("đang dùng", default=True)
    crl_number = models.PositiveBigIntegerField("số CRL", default=0)
    crl_der = models.BinaryField("CRL mới nhất", null=True, blank=True, editable=False)
    crl_this_update = models.DateTimeField(null=True, blank=True)
    crl_next_update = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "tổ chức cấp chứng thư (CA)"
        verbose_name_plural = "tổ chức cấp chứng thư (CA)"
        ordering = ["kind", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"


class CertificateKind(models.TextChoices):
    PERSONAL = "personal", "Cá nhân"
    ORGANISATION = "organisation", "Tổ chức"
    SIM = "sim", "SIM (ký số từ xa)"
    # Certificates of the platform's own services (time-stamp authority); not counted in the IOC.
    SERVICE = "service", "Dịch vụ (TSA)"


class CertificateStatus(models.TextChoices):
    ACTIVE = "active", "Đang hoạt động"
    SUSPENDED = "suspended", "Tạm dừng"
    REVOKED = "revoked", "Thu hồi"
    EXPIRED = "expired", "Hết hạn"


class KeyStorage(models.TextChoices):
    SOFTWARE = "software", "Phần mềm (PKCS#8 mã hóa, xuất PKCS#12)"
    PKCS11 = "pkcs11", "Thiết bị HSM/token (PKCS#11)"
    REMOTE = "remote", "Ký số từ xa (SIM, đám mây)"
    EXTERNAL = "external", "Khóa do chủ thể giữ (CSR)"


class RevocationReason(models.TextChoices):
    """RFC 5280 reason codes, with the names ``cryptography.x509.ReasonFlags`` uses."""

    UNSPECIFIED = "unspecified", "Không nêu lý do"
    KEY_COMPROMISE = "key_compromise", "Lộ khóa bí mật"
    AFFILIATION_CHANGED = "affiliation_changed", "Thay đổi cơ quan, đơn vị"
    SUPERSEDED = "superseded", "Được thay thế"
    CESSATION_OF_OPERATION = "cessation_of_operation", "Ngừng hoạt động"
    PRIVILEGE_WITHDRAWN = "privilege_withdrawn", "Rút quyền"


# Named (not ``CertificateQuerySet.as_manager()``): Django names both that manager class and the
# market's "ManagerFromCertificateQuerySet", and mypy's Django plugin then mixes the two up.
CertificateManager = models.Manager.from_queryset(CertificateQuerySet, "CertificateManager")


class Certificate(models.Model):
    ca = models.ForeignKey(CertificateAuthority, verbose_name="CA cấp", on_delete=models.PROTECT,
                           related_name="certificates")
    kind = models.CharField("loại", max_length=14, choices=CertificateKind.choices)
    status = models.CharField("trạng thái", max_length=10, choices=CertificateStatus.choices,
                              default=CertificateStatus.ACTIVE)
    serial = models.CharField("số hiệu (hex)", max_length=40)
    subject = models.CharField("chủ thể", max_length=500)
    common_name = models.CharField("tên chủ thể", max_length=200)
    holder_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người giữ",
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="certificates")
    holder_agency = models.ForeignKey("units.Agency", verbose_name="cơ quan giữ", null=True,
                                      blank=True, on_delete=models.PROTECT,
                                      related_name="certificates")
    key_algorithm = models.CharField("thuật toán khóa", max_length=12)
    key_storage = models.CharField("nơi giữ khóa", max_length=10, choices=KeyStorage.choices,
                                   default=KeyStorage.SOFTWARE)
    key_pem = models.TextField("khóa bí mật (PKCS#8, đã mã hóa)", blank=True, editable=False)
    # PKCS#11: {"label", "id"}; remote: {"backend", "key_id"}.
    key_ref = models.JSONField("tham chiếu khóa", default=dict, blank=True)
    certificate_pem = models.TextField("chứng thư (PEM)")
    fingerprint = models.CharField("vân tay SHA-256", max_length=64, unique=True)
    not_before = models.DateTimeField("hiệu lực từ")
    not_after = models.DateTimeField("hiệu lực đến", db_index=True)
    suspended_at = models.DateTimeField("tạm dừng lúc", null=True, blank=True)
    revoked_at = models.DateTimeField("thu hồi lúc", null=True, blank=True)
    revocation_reason = models.CharField("lý do thu hồi", max_length=30, blank=True,
                                         choices=RevocationReason.choices)
    renewed_from = models.ForeignKey("self", verbose_name="gia hạn từ", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="renewals")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = CertificateManager()

    class Meta:
        verbose_name = "chứng thư số"
        verbose_name_plural = "chứng thư số"
        ordering = ["-created_at"]
        permissions = [("operate_ca", "Vận hành CA: cấp, tạm dừng, thu hồi chứng thư số")]
        constraints = [
            models.UniqueConstraint(fields=["ca", "serial"], name="certificate_ca_serial_uniq"),
        ]
        indexes = [
            models.Index(fields=["kind", "status"], name="certificate_kind_status"),
            models.Index(fields=["holder_user", "status"], name="certificate_holder_user"),
            models.Index(fields=["holder_agency", "status"], name="certificate_holder_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.serial[:12]}…)"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Chờ duyệt"
    ISSUED = "issued", "Đã cấp"
    REJECTED = "rejected", "Từ chối"


class CertificateRequest(models.Model):
    kind = models.CharField("loại", max_length=14, choices=CertificateKind.choices)
    status = models.CharField("trạng thái", max_length=10, choices=RequestStatus.choices,
                              default=RequestStatus.PENDING)
    holder_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người giữ",
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="certificate_requests")
    holder_agency = models.ForeignKey("units.Agency", verbose_name="cơ quan giữ", null=True,
                                      blank=True, on_delete=models.PROTECT,
                                      related_name="certificate_requests")
    common_name = models.CharField("tên chủ thể", max_length=200)
    key_algorithm = models.CharField("thuật toán khóa", max_length=12,
                                     choices=KeyAlgorithm.choices, default=KeyAlgorithm.EC_P256)
    key_storage = models.CharField("nơi giữ khóa", max_length=10, choices=KeyStorage.choices,
                                   default=KeyStorage.SOFTWARE)
    csr_pem = models.TextField("CSR (PEM)", blank=True)
    key_ref = models.JSONField("tham chiếu khóa", default=dict, blank=True)
    validity_days = models.PositiveIntegerField("thời hạn (ngày)", default=730)
    note = models.TextField("ghi chú", blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    certificate = models.OneToOneField(Certificate, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="request")
    objects = CertificateRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "yêu cầu cấp chứng thư"
        verbose_name_plural = "yêu cầu cấp chứng thư"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.get_status_display()})"


class TrustAnchor(models.Model):
    """An imported external root (e.g. the national root CA) trusted for verification."""

    name = models.CharField("tên", max_length=200)
    subject = models.CharField("chủ thể", max_length=500)
    certificate_pem = models.TextField("chứng thư (PEM)")
    fingerprint = models.CharField("vân tay SHA-256", max_length=64, unique=True)
    not_after = models.DateTimeField("hiệu lực đến")
    is_active = models.BooleanField("đang tin cậy", default=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "chứng thư gốc tin cậy"
        verbose_name_plural = "chứng thư gốc tin cậy"

    def __str__(self) -> str:
        return self.name


class CertificateAction(models.TextChoices):
    CA_INIT = "ca_init", "Khởi tạo CA"
    REQUEST = "request", "Yêu cầu cấp"
    ISSUE = "issue", "Cấp"
    RENEW = "renew", "Gia hạn"
    SUSPEND = "suspend", "Tạm dừng"
    REINSTATE = "reinstate", "Khôi phục"
    REVOKE = "revoke", "Thu hồi"
    REJECT = "reject", "Từ chối yêu cầu"
    EXPORT_PKCS12 = "export_pkcs12", "Xuất PKCS#12"
    ANCHOR_IMPORT = "anchor_import", "Nhập chứng thư gốc"
    CRL_PUBLISH = "crl_publish", "Phát hành CRL"


class AppendOnlyError(RuntimeError):
    pass


class CertificateEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=CertificateAction.choices)
    certificate = models.ForeignKey(Certificate, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="events")
    ca = models.ForeignKey(CertificateAuthority, null=True, blank=True,
                           on_delete=models.PROTECT, related_name="events")
    request = models.ForeignKey(CertificateRequest, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="events")
    anchor = models.ForeignKey(TrustAnchor, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    objects = CertificateEventQuerySet.as_manager()

    class Meta:
        verbose_name = "sự kiện chứng thư"
        verbose_name_plural = "sự kiện chứng thư"
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise AppendOnlyError("Certificate events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError("Certificate events are append-only.")


class CscSandboxBehaviour(models.TextChoices):
    """How the sandbox's simulated holder and service answer (to rehearse failures)."""

    APPROVE = "approve", "Người ký xác nhận"
    REFUSE = "refuse", "Người ký từ chối trên điện thoại"
    BAD_SIGNATURE = "bad-signature", "Trả về chữ ký sai (dịch vụ lỗi)"


class CscSandboxCredential(models.Model):
    """A key held by the local CSC sandbox (``csc_sandbox.py``), development only.

    The sandbox plays an outside signing service, so it keeps its own copy of the key and the
    certificate chain, as that service would; the platform only has a ``Certificate`` row with
    ``key_ref = {"backend": "csc", "key_id": credential_id}``. A table rather than a key file:
    it survives restarts, serves several worker processes without file locking, and tests
    roll it back with the rest of the database.
    """

    credential_id = models.CharField("mã credential", max_length=64, unique=True)
    description = models.CharField("mô tả", max_length=200, blank=True)
    key_algorithm = models.CharField("thuật toán khóa", max_length=12,
                                     choices=KeyAlgorithm.choices)
    key_pem = models.TextField("khóa bí mật (PKCS#8, đã mã hóa)", editable=False)
    certificates_pem = models.TextField("chuỗi chứng thư (PEM, chứng thư người ký trước)")
    behaviour = models.CharField("hành vi", max_length=16, choices=CscSandboxBehaviour.choices,
                                 default=CscSandboxBehaviour.APPROVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "credential của sandbox CSC"
        verbose_name_plural = "credential của sandbox CSC"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.credential_id
