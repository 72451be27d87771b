"""Validation of catalogue entries (the JSON format of import/export, see docs/catalog.md).

Pure functions without database writes: ``validate_entries`` checks every entry and returns every
problem found (entry index, key, bilingual reason), so an import can refuse the whole file before
touching the database. ``normalise_entry`` turns a valid entry into model-ready values.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeGuard

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

from tinhso.catalog.models import (
    ApplicantType,
    DeadlineKind,
    OnlineLevel,
    ProcedureLevel,
    ResultType,
)
from tinhso.core.text import nfc

# Roles a process step may be assigned to (a subset of accounts.Role: the admin roles do not
# handle dossiers).
STEP_ROLES = ("receiver", "specialist", "leader", "clerk")

REQUIRED_KEYS = (
    "code", "name", "field", "level", "processing_days", "fee", "applicant_type",
    "online_level", "result_type", "components", "form_schema", "process_template",
)
OPTIONAL_KEYS = (
    "implementing_body", "fee_note", "result_name", "description", "legal_basis",
    "announced_at", "published_at", "effective_from", "is_active", "popularity", "note",
    "agencies", "deadline_kind", "processing_hours", "cutoff_time", "payment_pauses_clock",
)
ALLOWED_KEYS = frozenset(REQUIRED_KEYS + OPTIONAL_KEYS)

# National codes look like 1.001193; local ones add a suffix (1.001612.000.00.00.H19).
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
SLUG_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
SHARE_TOLERANCE = 1e-6
MAX_PROCESSING_DAYS = Decimal("9999.9")

_TEXT_LIMITS = {
    "name": 500, "implementing_body": 300, "fee_note": 500, "result_name": 300,
    # Long texts have bounds too (a free-text field without one took 19 MB elsewhere).
    "description": 20_000, "legal_basis": 20_000, "note": 5_000,
}


@dataclass(frozen=True)
class EntryError:
    """One problem in one entry: where it is and why, in Vietnamese and English."""

    index: int
    code: str | None
    key: str
    reason: str
    reason_vi: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Collector:
    def __init__(self, index: int, code: str | None) -> None:
        self.index = index
        self.code = code
        self.errors: list[EntryError] = []

    def add(self, key: str, reason: str, reason_vi: str) -> None:
        self.errors.append(EntryError(self.index, self.code, key, reason, reason_vi))


def _is_int(value: Any) -> bool:
    # bool is an int subclass; True must not pass as a fee of 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _check_text(c: _Collector, entry: dict[str, Any], key: str, *, required: bool) -> None:
    if key not in entry:
        return
    value = entry[key]
    if not isinstance(value, str):
        c.add(key, "must be a string", "phải là chuỗi ký tự")
        return
    if required and not value.strip():
        c.add(key, "must not be empty", "không được để trống")
    limit = _TEXT_LIMITS.get(key)
    if limit is not None and len(value) > limit:
        c.add(key, f"longer than {limit} characters", f"dài quá {limit} ký tự")


def _check_choice(c: _Collector, entry: dict[str, Any], key: str, choices: list[str]) -> None:
    if key in entry and entry[key] not in choices:
        c.add(key, f"must be one of {', '.join(choices)}",
              f"phải là một trong các giá trị {', '.join(choices)}")


def _check_date(c: _Collector, entry: dict[str, Any], key: str) -> None:
    value = entry.get(key)
    if value is None:
        return
    if not isinstance(value, str):
        c.add(key, "must be a date YYYY-MM-DD or null", "phải là ngày YYYY-MM-DD hoặc null")
        return
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        c.add(key, "must be a date YYYY-MM-DD or null", "phải là ngày YYYY-MM-DD hoặc null")


def _check_field(c: _Collector, value: Any) -> None:
    if not isinstance(value, dict):
        c.add("field", 'must be an object {"code", "name"}', 'phải là đối tượng {"code", "name"}')
        return
    code, name = value.get("code"), value.get("name")
    if not isinstance(code, str) or not SLUG_RE.match(code):
        c.add("field.code", "must be a short code (letters, digits, . _ -)",
              "phải là mã ngắn (chữ, số, . _ -)")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        c.add("field.name", "must be a non-empty string of at most 200 characters",
              "phải là chuỗi không rỗng, tối đa 200 ký tự")


def _check_processing_days(c: _Collector, value: Any) -> None:
    if not _is_number(value):
        c.add("processing_days", "must be a number of working days",
              "phải là số ngày làm việc")
        return
    days = Decimal(str(value))
    if days <= 0 or days > MAX_PROCESSING_DAYS:
        c.add("processing_days", "must be greater than 0 and at most 9999.9",
              "phải lớn hơn 0 và không quá 9999,9")
    elif days != days.quantize(Decimal("0.1")):
        c.add("processing_days", "at most one decimal place (e.g. 0.5)",
              "tối đa một chữ số thập phân (ví dụ 0,5)")


CUTOFF_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _check_deadline_rule(c: _Collector, entry: dict[str, Any]) -> None:
    """deadline_kind and the fields it uses (docs/workdays.md, "Deadline kinds")."""
    _check_choice(c, entry, "deadline_kind", DeadlineKind.values)
    kind = entry.get("deadline_kind", DeadlineKind.WORKING_DAYS)
    hours = entry.get("processing_hours")
    if hours is not None:
        if not _is_number(hours) or not 0 < Decimal(str(hours)) <= 9999 or \
                Decimal(str(hours)) != Decimal(str(hours)).quantize(Decimal("0.1")):
            c.add("processing_hours", "must be a number of office hours in (0, 9999], "
                  "one decimal at most", "phải là số giờ làm việc trong (0, 9999], "
                  "tối đa một chữ số thập phân")
    elif kind == DeadlineKind.HOURS:
        c.add("processing_hours", "is required when deadline_kind is 'hours'",
              "bắt buộc khi deadline_kind là 'hours'")
    cutoff = entry.get("cutoff_time")
    if cutoff is not None and (not isinstance(cutoff, str) or not CUTOFF_RE.match(cutoff)):
        c.add("cutoff_time", "must be a local time such as 15:00",
              "phải là giờ dạng 15:00")
    pauses = entry.get("payment_pauses_clock")
    if pauses is not None and not isinstance(pauses, bool):
        c.add("payment_pauses_clock", "must be true or false", "phải là true hoặc false")


def _check_components(c: _Collector, value: Any) -> None:
    if not isinstance(value, list):
        c.add("components", "must be a list", "phải là danh sách")
        return
    seen: set[str] = set()
    for i, comp in enumerate(value):
        where = f"components[{i}]"
        if not isinstance(comp, dict):
            c.add(where, "must be an object", "phải là đối tượng")
            continue
        unknown = set(comp) - {"code", "name", "required", "copies"}
        if unknown:
            c.add(where, f"unknown keys: {', '.join(sorted(unknown))}",
                  f"khóa không hợp lệ: {', '.join(sorted(unknown))}")
        code = comp.get("code")
        if not isinstance(code, str) or not SLUG_RE.match(code):
            c.add(f"{where}.code", "must be a short code (letters, digits, . _ -)",
                  "phải là mã ngắn (chữ, số, . _ -)")
        elif code in seen:
            c.add(f"{where}.code", f"duplicate component code {code!r}",
                  f"mã thành phần {code!r} bị trùng")
        else:
            seen.add(code)
        name = comp.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 500:
            c.add(f"{where}.name", "must be a non-empty string of at most 500 characters",
                  "phải là chuỗi không rỗng, tối đa 500 ký tự")
        if "required" in comp and not isinstance(comp["required"], bool):
            c.add(f"{where}.required", "must be true or false", "phải là true hoặc false")
        copies = comp.get("copies", 1)
        if not _is_int(copies) or not 1 <= copies <= 100:
            c.add(f"{where}.copies", "must be an integer from 1 to 100",
                  "phải là số nguyên từ 1 đến 100")


def _check_template(c: _Collector, value: Any) -> None:
    if not isinstance(value, list) or not value:
        c.add("process_template", "must be a non-empty list of steps",
              "phải là danh sách bước không rỗng")
        return
    total = 0.0
    seen: set[str] = set()
    shares_ok = True
    for i, step in enumerate(value):
        where = f"process_template[{i}]"
        if not isinstance(step, dict):
            c.add(where, "must be an object", "phải là đối tượng")
            shares_ok = False
            continue
        unknown = set(step) - {"code", "name", "role", "share"}
        if unknown:
            c.add(where, f"unknown keys: {', '.join(sorted(unknown))}",
                  f"khóa không hợp lệ: {', '.join(sorted(unknown))}")
        code = step.get("code")
        if not isinstance(code, str) or not SLUG_RE.match(code):
            c.add(f"{where}.code", "must be a short code (letters, digits, . _ -)",
                  "phải là mã ngắn (chữ, số, . _ -)")
        elif code in seen:
            c.add(f"{where}.code", f"duplicate step code {code!r}", f"mã bước {code!r} bị trùng")
        else:
            seen.add(code)
        name = step.get("name")
        if not isinstance(name, str) or not name.strip():
            c.add(f"{where}.name", "must be a non-empty string", "phải là chuỗi không rỗng")
        if step.get("role") not in STEP_ROLES:
            c.add(f"{where}.role", f"must be one of {', '.join(STEP_ROLES)}",
                  f"phải là một trong {', '.join(STEP_ROLES)}")
        share = step.get("share")
        if not _is_number(share) or not 0 < share <= 1:
            c.add(f"{where}.share", "must be a number greater than 0 and at most 1",
                  "phải là số lớn hơn 0 và không quá 1")
            shares_ok = False
        else:
            total += float(share)
    if shares_ok and abs(total - 1.0) > SHARE_TOLERANCE:
        c.add("process_template", f"step shares must sum to 1.0 (they sum to {total:.6g})",
              f"tổng tỷ lệ thời gian các bước phải bằng 1,0 (hiện là {total:.6g})")


def template_problems(template: Any) -> list[str]:
    """Why ``template`` is not a valid process template (English, one line per problem)."""
    c = _Collector(0, None)
    _check_template(c, template)
    return [f"{e.key}: {e.reason}" for e in c.errors]


def check_form_schema(schema: Any) -> str | None:
    """Why ``schema`` is not a usable form schema, or ``None`` when it is."""
    if not isinstance(schema, dict):
        return "must be a JSON Schema object"
    try:
        canonical = json.dumps(schema, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return "must be plain JSON"
    return _schema_problem(canonical)


@lru_cache(maxsize=8)
def _meta_validator(cls: Any) -> Any:
    """A reusable validator for the meta-schema of ``cls`` (what ``check_schema`` builds on every
    call; reusing it halves the cost)."""
    return cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)


@lru_cache(maxsize=4096)
def _schema_problem(canonical: str) -> str | None:
    # Checking against the draft 2020-12 meta-schema costs ~10 ms per schema; re-imports of an
    # unchanged catalogue (and the test suite) check the same schemas again and again.
    schema = json.loads(canonical)
    error = best_match(_meta_validator(validator_for(schema)).iter_errors(schema))
    if error is not None:
        return f"is not a valid JSON Schema: {error.message}"
    if schema.get("type") != "object":
        return 'must describe an object ("type": "object")'
    return None


def _check_schema(c: _Collector, value: Any) -> None:
    problem = check_form_schema(value)
    if problem is not None:
        c.add("form_schema", problem, "không phải JSON Schema hợp lệ cho biểu mẫu: " + problem)


def validate_entry(entry: Any, index: int = 0) -> list[EntryError]:
    """Every problem of one entry (empty list when it is valid)."""
    if not isinstance(entry, dict):
        return [EntryError(index, None, "", "entry must be a JSON object",
                           "mỗi thủ tục phải là một đối tượng JSON")]
    raw_code = entry.get("code")
    c = _Collector(index, raw_code if isinstance(raw_code, str) else None)
    for key in REQUIRED_KEYS:
        if key not in entry:
            c.add(key, "required key is missing", "thiếu khóa bắt buộc")
    unknown = set(entry) - ALLOWED_KEYS
    for key in sorted(unknown):
        c.add(key, "unknown key", "khóa không hợp lệ")

    if "code" in entry and (not isinstance(raw_code, str) or not CODE_RE.match(raw_code)):
        c.add("code", "must be a procedure code such as 1.001193 (at most 40 characters)",
              "phải là mã thủ tục dạng 1.001193 (tối đa 40 ký tự)")
    _check_text(c, entry, "name", required=True)
    for key in ("implementing_body", "fee_note", "result_name", "description", "legal_basis",
                "note"):
        _check_text(c, entry, key, required=False)
    if "field" in entry:
        _check_field(c, entry["field"])
    _check_choice(c, entry, "level", ProcedureLevel.values)
    _check_choice(c, entry, "applicant_type", ApplicantType.values)
    _check_choice(c, entry, "online_level", OnlineLevel.values)
    _check_choice(c, entry, "result_type", ResultType.values)
    if "processing_days" in entry:
        _check_processing_days(c, entry["processing_days"])
    _check_deadline_rule(c, entry)
    if "fee" in entry and (not _is_int(entry["fee"]) or entry["fee"] < 0):
        c.add("fee", "must be a non-negative integer amount in VND",
              "phải là số nguyên không âm (đồng)")
    if "popularity" in entry and (not _is_int(entry["popularity"]) or entry["popularity"] < 0):
        c.add("popularity", "must be a non-negative integer", "phải là số nguyên không âm")
    if "is_active" in entry and not isinstance(entry["is_active"], bool):
        c.add("is_active", "must be true or false", "phải là true hoặc false")
    for key in ("announced_at", "published_at", "effective_from"):
        _check_date(c, entry, key)
    if "agencies" in entry:
        agencies = entry["agencies"]
        if not isinstance(agencies, list) or not all(isinstance(a, str) for a in agencies):
            c.add("agencies", "must be a list of agency codes", "phải là danh sách mã cơ quan")
    if "components" in entry:
        _check_components(c, entry["components"])
    if "process_template" in entry:
        _check_template(c, entry["process_template"])
    if "form_schema" in entry:
        _check_schema(c, entry["form_schema"])
    return c.errors


def validate_entries(data: Any, *, known_agency_codes: set[str] | None = None
                     ) -> list[EntryError]:
    """Every problem of a whole catalogue; codes must be unique across entries.

    ``known_agency_codes``: when given, agency codes listed by an entry must be among them.
    """
    if not isinstance(data, list):
        return [EntryError(-1, None, "", "the catalogue must be a JSON list of procedures",
                           "danh mục phải là một danh sách (JSON list) các thủ tục")]
    errors: list[EntryError] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(data):
        entry_errors = validate_entry(entry, index)
        errors.extend(entry_errors)
        if not isinstance(entry, dict):
            continue
        code = entry.get("code")
        if isinstance(code, str):
            if code in first_index:
                first = first_index[code]
                errors.append(EntryError(
                    index, code, "code", f"duplicate code (first used by entry {first})",
                    f"mã bị trùng (đã dùng ở mục {first})"))
            else:
                first_index[code] = index
        agencies = entry.get("agencies")
        if known_agency_codes is not None and isinstance(agencies, list):
            unknown = sorted(a for a in agencies if isinstance(a, str)
                             and a not in known_agency_codes)
            if unknown:
                errors.append(EntryError(
                    index, code if isinstance(code, str) else None, "agencies",
                    f"unknown agency codes: {', '.join(unknown)}",
                    f"mã cơ quan không tồn tại: {', '.join(unknown)}"))
    return errors


def normalise_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """Model-ready values of a VALID entry (text NFC-normalised, dates parsed, Decimal days)."""

    def text(key: str) -> str:
        return nfc(entry.get(key) or "").strip()

    def date(key: str) -> dt.date | None:
        value = entry.get(key)
        return dt.date.fromisoformat(value) if value else None

    return {
        "code": entry["code"].strip(),
        "name": nfc(entry["name"]).strip(),
        "field": {"code": entry["field"]["code"], "name": nfc(entry["field"]["name"]).strip()},
        "level": entry["level"],
        "implementing_body": text("implementing_body"),
        "processing_days": Decimal(str(entry["processing_days"])),
        "deadline_kind": entry.get("deadline_kind") or DeadlineKind.WORKING_DAYS,
        "processing_hours": (Decimal(str(entry["processing_hours"]))
                             if entry.get("processing_hours") is not None else None),
        "cutoff_time": (dt.time.fromisoformat(entry["cutoff_time"])
                        if entry.get("cutoff_time") else None),
        "payment_pauses_clock": bool(entry.get("payment_pauses_clock", False)),
        "fee": entry["fee"],
        "fee_note": text("fee_note"),
        "applicant_type": entry["applicant_type"],
        "online_level": entry["online_level"],
        "result_type": entry["result_type"],
        "result_name": text("result_name"),
        "description": text("description"),
        "legal_basis": text("legal_basis"),
        "form_schema": entry["form_schema"],
        "process_template": [
            {"code": s["code"], "name": nfc(s["name"]).strip(), "role": s["role"],
             "share": s["share"]}
            for s in entry["process_template"]
        ],
        "announced_at": date("announced_at"),
        "published_at": date("published_at"),
        "effective_from": date("effective_from"),
        "is_active": entry.get("is_active", True),
        "popularity": entry.get("popularity", 0),
        "note": text("note"),
        "components": [
            {"code": comp["code"], "name": nfc(comp["name"]).strip(),
             "required": comp.get("required", True), "copies": comp.get("copies", 1)}
            for comp in entry["components"]
        ],
        "agencies": entry.get("agencies"),
    }
