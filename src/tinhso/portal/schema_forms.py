"""Forms generated from a procedure's JSON-Schema (its ``form_schema``).

Supported: strings (plain, long text, ``format`` date / email, ``pattern``, min/max length),
``enum`` (labels from ``enumNames`` / ``x-enumNames`` or ``oneOf`` items with ``const`` and
``title``), integers and numbers (minimum/maximum), booleans (``const: true`` means "must be
ticked"), arrays of enum strings (checkboxes) and one level of nested objects. Each nested object
becomes a step of its own; top-level scalar fields form the first step. Deeper nesting is not
rendered (the dossier service still validates the data against the full schema).

Values are stored JSON-ready: dates as ``YYYY-MM-DD``, integers as int, numbers as int or float;
an optional field left empty is left out so that ``minLength`` and ``format`` do not reject "".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.validators import RegexValidator

from tinhso.dossiers.form_limits import DEFAULT_MAX_LENGTH

MAIN_STEP = "_chung"


@dataclass
class SchemaStep:
    key: str  # MAIN_STEP or the property name of the nested object
    title: str
    description: str
    properties: dict[str, dict[str, Any]]
    required: set[str] = field(default_factory=set)
    optional_object: bool = False  # a nested object that may be omitted entirely

    @property
    def is_nested(self) -> bool:
        return self.key != MAIN_STEP


def schema_steps(schema: dict[str, Any] | None) -> list[SchemaStep]:
    """The steps of the form, in schema order. An empty schema gives no step."""
    schema = schema or {}
    props: dict[str, dict[str, Any]] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    main: dict[str, dict[str, Any]] = {}
    nested: list[SchemaStep] = []
    for name, spec in props.items():
        if spec.get("type") == "object" and spec.get("properties"):
            nested.append(SchemaStep(
                key=name, title=spec.get("title") or name.replace("_", " ").capitalize(),
                description=spec.get("description", ""),
                properties={k: v for k, v in spec["properties"].items()
                            if v.get("type") != "object"},
                required=set(spec.get("required") or []),
                optional_object=name not in required,
            ))
        elif spec.get("type") != "object":
            main[name] = spec
    steps: list[SchemaStep] = []
    if main:
        steps.append(SchemaStep(key=MAIN_STEP, title=schema.get("title") or "Thông tin chung",
                                description=schema.get("description", ""), properties=main,
                                required=required & set(main)))
    return steps + nested


def _choices(spec: dict[str, Any]) -> list[tuple[Any, str]] | None:
    if "enum" in spec:
        labels = spec.get("enumNames") or spec.get("x-enumNames") or []
        return [(v, labels[i] if i < len(labels) else str(v)) for i, v in enumerate(spec["enum"])]
    options = spec.get("oneOf") or spec.get("anyOf")
    if options and all("const" in o for o in options):
        return [(o["const"], o.get("title") or str(o["const"])) for o in options]
    return None


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _field_for(name: str, spec: dict[str, Any], required: bool) -> forms.Field | None:
    label = spec.get("title") or name.replace("_", " ").capitalize()
    common: dict[str, Any] = {"label": label, "help_text": spec.get("description", ""),
                              "required": required}
    kind = spec.get("type")
    choices = _choices(spec)
    if choices is not None and kind in ("string", "integer", "number", None):
        blank = [] if required else [("", "— Không chọn —")]
        if kind in ("integer", "number"):
            return forms.TypedChoiceField(
                choices=blank + [(str(v), lab) for v, lab in choices],
                coerce=int if kind == "integer" else float, empty_value=None, **common)
        return forms.ChoiceField(choices=blank + [(str(v), lab) for v, lab in choices], **common)
    if kind == "string":
        fmt = spec.get("format")
        if fmt == "date":
            return forms.DateField(widget=DateInput(), **common)
        if fmt == "email":
            return forms.EmailField(max_length=spec.get("maxLength") or 254, **common)
        validators = []
        if spec.get("pattern"):
            validators.append(RegexValidator(
                spec["pattern"], message=spec.get("x-patternMessage")
                or "Giá trị chưa đúng định dạng yêu cầu."))
        long_text = spec.get("x-widget") == "textarea" or (spec.get("maxLength") or 0) > 300
        return forms.CharField(
            min_length=spec.get("minLength"),
            max_length=spec.get("maxLength") or DEFAULT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 4}) if long_text else forms.TextInput,
            validators=validators, strip=True, **common)
    if kind == "integer":
        return forms.IntegerField(min_value=spec.get("minimum"), max_value=spec.get("maximum"),
                                  **common)
    if kind == "number":
        return forms.DecimalField(min_value=spec.get("minimum"), max_value=spec.get("maximum"),
                                  **common)
    if kind == "boolean":
        must_tick = spec.get("const") is True
        common["required"] = must_tick
        return forms.BooleanField(**common)
    if kind == "array":
        items = spec.get("items") or {}
        item_choices = _choices(items)
        if item_choices is None and items.get("type", "string") == "string":
            common["required"] = required and (spec.get("minItems") or 0) > 0
            common["help_text"] = " ".join(filter(None, [
                spec.get("description", ""), "Mỗi dòng một mục."]))
            return LinesField(item=items, min_items=spec.get("minItems"),
                              max_items=spec.get("maxItems"), **common)
        if item_choices is not None:
            common["required"] = required and (spec.get("minItems") or 0) > 0
            return forms.MultipleChoiceField(
                choices=[(str(v), lab) for v, lab in item_choices],
                widget=forms.CheckboxSelectMultiple, **common)
    return None


class LinesField(forms.CharField):
    """An array of strings typed one per line; each line checked against the item schema."""

    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, *, item: dict[str, Any], min_items: int | None = None,
                 max_items: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.min_items = min_items
        self.max_items = max_items

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if self.min_items and value and len(value) < self.min_items:
            raise forms.ValidationError(f"Cần ít nhất {self.min_items} mục.")
        if self.max_items and len(value) > self.max_items:
            raise forms.ValidationError(f"Tối đa {self.max_items} mục.")
        pattern = self.item.get("pattern")
        max_length = self.item.get("maxLength")
        for line in value:
            if pattern and not re.search(pattern, line):
                raise forms.ValidationError(
                    f"“{line}”: " + (self.item.get("x-patternMessage")
                                     or "giá trị chưa đúng định dạng yêu cầu."))
            if max_length and len(line) > max_length:
                raise forms.ValidationError(f"“{line[:30]}…”: dài quá {max_length} ký tự.")

    def run_validators(self, value: Any) -> None:
        for line in value or []:
            super().run_validators(line)


def build_form_class(step: SchemaStep) -> type[forms.Form]:
    fields: dict[str, forms.Field] = {}
    for name, spec in step.properties.items():
        # An optional nested object: its fields may all stay empty (then the object is left out);
        # required fields inside it are enforced in clean() once any of them is filled in.
        required = name in step.required and not step.optional_object
        built = _field_for(name, spec, required)
        if built is not None:
            if "default" in spec and not isinstance(spec["default"], dict | list):
                built.initial = spec["default"]
            fields[name] = built

    def clean(self: forms.Form) -> dict[str, Any]:
        cleaned = cast(dict[str, Any], forms.Form.clean(self))  # Form.clean returns cleaned_data
        if step.optional_object and any(_present(v) for v in cleaned.values()):
            for name in step.required:
                if name in self.fields and not _present(cleaned.get(name)):
                    self.add_error(name, "Vui lòng nhập thông tin này.")
        return cleaned

    attrs: dict[str, Any] = dict(fields)
    attrs["clean"] = clean
    return type(f"SchemaForm_{step.key}", (forms.Form,), attrs)


def _present(value: Any) -> bool:
    return value not in (None, "", [], False)


def _json_value(spec: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if spec.get("type") == "array":
        item_type = (spec.get("items") or {}).get("type")
        if isinstance(value, str):
            value = [value]
        if item_type == "integer":
            return [int(v) for v in value]
        return list(value)
    return value


def step_data(step: SchemaStep, cleaned: dict[str, Any]) -> dict[str, Any]:
    """The JSON fragment for one step (a dict of top-level values, or {key: {...}})."""
    out: dict[str, Any] = {}
    for name, spec in step.properties.items():
        if name not in cleaned:
            continue
        value = cleaned[name]
        if spec.get("type") == "boolean":
            out[name] = bool(value)
        elif _present(value) or value == 0:
            out[name] = _json_value(spec, value)
    if step.is_nested:
        meaningful = any(_present(v) or v == 0 for k, v in out.items()
                         if step.properties[k].get("type") != "boolean" or v)
        if step.optional_object and not meaningful:
            return {}
        return {step.key: out}
    return out


def merge_step(form_data: dict[str, Any], step: SchemaStep, fragment: dict[str, Any]
               ) -> dict[str, Any]:
    """``form_data`` with the values of ``step`` replaced by ``fragment``."""
    merged = dict(form_data)
    if step.is_nested:
        merged.pop(step.key, None)
    else:
        for name in step.properties:
            merged.pop(name, None)
    merged.update(fragment)
    return merged


def step_initial(step: SchemaStep, form_data: dict[str, Any]) -> dict[str, Any]:
    source = form_data.get(step.key, {}) if step.is_nested else form_data
    if not isinstance(source, dict):
        return {}
    initial: dict[str, Any] = {}
    for name, spec in step.properties.items():
        if name not in source:
            continue
        value = source[name]
        if spec.get("format") == "date" and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = dt.date.fromisoformat(value)
        initial[name] = value
    return initial


def display_rows(schema: dict[str, Any] | None, form_data: dict[str, Any]
                 ) -> list[tuple[str, list[tuple[str, str]]]]:
    """(step title, [(label, human value)]) for the review page and the dossier pages."""
    result = []
    for step in schema_steps(schema):
        source = form_data.get(step.key, {}) if step.is_nested else form_data
        if not isinstance(source, dict):
            continue
        rows = []
        for name, spec in step.properties.items():
            if name not in source:
                continue
            rows.append((spec.get("title") or name, _human(spec, source[name])))
        result.append((step.title, rows))
    return result


def _human(spec: dict[str, Any], value: Any) -> str:
    choices = _choices(spec)
    if spec.get("type") == "array":
        item_choices = dict((str(k), v) for k, v in (_choices(spec.get("items") or {}) or []))
        return ", ".join(item_choices.get(str(v), str(v)) for v in value or [])
    if choices is not None:
        return dict((str(k), v) for k, v in choices).get(str(value), str(value))
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if spec.get("format") == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)
