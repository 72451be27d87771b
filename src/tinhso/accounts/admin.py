"""Admin for accounts (Vietnamese labels). Tokens and the audit log are read-only here:
tokens are created through the API (the secret is shown once) and revoked by an admin action
that goes through the service."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from tinhso.accounts.models import AccountKind, ApiToken, AuditLog, Role, RoleAssignment, User
from tinhso.accounts.permissions import (
    PROVINCE_WIDE_ROLES,
    can_grant_role,
    can_manage_user,
    is_active_official,
    is_province_admin,
)
from tinhso.accounts.services import api_token_revoke, audit_log_write
from tinhso.core.errors import DomainError


def _unrestricted(request: HttpRequest) -> bool:
    """Superusers and province admins see and manage every account in the admin; anyone else
    with staff access (an agency admin) only the officials of their own agency, as in the API
    (``permissions.can_manage_user``)."""
    user = request.user
    return bool(getattr(user, "is_superuser", False) and user.is_active) \
        or is_province_admin(user)


class RoleGrantFormSet(BaseInlineFormSet):
    """Refuses a role the acting admin may not grant (``permissions.can_grant_role``)."""

    request: HttpRequest

    def clean(self) -> None:
        super().clean()
        if getattr(self.request.user, "is_superuser", False):
            return
        if self.instance.pk is None and not _unrestricted(self.request):
            # A new account of an agency admin: save_model makes it an official of their agency.
            self.instance.kind = AccountKind.OFFICIAL
            self.instance.agency_id = getattr(self.request.user, "agency_id", None)
        for form in self.forms:
            if not form.has_changed() and not form.cleaned_data.get("DELETE"):
                continue
            # A role taken away needs the same right as one given (as ``role_revoke``).
            touched = {str(r) for r in (form.initial.get("role"), form.cleaned_data.get("role"))
                       if r}
            for role in sorted(touched):
                if can_grant_role(self.request.user, self.instance, role):
                    continue
                raise ValidationError(
                    f"Bạn không được cấp hoặc bỏ vai trò {role} của tài khoản này / "
                    f"you may not grant or revoke the role {role} of this account",
                    code="ROLE_GRANT_FORBIDDEN")


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    formset = RoleGrantFormSet
    extra = 0
    fields = ("role", "granted_at")
    readonly_fields = ("granted_at",)
    verbose_name = "vai trò"
    verbose_name_plural = "vai trò"

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        return type("RoleGrantFormSetFor", (formset,), {"request": request})


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = (RoleAssignmentInline,)
    list_display = ("username", "full_name", "kind", "agency", "is_active", "is_staff")
    list_filter = ("kind", "is_active", "is_staff", "role_assignments__role")
    search_fields = ("username", "full_name", "email", "id_number", "tax_code")
    autocomplete_fields = ("agency",)
    list_select_related = ("agency",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Thông tin cá nhân", {"fields": ("kind", "full_name", "email", "phone", "address",
                                          "id_number", "tax_code")}),
        ("Cơ quan", {"fields": ("agency",)}),
        ("Quyền", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Thời gian", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "kind", "full_name", "agency", "password1", "password2")}),
    )

    actions = ("mfa_reset",)
    # Only a superuser changes who is staff or superuser; an agency admin's new accounts
    # belong to their agency (save_model).
    restricted_readonly = ("is_staff", "is_superuser", "agency", "kind")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request)
        if _unrestricted(request):
            return queryset
        agency_id = getattr(request.user, "agency_id", None)
        acting = request.user
        if agency_id is None or not (isinstance(acting, User) and is_active_official(acting)
                                     and acting.has_role(Role.AGENCY_ADMIN)):
            return queryset.none()
        return (queryset.filter(kind=AccountKind.OFFICIAL, agency_id=agency_id,
                                is_superuser=False)
                .exclude(role_assignments__role__in=PROVINCE_WIDE_ROLES))

    def _may_manage(self, request: HttpRequest, obj: User | None) -> bool:
        return obj is None or _unrestricted(request) or can_manage_user(request.user, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._may_manage(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_manage(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_manage(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if getattr(request.user, "is_superuser", False):
            return fields
        if _unrestricted(request):  # a province admin: every agency, but no staff flags
            return (*fields, "is_staff", "is_superuser")
        return (*fields, *self.restricted_readonly)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None and not _unrestricted(request):
            # The agency and kind are set by save_model: ask only for the account itself.
            return ((None, {"classes": ("wide",),
                            "fields": ("username", "full_name", "password1", "password2")}),)
        return super().get_fieldsets(request, obj)

    @admin.action(description="Đặt lại xác thực hai lớp (cán bộ phải đăng ký lại khi đăng nhập)")
    def mfa_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        from tinhso.accounts import mfa

        for user in queryset.select_related("agency"):
            try:
                mfa.reset(acting_user=cast(User, request.user), user=user, via="admin")
            except DomainError as exc:
                self.message_user(request, f"{user.username}: {exc.message_vi}", messages.ERROR)
            else:
                self.message_user(request, f"{user.username}: đã đặt lại xác thực hai lớp; "
                                  "cán bộ sẽ đăng ký lại ở lần đăng nhập tới.", messages.SUCCESS)

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        if not change and not _unrestricted(request):
            obj.kind = AccountKind.OFFICIAL
            obj.agency_id = getattr(request.user, "agency_id", None)
        super().save_model(request, obj, form, change)
        # Never log the password, even hashed.
        fields = sorted(f for f in form.changed_data if "password" not in f)
        audit_log_write(actor=cast(User, request.user),
                        action="admin_change" if change else "admin_add",
                        object_type="user", object_id=obj.pk, data={"fields": fields})

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet,
                     change: bool) -> None:
        before = set(form.instance.role_assignments.values_list("role", flat=True))
        super().save_formset(request, form, formset, change)
        after = set(form.instance.role_assignments.values_list("role", flat=True))
        for role in sorted(after - before):
            audit_log_write(actor=cast(User, request.user), action="role_grant", object_type="user",
                            object_id=form.instance.pk, data={"role": role, "via": "admin"})
        for role in sorted(before - after):
            audit_log_write(actor=cast(User, request.user), action="role_revoke",
                            object_type="user", object_id=form.instance.pk,
                            data={"role": role, "via": "admin"})


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "created_by", "created_at", "expires_at",
                    "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user", "created_by")
    readonly_fields = ("user", "name", "prefix", "key_hash", "created_by", "created_at",
                       "expires_at", "revoked_at", "last_used_at")
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Thu hồi các mã truy cập đã chọn")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        done = 0
        for token in queryset:
            try:
                api_token_revoke(acting_user=cast(User, request.user), token=token)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{token}: {exc.message_vi}", messages.ERROR)
        self.message_user(request, f"Đã thu hồi {done} mã truy cập.")


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor__username", "action")
    list_select_related = ("actor",)
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
