"""Demo data: Bình Phước (3-level, until 30/6/2025), the new Đồng Nai (2-level) and agencies.

Units come from the ``vietnamadminunits`` package (GSO codes, types, coordinates and the official
2025 old→new commune mapping). Both loaders are idempotent: every row is keyed by its natural key
(``structure`` + ``code`` for units, ``code`` for agencies); running them twice leaves the same
rows. Each runs in one transaction with a handful of bulk statements, so a fresh load takes well
under a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from tinhso.core import lookupcache
from tinhso.units.models import REFORM_DATE, AdminUnit, Agency, AgencyKind, Level, Structure

LEGACY_PROVINCE_CODE = "70"  # Bình Phước (GSO code)
CURRENT_PROVINCE_CODE = "75"  # Đồng Nai after the 2025 merger
# The old Đồng Nai (legacy code 75) merged with Bình Phước into the new Đồng Nai: its units are
# loaded too (units only, no agencies), so the 2-level view of Đồng Nai carries its history.
OLD_DONG_NAI_CODE = "75"
LEGACY_VALID_TO = REFORM_DATE - dt.timedelta(days=1)  # 2025-06-30
CURRENT_VALID_FROM = REFORM_DATE  # 2025-07-01

# Province level-1 code of Decision 20/2020/QĐ-TTg. H10 for Bình Phước is an ASSUMPTION
# (DOMAIN §3 marks it UNCONFIRMED); see docs/units.md.
PROVINCE_AGENCY_SUFFIX = "H10"
# Đồng Nai's level-1 code (DOMAIN §3: seen in 2026); the level-2/3 numbers are illustrative.
CURRENT_AGENCY_SUFFIX = "H19"

_UNIT_FIELDS = ["name", "unit_type", "level", "parent", "valid_from", "valid_to", "successor",
                "latitude", "longitude"]
_AGENCY_FIELDS = ["name", "short_name", "kind", "unit", "parent", "has_one_stop_desk",
                  "one_stop_desk_name", "is_active"]


# --------------------------------------------------------------------------------------------
# Source data (read from the package's bundled SQLite file; no network access)
# --------------------------------------------------------------------------------------------


def _query(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Parametrised read of the package's dataset (its own ``query`` helper takes no params)."""
    import sqlite3

    from vietnamadminunits.database.main import MODULE_DIR

    with sqlite3.connect(MODULE_DIR / "data/dataset.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params).fetchall()]


def legacy_rows(province_code: str = LEGACY_PROVINCE_CODE) -> list[dict[str, Any]]:
    """One row per legacy commune of the province (with its district and province columns)."""
    return _query(
        "SELECT * FROM admin_units_legacy WHERE provinceCode = ? ORDER BY districtCode, wardCode",
        (province_code,),
    )


def current_rows(province_code: str = CURRENT_PROVINCE_CODE) -> list[dict[str, Any]]:
    """One row per current (2025) commune of the province."""
    return _query(
        "SELECT * FROM admin_units WHERE provinceCode = ? ORDER BY wardCode", (province_code,)
    )


def legacy_to_current_commune_codes(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Legacy commune code → current commune code, through the package's 2025 converter.

    Only "ward, district, province" is passed: with a street part the converter would call an
    online geocoder for communes split between several new ones (there is no internet here).
    """
    from vietnamadminunits import convert_address

    mapping: dict[str, str] = {}
    for row in rows:
        address = f"{row['ward']}, {row['district']}, {row['province']}"
        new = convert_address(address)
        if new.ward_code is None:
            raise RuntimeError(f"vietnamadminunits found no 2025 commune for {address!r}")
        mapping[str(row["wardCode"])] = str(new.ward_code)
    return mapping


# --------------------------------------------------------------------------------------------
# Upsert helper
# --------------------------------------------------------------------------------------------


def _upsert(model: type[models.Model], key: tuple[str, ...], rows: list[dict[str, Any]],
            fields: list[str]) -> dict[tuple[Any, ...], Any]:
    """Create the missing rows and update changed ones; return {natural key: instance}.

    Written by hand rather than ``bulk_create(update_conflicts=True)`` because we need the primary
    keys back on every backend to wire parents and successors in the next step.
    """
    manager = model._default_manager  # type: ignore[attr-defined]
    lookup: dict[str, Any] = {f"{key[0]}__in": [row[key[0]] for row in rows]}
    for extra in key[1:]:
        lookup[extra] = rows[0][extra] if rows else None
    existing = {tuple(getattr(obj, k) for k in key): obj for obj in manager.filter(**lookup)}
    to_create: list[models.Model] = []
    to_update: list[models.Model] = []
    for row in rows:
        obj = existing.get(tuple(row[k] for k in key))
        if obj is None:
            to_create.append(model(**row))
            continue
        changed = False
        for name in fields:
            if name in row and _field_value(obj, name) != _row_value(row[name]):
                setattr(obj, name, row[name])
                changed = True
        if changed:
            to_update.append(obj)
    if to_create:
        manager.bulk_create(to_create, batch_size=500)
    if to_update:
        manager.bulk_update(to_update, [f for f in fields if f in rows[0]], batch_size=500)
    if to_create or to_update:  # bulk writes send no signals: tell the lookup caches here
        lookupcache.bump(lookupcache.ACCOUNTS, lookupcache.CATALOG)
    # Re-read so that every instance (created ones included) carries its primary key on all
    # backends; one query per call.
    return {tuple(getattr(obj, k) for k in key): obj for obj in manager.filter(**lookup)}


def _field_value(obj: models.Model, name: str) -> Any:
    field = obj._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        return getattr(obj, field.attname)
    return getattr(obj, name)


def _row_value(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------


def _short(full: str, unit_type: str) -> str:
    """``Thành phố Đồng Xoài`` → ``Đồng Xoài`` (the model keeps type and name apart)."""
    return full[len(unit_type):].strip() if full.startswith(unit_type) else full


@transaction.atomic
def load_units() -> None:
    """Bình Phước (legacy3: 1 + 11 + 111 units), the old Đồng Nai (legacy3: 1 + 11 + 159) and
    the new Đồng Nai (current2: 1 + 95), with successors."""
    legacy = legacy_rows()
    current = current_rows()
    if not legacy or not current:
        raise RuntimeError("vietnamadminunits has no data for provinces 70/75")
    successor_code = legacy_to_current_commune_codes(legacy)

    # 1. The current structure first: legacy units point at it.
    first = current[0]
    new_province = _upsert(AdminUnit, ("code", "structure"), [{
        "structure": Structure.CURRENT_2, "code": CURRENT_PROVINCE_CODE,
        "name": first["provinceShort"], "unit_type": "Tỉnh", "level": Level.PROVINCE,
        "parent": None, "valid_from": CURRENT_VALID_FROM, "valid_to": None, "successor": None,
        "latitude": first["provinceLat"], "longitude": first["provinceLon"],
    }], _UNIT_FIELDS)[(CURRENT_PROVINCE_CODE, Structure.CURRENT_2)]
    new_communes = _upsert(AdminUnit, ("code", "structure"), [{
        "structure": Structure.CURRENT_2, "code": str(row["wardCode"]),
        "name": row["wardShort"], "unit_type": row["wardType"], "level": Level.COMMUNE,
        "parent": new_province, "valid_from": CURRENT_VALID_FROM, "valid_to": None,
        "successor": None, "latitude": row["wardLat"], "longitude": row["wardLon"],
    } for row in current], _UNIT_FIELDS)

    # 2. The legacy structure: province → districts → communes, Bình Phước and the old Đồng Nai.
    _load_legacy_province(legacy, successor_code, new_province, new_communes)
    old_dong_nai = legacy_rows(OLD_DONG_NAI_CODE)
    _load_legacy_province(old_dong_nai, legacy_to_current_commune_codes(old_dong_nai),
                          new_province, new_communes)


def _load_legacy_province(legacy: list[dict[str, Any]], successor_code: dict[str, str],
                          new_province: AdminUnit,
                          new_communes: dict[tuple[Any, ...], AdminUnit]) -> None:
    province_code = str(legacy[0]["provinceCode"])
    old_province = _upsert(AdminUnit, ("code", "structure"), [{
        "structure": Structure.LEGACY_3, "code": province_code,
        "name": legacy[0]["provinceShort"], "unit_type": "Tỉnh", "level": Level.PROVINCE,
        "parent": None, "valid_from": None, "valid_to": LEGACY_VALID_TO,
        "successor": new_province,
        "latitude": legacy[0]["provinceLat"], "longitude": legacy[0]["provinceLon"],
    }], _UNIT_FIELDS)[(province_code, Structure.LEGACY_3)]
    districts: dict[str, dict[str, Any]] = {}
    for row in legacy:
        districts.setdefault(str(row["districtCode"]), row)
    # Districts have no successor: the district level was abolished, its work went to the
    # province and the new communes (see current_successor() for how reports roll them up).
    district_units = _upsert(AdminUnit, ("code", "structure"), [{
        "structure": Structure.LEGACY_3, "code": code,
        "name": _short(row["district"], row["districtType"]), "unit_type": row["districtType"],
        "level": Level.DISTRICT, "parent": old_province, "valid_from": None,
        "valid_to": LEGACY_VALID_TO, "successor": None,
        "latitude": row["districtLat"], "longitude": row["districtLon"],
    } for code, row in districts.items()], _UNIT_FIELDS)
    _upsert(AdminUnit, ("code", "structure"), [{
        "structure": Structure.LEGACY_3, "code": str(row["wardCode"]),
        "name": row["wardShort"], "unit_type": row["wardType"], "level": Level.COMMUNE,
        "parent": district_units[(str(row["districtCode"]), Structure.LEGACY_3)],
        "valid_from": None, "valid_to": LEGACY_VALID_TO,
        "successor": new_communes[(successor_code[str(row["wardCode"])], Structure.CURRENT_2)],
        "latitude": row["wardLat"], "longitude": row["wardLon"],
    } for row in legacy], _UNIT_FIELDS)


# --------------------------------------------------------------------------------------------
# Agencies
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AgencySpec:
    code: str
    name: str
    kind: str
    unit_key: tuple[str, str]  # (code, structure)
    parent_code: str | None
    desk: str
    short_name: str = ""
    has_desk: bool = True


def agency_code(level2: int = 0, level3: int = 0, level4: int = 0,
                province: str = PROVINCE_AGENCY_SUFFIX) -> str:
    """Identifier code in the layout of Decision 20/2020/QĐ-TTg: ``LLL.33.22.H10``."""
    return f"{level4:03d}.{level3:02d}.{level2:02d}.{province}"


# Level-2 numbers used for the demo province (illustrative, not the official register).
PROVINCE_COMMITTEE_CODE = agency_code()
CENTRE_CODE = agency_code(10)
JUSTICE_CODE = agency_code(11)
CONSTRUCTION_CODE = agency_code(12)
ENVIRONMENT_CODE = agency_code(13)
PLANNING_CODE = agency_code(14)
LAND_REGISTRY_CODE = agency_code(13, 1)  # Văn phòng Đăng ký đất đai under Sở TN&MT
DISTRICT_LEVEL2_BASE = 20  # district People's Committees: 21 (code 688) … 31 (code 698)


def _lower_type(unit_type: str) -> str:
    """``Thị xã`` → ``thị xã`` as written inside an agency name (``UBND thị xã Phước Long``)."""
    return unit_type[:1].lower() + unit_type[1:]


def _agency_specs() -> list[_AgencySpec]:
    province = (LEGACY_PROVINCE_CODE, Structure.LEGACY_3)
    in_centre = "Bộ phận Một cửa tại Trung tâm Phục vụ hành chính công tỉnh Bình Phước"
    specs = [
        _AgencySpec(PROVINCE_COMMITTEE_CODE, "Ủy ban nhân dân tỉnh Bình Phước",
                    AgencyKind.PEOPLES_COMMITTEE, province, None, "", "UBND tỉnh Bình Phước",
                    has_desk=False),
        _AgencySpec(CENTRE_CODE, "Trung tâm Phục vụ hành chính công tỉnh Bình Phước",
                    AgencyKind.PUBLIC_SERVICE_CENTRE, province, PROVINCE_COMMITTEE_CODE,
                    "Trung tâm Phục vụ hành chính công tỉnh Bình Phước", "TTPVHCC tỉnh"),
        _AgencySpec(JUSTICE_CODE, "Sở Tư pháp tỉnh Bình Phước", AgencyKind.DEPARTMENT,
                    province, PROVINCE_COMMITTEE_CODE, in_centre, "Sở Tư pháp"),
        _AgencySpec(CONSTRUCTION_CODE, "Sở Xây dựng tỉnh Bình Phước", AgencyKind.DEPARTMENT,
                    province, PROVINCE_COMMITTEE_CODE, in_centre, "Sở Xây dựng"),
        _AgencySpec(ENVIRONMENT_CODE, "Sở Tài nguyên và Môi trường tỉnh Bình Phước",
                    AgencyKind.DEPARTMENT, province, PROVINCE_COMMITTEE_CODE, in_centre,
                    "Sở TN&MT"),
        _AgencySpec(PLANNING_CODE, "Sở Kế hoạch và Đầu tư tỉnh Bình Phước",
                    AgencyKind.DEPARTMENT, province, PROVINCE_COMMITTEE_CODE, in_centre,
                    "Sở KH&ĐT"),
        _AgencySpec(LAND_REGISTRY_CODE, "Văn phòng Đăng ký đất đai tỉnh Bình Phước",
                    AgencyKind.BRANCH, province, ENVIRONMENT_CODE, in_centre, "VPĐKĐĐ tỉnh"),
    ]
    rows = legacy_rows()
    district_rows: dict[str, dict[str, Any]] = {}
    communes: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        district_rows.setdefault(str(row["districtCode"]), row)
        communes.setdefault(str(row["districtCode"]), []).append(row)
    for index, (d_code, d_row) in enumerate(sorted(district_rows.items()), start=1):
        d_type = d_row["districtType"]
        d_name = _short(d_row["district"], d_type)
        d_label = f"{_lower_type(d_type)} {d_name}"
        committee = agency_code(DISTRICT_LEVEL2_BASE + index)
        specs.append(_AgencySpec(
            committee, f"UBND {d_label}", AgencyKind.PEOPLES_COMMITTEE,
            (d_code, Structure.LEGACY_3), PROVINCE_COMMITTEE_CODE,
            f"Bộ phận Tiếp nhận và Trả kết quả UBND {d_label}",
        ))
        specs.append(_AgencySpec(
            agency_code(13, 1, index), f"Chi nhánh Văn phòng Đăng ký đất đai {d_label}",
            AgencyKind.BRANCH, (d_code, Structure.LEGACY_3), LAND_REGISTRY_CODE,
            f"Bộ phận Tiếp nhận và Trả kết quả UBND {d_label}",
            f"CN VPĐKĐĐ {d_name}",
        ))
        for c_index, c_row in enumerate(communes[d_code], start=1):
            c_label = f"{_lower_type(c_row['wardType'])} {c_row['wardShort']}"
            specs.append(_AgencySpec(
                agency_code(DISTRICT_LEVEL2_BASE + index, c_index), f"UBND {c_label}",
                AgencyKind.PEOPLES_COMMITTEE, (str(c_row["wardCode"]), Structure.LEGACY_3),
                committee, f"Bộ phận Một cửa UBND {c_label}",
            ))
    return specs + _current_agency_specs()


# Level-2 number of the new communes' People's Committees (illustrative): 000.CC.50.H19.
CURRENT_COMMUNE_LEVEL2 = 50


def current_agency_code(level2: int = 0, level3: int = 0) -> str:
    return agency_code(level2, level3, province=CURRENT_AGENCY_SUFFIX)


def _current_agency_specs() -> list[_AgencySpec]:
    """The 2-level structure of Đồng Nai from 1 July 2025: the province's committee, its public
    administration service centre, departments (with their 2025 names) and land registry, and a
    People's Committee with a one-stop desk in each of the 95 communes and wards."""
    province = (CURRENT_PROVINCE_CODE, Structure.CURRENT_2)
    top = current_agency_code()
    centre_name = "Trung tâm Phục vụ hành chính công tỉnh Đồng Nai"
    in_centre = f"Bộ phận Một cửa tại {centre_name}"
    environment = current_agency_code(13)
    specs = [
        _AgencySpec(top, "Ủy ban nhân dân tỉnh Đồng Nai", AgencyKind.PEOPLES_COMMITTEE,
                    province, None, "", "UBND tỉnh Đồng Nai", has_desk=False),
        _AgencySpec(current_agency_code(10), centre_name, AgencyKind.PUBLIC_SERVICE_CENTRE,
                    province, top, centre_name, "TTPVHCC tỉnh Đồng Nai"),
        _AgencySpec(current_agency_code(11), "Sở Tư pháp tỉnh Đồng Nai", AgencyKind.DEPARTMENT,
                    province, top, in_centre, "Sở Tư pháp"),
        _AgencySpec(current_agency_code(12), "Sở Xây dựng tỉnh Đồng Nai", AgencyKind.DEPARTMENT,
                    province, top, in_centre, "Sở Xây dựng"),
        # 2025: Natural Resources and Environment merged with Agriculture; Planning and
        # Investment with Finance (Resolution 176/2025/QH15 on the Government's structure).
        _AgencySpec(environment, "Sở Nông nghiệp và Môi trường tỉnh Đồng Nai",
                    AgencyKind.DEPARTMENT, province, top, in_centre, "Sở NN&MT"),
        _AgencySpec(current_agency_code(14), "Sở Tài chính tỉnh Đồng Nai",
                    AgencyKind.DEPARTMENT, province, top, in_centre, "Sở Tài chính"),
        _AgencySpec(current_agency_code(13, 1), "Văn phòng Đăng ký đất đai tỉnh Đồng Nai",
                    AgencyKind.BRANCH, province, environment, in_centre, "VPĐKĐĐ Đồng Nai"),
    ]
    for index, row in enumerate(current_rows(), start=1):
        label = f"{_lower_type(row['wardType'])} {row['wardShort']}"
        specs.append(_AgencySpec(
            current_agency_code(CURRENT_COMMUNE_LEVEL2, index), f"UBND {label}",
            AgencyKind.PEOPLES_COMMITTEE, (str(row["wardCode"]), Structure.CURRENT_2), top,
            f"Bộ phận Một cửa UBND {label}",
        ))
    return specs


def district_committee_code(district_code: str) -> str:
    """Agency code of the People's Committee of a legacy district (688 → 000.00.21.H10)."""
    return agency_code(DISTRICT_LEVEL2_BASE + int(district_code) - 687)


@transaction.atomic
def load_agencies() -> None:
    """Demo agencies of Bình Phước (until 30 June 2025): UBND tỉnh, the centre, 4 departments,
    the land registry and its 11 branches, 11 district and 111 commune People's Committees; and
    of Đồng Nai's 2-level structure (from 1 July 2025): UBND tỉnh, the centre, 4 departments,
    the land registry and 95 commune People's Committees. Needs ``load_units()``."""
    specs = _agency_specs()
    units = {(u.code, u.structure): u for u in AdminUnit.objects.all()}
    missing = {s.unit_key for s in specs} - set(units)
    if missing:
        raise RuntimeError(f"load_units() must run first; missing units: {sorted(missing)[:5]}")
    by_code: dict[str, Agency] = {}
    # Parents before children: a spec's parent always appears earlier in the list, so loading
    # depth by depth (root, then its children, …) wires every parent with a known primary key.
    remaining = list(specs)
    while remaining:
        ready = [s for s in remaining if s.parent_code is None or s.parent_code in by_code]
        if not ready:
            raise RuntimeError("agency parents form a cycle")
        rows = [{
            "code": s.code, "name": s.name, "short_name": s.short_name, "kind": s.kind,
            "unit": units[s.unit_key], "parent": by_code.get(s.parent_code or ""),
            "has_one_stop_desk": s.has_desk, "one_stop_desk_name": s.desk, "is_active": True,
        } for s in ready]
        done = _upsert(Agency, ("code",), rows, _AGENCY_FIELDS)
        by_code.update({code: obj for (code,), obj in done.items()})
        ready_codes = {s.code for s in ready}
        remaining = [s for s in remaining if s.code not in ready_codes]
