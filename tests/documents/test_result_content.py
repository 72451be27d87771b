"""The result document is generated from the procedure's template (its result and the dossier's
form, titled by the schema) — no placeholder sentence is left (issue 11)."""

from __future__ import annotations

from types import SimpleNamespace

from tinhso.documents.forms import result_from_template

SCHEMA = {"type": "object", "properties": {
    "tre": {"type": "object", "title": "Người được khai sinh", "properties": {
        "ho_ten": {"type": "string", "title": "Họ, chữ đệm và tên"},
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "gioi_tinh": {"type": "string", "enum": ["nam", "nu"], "enumNames": ["Nam", "Nữ"],
                      "title": "Giới tính"}}},
    "so_ban_sao": {"type": "integer", "title": "Số bản sao"},
}}


def test_result_lists_what_was_decided() -> None:
    procedure = SimpleNamespace(name="Đăng ký khai sinh", result_name="Giấy khai sinh",
                                form_schema=SCHEMA)
    dossier = SimpleNamespace(procedure=procedure, form_data={
        "tre": {"ho_ten": "Nguyễn Minh Khang", "ngay_sinh": "2026-01-15", "gioi_tinh": "nam"},
        "so_ban_sao": 2})
    lines = result_from_template(dossier)
    assert lines[0] == "Kết quả: Giấy khai sinh."
    assert ("Người được khai sinh — Họ, chữ đệm và tên: Nguyễn Minh Khang; Ngày sinh: "
            "15/01/2026; Giới tính: Nam.") in lines
    assert "Số bản sao: 2." in lines
    assert not any("theo quy định" in line for line in lines)
