"""Bounds on the schema-driven form data of a dossier (``Procedure.form_schema``).

A procedure's JSON Schema says what each field is, but rarely how long it may be, and its
``format: date`` was an annotation only: a 19,000,000-character field and a birth date of
9999-12-31 were accepted. The rules here apply to every procedure, whatever its schema says:

- a string without its own ``maxLength`` gets ``DEFAULT_MAX_LENGTH``;
- the whole form (as compact JSON) is at most ``TINHSO_MAX_FORM_BYTES``;
- a ``format: date`` must be a real date YYYY-MM-DD between ``MIN_DATE`` and 100 years ahead;
  birth and death dates (``ngay_sinh``, ``ngay_chet``, or ``"x-past": true`` in the schema)
  not after today.

The portal's generated forms (portal/schema_forms.py) apply the same default length.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import timezone
from jsonschema import FormatChecker

from tinhso.core.errors import ValidationFailed

DEFAULT_MAX_LENGTH = 1000
MIN_DATE = dt.date(1900, 1, 1)
PAST_DATE_KEYS = frozenset({"ngay_sinh", "ngay_chet"})
FORMAT_CHECKER = FormatChecker(formats=())


def max_form_bytes() -> int:
    return int(getattr(settings, "TINHSO_MAX_FORM_BYTES", 64 * 1024))


def check_size(form_data: Any) -> None:
    size = len(json.dumps(form_data, ensure_ascii=False, separators=(",", ":")).encode())
    limit = max_form_bytes()
    if size > limit:
        raise ValidationFailed(
            "FORM_TOO_LARGE", f"Tờ khai quá lớn (tối đa {limit // 1024} KB).",
            f"The form data is too large (at most {limit} bytes).",
            {"size": size, "max_bytes": limit})


def _today() -> dt.date:
    return timezone.localdate()


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if len(value) != 10:
        raise ValueError("a date is written YYYY-MM-DD")
    day = dt.date.fromisoformat(value)
    if not MIN_DATE <= day <= _today().replace(year=_today().year + 100):
        raise ValueError(f"the date must lie between {MIN_DATE} and 100 years ahead")
    return True


@FORMAT_CHECKER.checks("past-date", raises=ValueError)
def _is_past_date(value: object) -> bool:
    if not _is_date(value):
        return False
    if isinstance(value, str) and dt.date.fromisoformat(value) > _today():
        raise ValueError("the date must not be in the future")
    return True


def _bound(node: Any, key: str | None) -> Any:
    """``node`` with the bounds added; ``key`` is the name of the property it describes (kept
    through ``items``, ``allOf`` & co., so an array of birth dates is still one)."""
    if isinstance(node, list):
        return [_bound(item, key) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for name, value in node.items():
        if name == "properties" and isinstance(value, dict):
            out[name] = {prop: _bound(spec, prop) for prop, spec in value.items()}
        else:
            out[name] = _bound(value, key)
    if out.get("type") == "string":
        out.setdefault("maxLength", DEFAULT_MAX_LENGTH)
        if out.get("format") == "date" and (key in PAST_DATE_KEYS or out.get("x-past")):
            out["format"] = "past-date"
    return out


@lru_cache(maxsize=256)
def _bounded(frozen: str) -> dict[str, Any]:
    return _bound(json.loads(frozen), None)


def bounded_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the platform's bounds added (cached per schema text)."""
    return copy.deepcopy(_bounded(json.dumps(schema, sort_keys=True)))
