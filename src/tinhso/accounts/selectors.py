"""Reads on accounts, scoped to what the asking user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from tinhso.accounts.models import AccountKind, ApiToken, User
from tinhso.accounts.permissions import ADMIN_ROLES, is_active_official, is_province_admin
from tinhso.core.errors import NotFound, PermissionDenied


def _is_admin(user: User) -> bool:
    """Province admins, and agency admins of an agency (the account screens' audience)."""
    return is_province_admin(user) or (
        is_active_official(user) and user.has_role(*ADMIN_ROLES) and user.agency_id is not None)


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """Tokens an admin may see: all for a province admin, their agency's for an agency admin."""
    if not _is_admin(user):
        raise PermissionDenied()
    return (ApiToken.objects.visible_to(user).select_related("user", "created_by")
            .order_by("-created_at", "-pk"))


def api_token_get(*, user: User, token_id: int) -> ApiToken:
    """One token the admin may see, else 404 (a token outside their scope does not exist)."""
    token = api_token_list(user=user).filter(pk=token_id).first()
    if token is None:
        raise NotFound("Không tìm thấy mã truy cập.", "API token not found.", {"id": token_id})
    return token


def official_list(*, user: User) -> QuerySet[User]:
    """Officials an admin manages: all for a province admin, their agency's for an agency admin."""
    if not _is_admin(user):
        raise PermissionDenied()
    return (User.objects.visible_to(user).filter(kind=AccountKind.OFFICIAL)
            .select_related("agency").order_by("username"))


def user_get_managed(*, user: User, user_id: int) -> User:
    """A user the admin may manage (officials of their scope; any user for a province admin)."""
    if is_province_admin(user):
        target = User.objects.visible_to(user).select_related("agency").filter(pk=user_id).first()
    else:
        target = official_list(user=user).filter(pk=user_id).first()
    if target is None:
        raise NotFound("Không tìm thấy tài khoản.", "User not found.", {"id": user_id})
    return target


def colleague_get(*, user: User, agency_id: int, username: str | None = None,
                  user_id: int | None = None) -> User | None:
    """An official of ``agency_id`` the user may see (to assign or forward a dossier to)."""
    qs = User.objects.visible_to(user).filter(kind=AccountKind.OFFICIAL, agency_id=agency_id)
    if username:
        return qs.filter(username=username).first()
    if user_id:
        return qs.filter(pk=user_id).first()
    return None


def colleagues_with_role(*, user: User, agency_id: int, role: str) -> QuerySet[User]:
    """Active officials of ``agency_id`` holding ``role``, as the user may see them."""
    return (User.objects.visible_to(user)
            .filter(kind=AccountKind.OFFICIAL, is_active=True, agency_id=agency_id,
                    role_assignments__role=role)
            .order_by("full_name", "username").distinct())


def user_get_visible(*, user: User, user_id: int) -> User | None:
    """Another account the user may see (themselves, colleagues; everyone for admins)."""
    return User.objects.visible_to(user).filter(pk=user_id).first()


def user_by_pk_for_sign_in(pk: int) -> User | None:
    """The account of a half-finished sign-in (its password already checked), if still
    active. Nobody is signed in yet, so there is no user to scope by: the session's own record
    of the password step is the authority."""
    return User._default_manager.filter(pk=pk, is_active=True).first()
