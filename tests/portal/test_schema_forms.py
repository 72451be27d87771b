"""Forms generated from JSON-Schema: field kinds, steps, JSON-ready values, review rows."""

from __future__ import annotations

import datetime as dt

import jsonschema
from django import forms

from tests.portal.conftest import RICH_SCHEMA
from tinhso.portal import schema_forms as sf


def test_steps_main_then_nested_objects():
    steps = sf.schema_steps(RICH_SCHEMA)
    assert [s.key for s in steps] == [sf.MAIN_STEP, "me", "cha"]
    assert steps[1].optional_object is False and steps[2].optional_object is True
    assert sf.schema_steps({}) == []


def test_field_kinds():
    form = sf.build_form_class(sf.schema_steps(RICH_SCHEMA)[0])()
    assert isinstance(form.fields["ngay_sinh"], forms.DateField)
    assert isinstance(form.fields["gioi_tinh"], forms.ChoiceField)
    assert isinstance(form.fields["so_ban_sao"], forms.IntegerField)
    assert isinstance(form.fields["song_sinh"], forms.BooleanField)
    assert form.fields["ho_ten"].required and not form.fields["so_ban_sao"].required


def test_one_of_and_arrays_and_patterns():
    schema = {"type": "object", "required": ["loai", "muc"], "properties": {
        "loai": {"type": "integer", "oneOf": [{"const": 1, "title": "Một"},
                                             {"const": 2, "title": "Hai"}]},
        "muc": {"type": "array", "minItems": 1,
                "items": {"type": "string", "enum": ["a", "b"], "enumNames": ["A", "B"]}},
        "ma": {"type": "string", "pattern": "^[0-9]{6}$", "title": "Mã bưu chính"},
        "dong_y": {"type": "boolean", "const": True, "title": "Đồng ý"},
    }}
    step = sf.schema_steps(schema)[0]
    form = sf.build_form_class(step)({"loai": "2", "muc": ["a", "b"], "ma": "12345"})
    assert not form.is_valid()
    assert "ma" in form.errors and "dong_y" in form.errors
    form = sf.build_form_class(step)({"loai": "2", "muc": ["b"], "ma": "830000",
                                      "dong_y": "on"})
    assert form.is_valid(), form.errors
    data = sf.step_data(step, form.cleaned_data)
    assert data == {"loai": 2, "muc": ["b"], "ma": "830000", "dong_y": True}
    jsonschema.validate(data, schema)
    assert dict(sf.display_rows(schema, data)[0][1])["loai"] == "Hai"


def test_values_are_json_ready_and_pass_the_schema():
    steps = sf.schema_steps(RICH_SCHEMA)
    data: dict = {}
    inputs = {
        sf.MAIN_STEP: {"ho_ten": " Lê  Văn A ", "ngay_sinh": "2026-02-03", "gioi_tinh": "nu"},
        "me": {"ho_ten": "Trần Thị B", "nam_sinh": "1990"},
        "cha": {"ho_ten": ""},
    }
    for step in steps:
        form = sf.build_form_class(step)(inputs[step.key])
        assert form.is_valid(), form.errors
        data = sf.merge_step(data, step, sf.step_data(step, form.cleaned_data))
    assert data["ngay_sinh"] == "2026-02-03" and data["me"] == {"ho_ten": "Trần Thị B",
                                                                 "nam_sinh": 1990}
    assert "cha" not in data and "so_ban_sao" not in data
    jsonschema.validate(data, RICH_SCHEMA)
    initial = sf.step_initial(steps[0], data)
    assert initial["ngay_sinh"] == dt.date(2026, 2, 3)
    rows = dict(sf.display_rows(RICH_SCHEMA, data)[0][1])
    assert rows["Giới tính"] == "Nữ" and rows["Ngày sinh"] == "03/02/2026"


def test_half_filled_optional_object_requires_its_required_fields():
    step = sf.schema_steps(RICH_SCHEMA)[2]
    schema = {**RICH_SCHEMA, "properties": {**RICH_SCHEMA["properties"]}}
    schema["properties"]["cha"] = {**schema["properties"]["cha"], "properties": {
        "ho_ten": {"type": "string", "minLength": 1}, "nam_sinh": {"type": "integer"}}}
    step = sf.schema_steps(schema)[2]
    form = sf.build_form_class(step)({"ho_ten": "", "nam_sinh": "1980"})
    assert not form.is_valid() and "ho_ten" in form.errors


def test_array_of_strings_is_one_item_per_line_and_defaults_are_initial_values():
    schema = {"type": "object", "required": ["nganh_nghe"], "properties": {
        "nganh_nghe": {"type": "array", "title": "Ngành nghề (mã VSIC)", "minItems": 1,
                       "items": {"type": "string", "pattern": "^[0-9]{4}$"}},
        "quoc_tich": {"type": "string", "default": "Việt Nam"},
    }}
    step = sf.schema_steps(schema)[0]
    form_class = sf.build_form_class(step)
    assert form_class().fields["quoc_tich"].initial == "Việt Nam"
    bad = form_class({"nganh_nghe": "4711\nban le", "quoc_tich": "Việt Nam"})
    assert not bad.is_valid() and "ban le" in str(bad.errors["nganh_nghe"])
    assert not form_class({"nganh_nghe": "  \n "}).is_valid()
    good = form_class({"nganh_nghe": "4711\n\n5610\n", "quoc_tich": "Việt Nam"})
    assert good.is_valid(), good.errors
    data = sf.step_data(step, good.cleaned_data)
    assert data == {"nganh_nghe": ["4711", "5610"], "quoc_tich": "Việt Nam"}
    jsonschema.validate(data, schema)
    assert 'rows="4"' in str(sf.build_form_class(step)(initial=data)["nganh_nghe"])


def test_every_catalogue_schema_builds_and_accepts_its_own_example(db):
    """The demo catalogue's real schemas all turn into forms (no property silently dropped)."""
    import json
    from pathlib import Path

    import tinhso.catalog

    path = Path(tinhso.catalog.__file__).parent / "data" / "procedures.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    procedures = raw if isinstance(raw, list) else raw.get("procedures", [])
    assert procedures
    for procedure in procedures:
        schema = procedure.get("form_schema") or {}
        for step in sf.schema_steps(schema):
            form = sf.build_form_class(step)()
            assert set(form.fields) == set(step.properties), procedure["code"]
