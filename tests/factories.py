"""Small factories for tests: build exactly the rows a test needs, with real models."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from tinhso.accounts.models import AccountKind, RoleAssignment, User
from tinhso.catalog.models import Field, Procedure, ProcedureComponent
from tinhso.core.text import fold
from tinhso.units.models import AdminUnit, Agency, AgencyKind, Level, Structure

_seq = itertools.count(1)

# A valid 12-digit personal ID: province code 070 (Bình Phước), century/sex 0, year 90, serial.
VALID_ID_NUMBER = "070090001234"


def make_province(code: str = "70", name: str = "Bình Phước") -> AdminUnit:
    unit, _ = AdminUnit.objects.get_or_create(
        structure=Structure.LEGACY_3, code=code,
        defaults={"name": name, "unit_type": "Tỉnh", "level": Level.PROVINCE},
    )
    return unit


def make_agency(*, unit: AdminUnit | None = None, code: str | None = None,
                name: str | None = None, **extra: Any) -> Agency:
    n = next(_seq)
    return Agency.objects.create(
        code=code or f"000.{n:02d}.00.H10",
        name=name or f"Cơ quan thử nghiệm {n}",
        kind=extra.pop("kind", AgencyKind.DEPARTMENT),
        unit=unit or make_province(),
        **extra,
    )


def make_official(agency: Agency, *roles: str, username: str | None = None) -> User:
    n = next(_seq)
    user = User.objects.create_user(
        username=username or f"official{n}", password="matkhau-thu-nghiem-123",
        kind=AccountKind.OFFICIAL, full_name=f"Cán bộ {n}", agency=agency,
    )
    for role in roles:
        RoleAssignment.objects.create(user=user, role=role)
    return user


def make_citizen(id_number: str = VALID_ID_NUMBER, username: str | None = None) -> User:
    n = next(_seq)
    return User.objects.create_user(
        username=username or f"citizen{n}", password="matkhau-thu-nghiem-123",
        kind=AccountKind.CITIZEN, full_name="Nguyễn Văn An", id_number=id_number,
    )


DEFAULT_TEMPLATE = [
    {"code": "receive", "name": "Tiếp nhận hồ sơ", "role": "receiver", "share": 0.1},
    {"code": "process", "name": "Thẩm định, xử lý", "role": "specialist", "share": 0.6},
    {"code": "approve", "name": "Phê duyệt", "role": "leader", "share": 0.2},
    {"code": "return", "name": "Trả kết quả", "role": "receiver", "share": 0.1},
]

DEFAULT_SCHEMA = {
    "type": "object",
    "required": ["ho_ten"],
    "properties": {
        "ho_ten": {"type": "string", "minLength": 1, "title": "Họ và tên"},
        "ghi_chu": {"type": "string", "title": "Ghi chú"},
    },
}


def make_procedure(*, agencies: list[Agency] | None = None, code: str | None = None,
                   name: str = "Đăng ký khai sinh", processing_days: str = "3",
                   fee: int = 0, **extra: Any) -> Procedure:
    n = next(_seq)
    field, _ = Field.objects.get_or_create(code="ho-tich", defaults={"name": "Hộ tịch"})
    procedure = Procedure.objects.create(
        code=code or f"9.{n:06d}",
        name=name,
        search_text=fold(name),
        field=field,
        level=extra.pop("level", "commune"),
        processing_days=Decimal(processing_days),
        fee=fee,
        applicant_type=extra.pop("applicant_type", "citizen"),
        online_level=extra.pop("online_level", "full"),
        result_type=extra.pop("result_type", "electronic"),
        form_schema=extra.pop("form_schema", DEFAULT_SCHEMA),
        process_template=extra.pop("process_template", DEFAULT_TEMPLATE),
        **extra,
    )
    ProcedureComponent.objects.create(procedure=procedure, code="to-khai", name="Tờ khai",
                                      required=True, order=1)
    for agency in agencies or []:
        procedure.agencies.add(agency)
    return procedure
