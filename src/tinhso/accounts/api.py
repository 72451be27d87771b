"""Accounts API (``/api/v1/accounts``): who am I, registration, API tokens for admins."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from tinhso.accounts import selectors, services
from tinhso.accounts.models import AccountKind, ApiToken, User
from tinhso.core import ratelimit
from tinhso.core.api_schema import ErrorOut
from tinhso.core.errors import PermissionDenied

router = Router(tags=["accounts"])


class AgencyRef(Schema):
    id: int
    code: str
    name: str


class MeOut(Schema):
    id: int
    username: str
    kind: AccountKind
    full_name: str
    email: str
    agency: AgencyRef | None
    roles: list[str]


class UserOut(Schema):
    id: int
    username: str
    kind: AccountKind
    full_name: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    user_id: int
    username: str = Field(..., alias="user.username")
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="the secret; shown only in this response")


class TokenIn(Schema):
    name: str = Field(..., max_length=100)
    user_id: int | None = Field(None, description="owner of the token (default: yourself)")
    expires_at: dt.datetime | None = Field(None, description="ISO 8601 with offset")


class CitizenRegisterIn(Schema):
    full_name: str = Field(..., max_length=150)
    id_number: str = Field(..., max_length=32, json_schema_extra={"pattern": "^[0-9]{12}$"},
                           description="12-digit personal ID number")
    password: str = Field(..., max_length=128)
    email: str = Field(..., max_length=254)
    phone: str = Field("", max_length=20)


class OrganisationRegisterIn(Schema):
    name: str = Field(..., max_length=150)
    tax_code: str = Field(..., max_length=32,
                          json_schema_extra={"pattern": "^[0-9]{10}(-[0-9]{3})?$"},
                          description="10 digits, or 10-3 for a branch")
    password: str = Field(..., max_length=128)
    email: str = Field(..., max_length=254)



_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User):  # pragma: no cover - the router's auth guarantees it
        raise PermissionDenied()
    return user


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="Tài khoản của tôi / me")
def me(request: HttpRequest) -> dict:
    user = _user(request)
    agency = user.agency
    return {
        "id": user.pk, "username": user.username, "kind": user.kind,
        "full_name": user.full_name, "email": user.email,
        "agency": {"id": agency.pk, "code": agency.code, "name": agency.name} if agency else None,
        "roles": sorted(user.role_set),
    }


def _signup_rate(request: HttpRequest) -> None:
    """Self-registration per client address (shared with the portal's sign-up form)."""
    ratelimit.check_rate(ratelimit.signup_rate(), ratelimit.client_address(request))


@router.post("/register/citizen", auth=None, response={201: UserOut, **_ERRORS},
             summary="Công dân đăng ký tài khoản / citizen sign-up")
def register_citizen(request: HttpRequest, payload: CitizenRegisterIn) -> Status[User]:
    _signup_rate(request)
    user = services.citizen_register(full_name=payload.full_name, id_number=payload.id_number,
                                     password=payload.password, email=payload.email,
                                     phone=payload.phone)
    return Status(201, user)


@router.post("/register/organisation", auth=None, response={201: UserOut, **_ERRORS},
             summary="Tổ chức đăng ký tài khoản / organisation sign-up")
def register_organisation(request: HttpRequest, payload: OrganisationRegisterIn) -> Status[User]:
    _signup_rate(request)
    user = services.organisation_register(name=payload.name, tax_code=payload.tax_code,
                                          password=payload.password, email=payload.email)
    return Status(201, user)


@router.get("/tokens", response={200: list[TokenOut], 401: ErrorOut, 403: ErrorOut},
            summary="Danh sách mã truy cập API / list API tokens (admins)")
def list_tokens(request: HttpRequest) -> list[ApiToken]:
    return list(selectors.api_token_list(user=_user(request))[:1000])


@router.post("/tokens", response={201: TokenCreatedOut, **_ERRORS},
             summary="Tạo mã truy cập API / create an API token (admins)")
def create_token(request: HttpRequest, payload: TokenIn) -> Status[ApiToken]:
    acting = _user(request)
    owner = (acting if payload.user_id is None
             else selectors.user_get_managed(user=acting, user_id=payload.user_id))
    token, raw = services.api_token_create(acting_user=acting, user=owner, name=payload.name,
                                           expires_at=payload.expires_at)
    token.token = raw  # type: ignore[attr-defined]  # read by TokenCreatedOut, never stored
    return Status(201, token)


@router.delete("/tokens/{token_id}", response={204: None, 401: ErrorOut, 403: ErrorOut,
                                               404: ErrorOut},
               summary="Thu hồi mã truy cập API / revoke an API token (admins)")
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    acting = _user(request)
    services.api_token_revoke(acting_user=acting,
                              token=selectors.api_token_get(user=acting, token_id=token_id))
    return Status(204, None)


@router.post("/users/{user_id}/mfa-reset",
             response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Đặt lại xác thực hai lớp của cán bộ / reset an official's second factor "
                     "(admins)")
def reset_mfa(request: HttpRequest, user_id: int) -> Status[None]:
    """The official's authenticator and recovery codes are removed; they enrol again before
    their next session. Province admins: any official; agency admins: officials of their
    agency without a province-wide role; never one's own."""
    from tinhso.accounts import mfa

    acting = _user(request)
    mfa.reset(acting_user=acting, user=selectors.user_get_managed(user=acting, user_id=user_id))
    return Status(204, None)
