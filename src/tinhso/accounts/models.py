"""Accounts: applicants (citizens, organisations) and officials with their roles."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from tinhso.accounts.querysets import (
    ApiTokenQuerySet,
    AuditLogQuerySet,
    RecoveryCodeQuerySet,
    RoleAssignmentQuerySet,
    TotpDeviceQuerySet,
    UserManager,
)


class AccountKind(models.TextChoices):
    CITIZEN = "citizen", "Công dân"
    ORGANISATION = "organisation", "Tổ chức, doanh nghiệp"
    OFFICIAL = "official", "Cán bộ, công chức"


class Role(models.TextChoices):
    RECEIVER = "receiver", "Tiếp nhận"
    SPECIALIST = "specialist", "Chuyên viên"
    LEADER = "leader", "Lãnh đạo"
    CLERK = "clerk", "Văn thư"
    AGENCY_ADMIN = "agency_admin", "Quản trị cơ quan"
    PROVINCE_ADMIN = "province_admin", "Quản trị tỉnh"
    # Provincial leaders who watch the IOC dashboards: aggregated figures for the whole
    # province, but no access to individual dossiers outside their own agency.
    IOC_VIEWER = "ioc_viewer", "Lãnh đạo theo dõi IOC"


class User(AbstractUser):
    kind = models.CharField("loại tài khoản", max_length=20, choices=AccountKind.choices,
                            default=AccountKind.CITIZEN)
    full_name = models.CharField("họ và tên", max_length=150, blank=True)
    # Citizens: 12-digit personal identification number (số định danh cá nhân / CCCD).
    id_number = models.CharField("số định danh cá nhân", max_length=12, blank=True, db_index=True)
    # Organisations: tax code (mã số thuế), 10 digits or 10-3 for branches.
    tax_code = models.CharField("mã số thuế", max_length=14, blank=True, db_index=True)
    phone = models.CharField("điện thoại", max_length=20, blank=True)
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    agency = models.ForeignKey(
        "units.Agency", verbose_name="cơ quan", null=True, blank=True,
        on_delete=models.PROTECT, related_name="officials",
    )
    # Set when an administrator resets the second factor (accounts/mfa.reset): the official
    # must enrol an authenticator again before the next session, whatever their roles.
    mfa_enrol_required = models.BooleanField("phải đăng ký lại xác thực hai lớp", default=False,
                                             db_default=False)
    # Bumped to end every session the person has open (an administrator's reset of their
    # second factor): it enters the session's auth hash, which Django checks on each request.
    session_epoch = models.PositiveIntegerField("thế hệ phiên đăng nhập", default=0,
                                                db_default=0)
    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        verbose_name = "tài khoản"
        verbose_name_plural = "tài khoản"

    def get_session_auth_hash(self) -> str:
        """Django's hash (from the password) for epoch 0, so no session ends when this ships;
        any later epoch gives a different hash and the older sessions stop being accepted."""
        base = super().get_session_auth_hash()
        if not self.session_epoch:
            return base
        from django.utils.crypto import salted_hmac

        return salted_hmac("tinhso.accounts.session_epoch", f"{base}:{self.session_epoch}",
                           algorithm="sha256").hexdigest()

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_official(self) -> bool:
        return self.kind == AccountKind.OFFICIAL

    @property
    def role_set(self) -> frozenset[str]:
        """The user's roles, read once per request (cached on the instance)."""
        cached = getattr(self, "_role_cache", None)
        if cached is None:
            cached = frozenset(self.role_assignments.values_list("role", flat=True))
            self._role_cache = cached
        return cached

    def forget_roles(self) -> None:
        """Drop the cached role set (after a grant or revoke on this instance)."""
        self.__dict__.pop("_role_cache", None)

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))

    @property
    def is_province_admin(self) -> bool:
        return self.is_official and Role.PROVINCE_ADMIN in self.role_set


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, verbose_name="tài khoản", on_delete=models.CASCADE,
                             related_name="role_assignments")
    role = models.CharField("vai trò", max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField("ngày cấp", auto_now_add=True)
    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "vai trò"
        verbose_name_plural = "vai trò"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_user_uniq")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class ApiToken(models.Model):
    """A bearer token for an API client. Only its SHA-256 is stored; the secret is shown once."""

    user = models.ForeignKey(User, verbose_name="tài khoản", on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField("tên", max_length=100)
    prefix = models.CharField("tiền tố", max_length=12, db_index=True)
    key_hash = models.CharField("mã băm SHA-256", max_length=64, unique=True)
    created_by = models.ForeignKey(User, verbose_name="người tạo", null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("thời điểm tạo", auto_now_add=True)
    expires_at = models.DateTimeField("hết hạn lúc", null=True, blank=True)
    revoked_at = models.DateTimeField("thu hồi lúc", null=True, blank=True)
    last_used_at = models.DateTimeField("dùng lần cuối", null=True, blank=True)
    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "mã truy cập API"
        verbose_name_plural = "mã truy cập API"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditLog(models.Model):
    """Append-only audit of changes outside the dossier event log (accounts, tokens, catalogue),
    hash-chained when written (``accounts/auditchain.py``, ``tinhso audit verify``)."""

    # A default, not auto_now_add: the time is part of the row's hash, computed before saving.
    at = models.DateTimeField("thời điểm", default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, verbose_name="người thực hiện", null=True,
                              on_delete=models.SET_NULL, related_name="+")
    action = models.CharField("thao tác", max_length=60)
    object_type = models.CharField("loại đối tượng", max_length=60)
    object_id = models.CharField("mã đối tượng", max_length=60)
    data = models.JSONField("dữ liệu", default=dict, blank=True)
    # The chain: position, the previous row's hash, this row's hash, and the actor's id as
    # written (the foreign key is nulled if an account is ever deleted; the hash keeps this).
    seq = models.BigIntegerField("số thứ tự chuỗi", null=True, unique=True)
    prev_hash = models.CharField("mã băm dòng trước", max_length=64, blank=True, default="")
    row_hash = models.CharField("mã băm", max_length=64, blank=True, default="")
    actor_ref = models.CharField("mã người thực hiện", max_length=40, blank=True, default="")
    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = "nhật ký thay đổi"
        verbose_name_plural = "nhật ký thay đổi"
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("audit rows are append-only")
        from tinhso.accounts.auditchain import chain_and_save

        chain_and_save(self, lambda: super(AuditLog, self).save(*args, **kwargs))


class AuditChainHead(models.Model):
    """One row: the audit chain's last position and hash (what a writer links to)."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)


class TotpDevice(models.Model):
    """An official's authenticator app (RFC 6238 TOTP, 30 s, 6 digits). The shared secret is
    stored encrypted (``accounts/mfa.py``); ``last_step`` refuses a code used once already."""

    user = models.OneToOneField(User, verbose_name="tài khoản", on_delete=models.CASCADE,
                                related_name="totp_device")
    secret_encrypted = models.BinaryField("khoá bí mật (mã hoá)")
    created_at = models.DateTimeField("thời điểm tạo", auto_now_add=True)
    confirmed_at = models.DateTimeField("xác nhận lúc", null=True, blank=True)
    last_step = models.BigIntegerField("bước thời gian đã dùng", default=0)
    objects = TotpDeviceQuerySet.as_manager()

    class Meta:
        verbose_name = "ứng dụng xác thực"
        verbose_name_plural = "ứng dụng xác thực"


class RecoveryCode(models.Model):
    """A one-time recovery code; only its SHA-256 is stored (the codes are random, 50 bits)."""

    user = models.ForeignKey(User, verbose_name="tài khoản", on_delete=models.CASCADE,
                             related_name="recovery_codes")
    code_hash = models.CharField("mã băm", max_length=64, unique=True)
    used_at = models.DateTimeField("dùng lúc", null=True, blank=True)
    objects = RecoveryCodeQuerySet.as_manager()

    class Meta:
        verbose_name = "mã khôi phục"
        verbose_name_plural = "mã khôi phục"
