"""LGSP: the registry (members, subsystems, services, access rights, credentials) and the
verifiable message log (RFC 9162 leaves, stored subtree nodes, signed tree heads).

Identifiers follow X-Road: ``INSTANCE/CLASS/MEMBER/SUBSYSTEM`` for a client subsystem and
``INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`` for a service (see docs/lgsp.md).
"""

from __future__ import annotations

from django.db import models

from tinhso.lgsp.querysets import OperatorsQuerySet


class AppendOnlyError(RuntimeError):
    pass


class AppendOnly(models.Model):
    """Rows written once: the model refuses updates and deletes (``verify-log`` catches what
    goes around it, straight in the database)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")


class Member(models.Model):
    """An agency or system, inside or outside the province (an X-Road member)."""

    instance = models.CharField("X-Road instance", max_length=32)
    member_class = models.CharField("lớp thành viên", max_length=32)
    member_code = models.CharField("mã thành viên", max_length=64)
    name = models.CharField("tên", max_length=255)
    agency = models.ForeignKey("units.Agency", verbose_name="cơ quan", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="lgsp_members")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "thành viên LGSP"
        verbose_name_plural = "thành viên LGSP"
        ordering = ["instance", "member_class", "member_code"]
        permissions = [("operate_lgsp", "Vận hành LGSP: thành viên, dịch vụ, quyền truy cập")]
        constraints = [models.UniqueConstraint(fields=["instance", "member_class", "member_code"],
                                               name="lgsp_member_uniq")]

    def __str__(self) -> str:
        return f"{self.identifier} — {self.name}"

    @property
    def identifier(self) -> str:
        return f"{self.instance}/{self.member_class}/{self.member_code}"


class Subsystem(models.Model):
    """A client and/or provider information system of a member."""

    member = models.ForeignKey(Member, verbose_name="thành viên", on_delete=models.PROTECT,
                               related_name="subsystems")
    code = models.CharField("mã hệ thống", max_length=64)
    name = models.CharField("tên", max_length=255, blank=True)
    # Requests per window through the gateway as a client, like "600/m"; blank: the default.
    rate_limit = models.CharField("giới hạn tần suất", max_length=20, blank=True)
    is_active = models.BooleanField("đang hoạt động", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "hệ thống thành viên"
        verbose_name_plural = "hệ thống thành viên"
        ordering = ["member__instance", "member__member_class", "member__member_code", "code"]
        constraints = [models.UniqueConstraint(fields=["member", "code"],
                                               name="lgsp_subsystem_uniq")]

    def __str__(self) -> str:
        return self.identifier

    @property
    def identifier(self) -> str:
        return f"{self.member.identifier}/{self.code}"


class ServiceType(models.TextChoices):
    REST = "REST", "REST"
    OPENAPI = "OPENAPI", "OpenAPI 3"


class Service(models.Model):
    """A REST service a provider subsystem offers, mapped to its real URL."""

    subsystem = models.ForeignKey(Subsystem, verbose_name="hệ thống cung cấp",
                                  on_delete=models.PROTECT, related_name="services")
    code = models.CharField("mã dịch vụ", max_length=64)
    url = models.URLField("địa chỉ dịch vụ", max_length=500)
    openapi = models.TextField("tài liệu OpenAPI", blank=True)
    service_type = models.CharField("loại", max_length=10, choices=ServiceType.choices,
                                    default=ServiceType.REST)
    timeout_seconds = models.PositiveIntegerField("thời gian chờ (giây)", default=30)
    # The provider's own credential (an ``Authorization`` value), Fernet-encrypted at rest: the
    # gateway sends it instead of the client's, which is the gateway's credential only.
    provider_authorization_enc = models.BinaryField(blank=True, default=b"", editable=False)
    is_enabled = models.BooleanField("đang mở", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "dịch vụ LGSP"
        verbose_name_plural = "dịch vụ LGSP"
        ordering = ["subsystem_id", "code"]
        constraints = [models.UniqueConstraint(fields=["subsystem", "code"],
                                               name="lgsp_service_uniq")]

    def __str__(self) -> str:
        return self.identifier

    @property
    def identifier(self) -> str:
        return f"{self.subsystem.identifier}/{self.code}"


class AccessRight(models.Model):
    """Which client subsystem may call which service, with which method on which paths.

    ``method`` is an HTTP method or ``*``; ``path`` is an X-Road endpoint path where ``*`` matches
    one segment and a trailing ``**`` (the default) any rest, like ``/dossiers/*`` or ``**``.
    """

    client = models.ForeignKey(Subsystem, verbose_name="hệ thống sử dụng",
                               on_delete=models.CASCADE, related_name="access_rights")
    service = models.ForeignKey(Service, verbose_name="dịch vụ", on_delete=models.CASCADE,
                                related_name="access_rights")
    method = models.CharField("phương thức", max_length=10, default="*")
    path = models.CharField("đường dẫn", max_length=255, default="**")
    granted_at = models.DateTimeField(auto_now_add=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "quyền truy cập"
        verbose_name_plural = "quyền truy cập"
        ordering = ["client_id", "service_id", "method", "path"]
        constraints = [models.UniqueConstraint(fields=["client", "service", "method", "path"],
                                               name="lgsp_access_right_uniq")]

    def __str__(self) -> str:
        return f"{self.client} → {self.service} {self.method} {self.path}"


class ClientToken(models.Model):
    """A bearer token of a client subsystem, stored as SHA-256 only and shown once."""

    subsystem = models.ForeignKey(Subsystem, verbose_name="hệ thống", on_delete=models.CASCADE,
                                  related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField("tiền tố", max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("hết hạn", null=True, blank=True)
    revoked_at = models.DateTimeField("thu hồi lúc", null=True, blank=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "mã truy cập LGSP"
        verbose_name_plural = "mã truy cập LGSP"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subsystem} {self.prefix}…"


class ClientCertificate(models.Model):
    """A client TLS certificate (issued by the province's CA) bound to a client subsystem."""

    subsystem = models.ForeignKey(Subsystem, verbose_name="hệ thống", on_delete=models.CASCADE,
                                  related_name="certificates")
    certificate = models.OneToOneField("signatures.Certificate", verbose_name="chứng thư",
                                       on_delete=models.PROTECT, related_name="lgsp_client")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "chứng thư máy khách LGSP"
        verbose_name_plural = "chứng thư máy khách LGSP"

    def __str__(self) -> str:
        return f"{self.subsystem} {self.certificate.serial[:12]}…"


class RegistryEvent(AppendOnly):
    """Append-only audit of registry changes (who, when, what)."""

    action = models.CharField(max_length=40)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    target = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "nhật ký đăng ký LGSP"
        verbose_name_plural = "nhật ký đăng ký LGSP"
        ordering = ["-created_at"]


# --- The message log ---------------------------------------------------------------------------



class LogState(models.Model):
    """One row: the log's size. Appends lock it, so leaves are numbered by one writer, gap-free."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    tree_size = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "trạng thái nhật ký"


class LogEntry(AppendOnly):
    """One exchange through the gateway: leaf ``index`` of the Merkle tree.

    ``leaf_hash`` is RFC 9162's hash of ``messagelog.leaf_data(entry)`` (a canonical JSON of the
    other fields); ``verify-log`` recomputes both from the row.
    """

    index = models.PositiveBigIntegerField(unique=True)
    logged_at = models.DateTimeField()
    x_road_id = models.CharField(max_length=255)
    request_id = models.CharField(max_length=64)
    client = models.CharField(max_length=300)
    service = models.CharField(max_length=300)
    user_id = models.CharField(max_length=255, blank=True)
    issue = models.CharField(max_length=255, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    status = models.PositiveSmallIntegerField()
    error_type = models.CharField(max_length=100, blank=True)
    duration_ms = models.PositiveIntegerField()
    request_bytes = models.PositiveBigIntegerField()
    response_bytes = models.PositiveBigIntegerField()
    request_sha256 = models.CharField(max_length=64)
    response_sha256 = models.CharField(max_length=64)
    request_hash = models.CharField("X-Road-Request-Hash", max_length=100, blank=True)
    leaf_hash = models.BinaryField(max_length=32, db_index=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        verbose_name = "bản ghi trao đổi"
        verbose_name_plural = "nhật ký trao đổi"
        ordering = ["index"]
        indexes = [models.Index(fields=["x_road_id"], name="lgsp_log_xroad_id"),
                   models.Index(fields=["logged_at"], name="lgsp_log_logged_at")]


class LogBody(models.Model):
    """Request and response bodies, kept only when configured, encrypted at rest (Fernet)."""

    entry = models.OneToOneField(LogEntry, on_delete=models.CASCADE, related_name="body",
                                 primary_key=True)
    request_enc = models.BinaryField()
    response_enc = models.BinaryField()
    objects = OperatorsQuerySet.as_manager()


class LogNode(AppendOnly):
    """Hash of a complete aligned subtree (level >= 1), stored as its last leaf arrives."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="lgsp_node_uniq")]


class SignedTreeHead(AppendOnly):
    """RFC 9162 §4.10 signed tree head, plus an RFC 3161 time stamp of it by the platform's TSA."""

    tree_size = models.PositiveBigIntegerField()
    timestamp_ms = models.PositiveBigIntegerField()
    root_hash = models.BinaryField(max_length=32)
    signature = models.BinaryField()
    signature_algorithm = models.CharField(max_length=40)
    certificate_pem = models.TextField()
    timestamp_token = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "gốc cây đã ký"
        verbose_name_plural = "gốc cây đã ký"
        ordering = ["tree_size", "timestamp_ms"]
        indexes = [models.Index(fields=["tree_size"], name="lgsp_sth_size")]


class LogArchive(models.Model):
    """A closed period exported with its signed heads (leaves kept or pruned after)."""

    first_index = models.PositiveBigIntegerField()
    end_index = models.PositiveBigIntegerField()
    path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    objects = OperatorsQuerySet.as_manager()

    class Meta:
        ordering = ["first_index"]
