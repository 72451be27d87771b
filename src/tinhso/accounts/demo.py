"""Demo accounts for the Bình Phước demo province.

The passwords below are for demonstration only: they are printed by ``tinhso demo_accounts`` and
``make run``. Never load them into a production database (``load_demo_accounts`` refuses when
``TINHSO_PRODUCTION`` is set).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from tinhso.accounts.models import AccountKind, AuditLog, Role, RoleAssignment, User
from tinhso.accounts.validators import validate_id_number, validate_tax_code
from tinhso.units.demo import (
    CURRENT_COMMUNE_LEVEL2,
    current_agency_code,
)
from tinhso.units.models import Agency

DEMO_PASSWORD = "Demo@2025"  # demo only — documented in docs/accounts.md

# Demo officials work in the structure in force (2-level Đồng Nai, from 1 July 2025): Sở Tư
# pháp, the provincial centre and committee of Đồng Nai, and UBND phường Bình Phước — the ward
# that took over the old wards of Đồng Xoài, Tân Phú among them, whose officials moved with it
# (the usernames tanphu.* are kept). Phường Bình Phước is the 1st commune of Đồng Nai by GSO
# code (25195 — see tinhso.units.demo._current_agency_specs).
PROVINCE_COMMITTEE_CODE = current_agency_code()
CENTRE_CODE = current_agency_code(10)
JUSTICE_CODE = current_agency_code(11)
BINH_PHUOC_WARD_CODE = current_agency_code(CURRENT_COMMUNE_LEVEL2, 1)
TAN_PHU_CODE = BINH_PHUOC_WARD_CODE  # the ward Tân Phú became (kept for old imports)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    description: str
    kind: str
    agency_code: str | None
    roles: tuple[str, ...]
    id_number: str = ""
    tax_code: str = ""
    full_name: str = ""
    email: str = ""
    is_staff: bool = False
    is_superuser: bool = False


def _official(username: str, full_name: str, agency: str, roles: tuple[str, ...],
              description: str, **extra: Any) -> DemoAccount:
    return DemoAccount(
        username=username, password=DEMO_PASSWORD, description=description,
        kind=AccountKind.OFFICIAL, agency_code=agency, roles=roles, full_name=full_name,
        email=f"{username}@demo.tinhso.local", **extra,
    )


DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount(
        username="congdan", password=DEMO_PASSWORD,
        description="Công dân Nguyễn Thị Mai (nộp hồ sơ trực tuyến) — citizen",
        kind=AccountKind.CITIZEN, agency_code=None, roles=(), id_number="070190012345",
        full_name="Nguyễn Thị Mai", email="congdan@demo.tinhso.local",
    ),
    DemoAccount(
        username="doanhnghiep", password=DEMO_PASSWORD,
        description="Công ty TNHH Thương mại Phước An — organisation (MST 3800123454)",
        kind=AccountKind.ORGANISATION, agency_code=None, roles=(), tax_code="3800123454",
        full_name="Công ty TNHH Thương mại Phước An", email="doanhnghiep@demo.tinhso.local",
    ),
    _official("stp.tiepnhan", "Lê Văn Hùng", JUSTICE_CODE, (Role.RECEIVER,),
              "Tiếp nhận hồ sơ, Sở Tư pháp — receiver, Department of Justice"),
    _official("stp.chuyenvien", "Phạm Thị Hoa", JUSTICE_CODE, (Role.SPECIALIST,),
              "Chuyên viên, Sở Tư pháp — specialist, Department of Justice"),
    _official("stp.lanhdao", "Trần Quốc Dũng", JUSTICE_CODE, (Role.LEADER,),
              "Lãnh đạo Sở Tư pháp — leader, Department of Justice"),
    _official("stp.vanthu", "Vũ Thị Lan", JUSTICE_CODE, (Role.CLERK,),
              "Văn thư, Sở Tư pháp — clerk, Department of Justice"),
    _official("stp.quantri", "Đỗ Minh Tuấn", JUSTICE_CODE, (Role.AGENCY_ADMIN,),
              "Quản trị cơ quan, Sở Tư pháp — agency admin, Department of Justice"),
    _official("tanphu.tiepnhan", "Ngô Thị Thu", TAN_PHU_CODE, (Role.RECEIVER,),
              "Tiếp nhận hồ sơ, UBND phường Bình Phước — receiver, Bình Phước ward"),
    _official("tanphu.chuyenvien", "Huỳnh Văn Tài", TAN_PHU_CODE, (Role.SPECIALIST,),
              "Công chức tư pháp - hộ tịch, UBND phường Bình Phước — specialist, Bình Phước ward"),
    _official("tanphu.lanhdao", "Bùi Văn Nam", TAN_PHU_CODE, (Role.LEADER,),
              "Chủ tịch UBND phường Bình Phước — leader, Bình Phước ward"),
    _official("ttpvhcc.tiepnhan", "Đặng Thị Hồng", CENTRE_CODE, (Role.RECEIVER,),
              "Tiếp nhận, Trung tâm Phục vụ hành chính công tỉnh Đồng Nai — receiver, "
              "provincial centre"),
    _official("quantri", "Nguyễn Hữu Phước", PROVINCE_COMMITTEE_CODE, (Role.PROVINCE_ADMIN,),
              "Quản trị tỉnh (vào được /admin/) — province admin, Django superuser",
              is_staff=True, is_superuser=True),
    _official("ioc.lanhdao", "Hoàng Văn Bình", PROVINCE_COMMITTEE_CODE,
              (Role.LEADER, Role.IOC_VIEWER),
              "Lãnh đạo UBND tỉnh, xem IOC — provincial leader, IOC dashboards"),
]

# Hashing is deliberately slow (PBKDF2); hash each demo password once per process so that
# reloading the demo data (tests, `make run`) stays fast.
_HASH_CACHE: dict[str, str] = {}


def _hashed(password: str) -> str:
    if password not in _HASH_CACHE:
        _HASH_CACHE[password] = make_password(password)
    return _HASH_CACHE[password]


@transaction.atomic
def load_demo_accounts() -> None:
    """Create or refresh the demo accounts (idempotent). Needs ``load_agencies()`` first.

    An existing account keeps its password (a demo user may have changed it); profile, agency
    and roles are reset to the listed ones.
    """
    if getattr(settings, "PRODUCTION", False):
        raise RuntimeError("Demo accounts have public passwords; refused with TINHSO_PRODUCTION.")
    codes = {a.agency_code for a in DEMO_ACCOUNTS if a.agency_code}
    agencies = {a.code: a for a in Agency.objects.filter(code__in=codes)}
    missing = codes - set(agencies)
    if missing:
        raise RuntimeError(f"load_agencies() must run first; missing agencies: {sorted(missing)}")
    existing = {u.username: u for u in User.objects.filter(
        username__in=[a.username for a in DEMO_ACCOUNTS])}
    for account in DEMO_ACCOUNTS:
        if account.id_number:
            validate_id_number(account.id_number)
        if account.tax_code:
            validate_tax_code(account.tax_code)
        values = {
            "kind": account.kind, "full_name": account.full_name, "email": account.email,
            "id_number": account.id_number, "tax_code": account.tax_code,
            "agency": agencies.get(account.agency_code or ""),
            "is_staff": account.is_staff, "is_superuser": account.is_superuser,
            "is_active": True,
        }
        user = existing.get(account.username)
        if user is None:
            user = User.objects.create(username=account.username,
                                       password=_hashed(account.password), **values)
            AuditLog.objects.create(actor=None, action="demo_account_create",
                                    object_type="user", object_id=str(user.pk),
                                    data={"username": user.username})
        else:
            changed = [k for k, v in values.items() if _current(user, k) != _plain(v)]
            for key in changed:
                setattr(user, key, values[key])
            if changed:
                user.save(update_fields=changed)
        have = set(user.role_assignments.values_list("role", flat=True))
        want = {str(r) for r in account.roles}
        if have - want:
            user.role_assignments.filter(role__in=have - want).delete()
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=user, role=role) for role in sorted(want - have)]
        )
    _demo_signers()


def _demo_signers() -> None:
    """The ward chairman signs certified copies (Decree 23/2015 art. 5): register him."""
    from tinhso.documents.models import CompetentSigner, SignerPosition

    user = User.objects.filter(username="tanphu.lanhdao").first()
    if user is None or user.agency_id is None:
        return
    CompetentSigner.objects.get_or_create(
        agency_id=user.agency_id, user=user, position=SignerPosition.CHAIRMAN,
        defaults={"valid_from": dt.date(2025, 7, 1)})


def _current(user: User, key: str) -> object:
    # Compare foreign keys by id: reading ``user.agency`` would cost a query per account.
    return user.agency_id if key == "agency" else getattr(user, key)


def _plain(value: object) -> object:
    return value.pk if isinstance(value, Agency) else value


def demo_account(username: str) -> DemoAccount:
    """The demo account with this username (KeyError if none)."""
    for account in DEMO_ACCOUNTS:
        if account.username == username:
            return account
    raise KeyError(username)
