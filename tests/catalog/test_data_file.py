"""The shipped catalogue (src/tinhso/catalog/data/procedures.json) is complete and importable."""

from __future__ import annotations

import math
from typing import Any

import pytest
from jsonschema.validators import validator_for

from tinhso.catalog.validation import STEP_ROLES, validate_entries
from tinhso.core.text import fold, nfc

# Procedures issue 2 and the brief require, by (folded) name fragment.
REQUIRED_BY_NAME = [
    "dang ky khai sinh", "dang ky ket hon", "dang ky khai tu",
    "chung thuc ban sao tu ban chinh", "chung thuc chu ky",
    "dang ky thanh lap ho kinh doanh", "giay phep xay dung moi doi voi nha o rieng le",
    "cap giay chung nhan quyen su dung dat", "dang ky bien dong",
    "phieu ly lich tu phap", "xac nhan thong tin ve cu tru", "dang ky thuong tru",
    "dang ky thanh lap doanh nghiep", "trich luc ho tich",
    "thay doi, cai chinh, bo sung thong tin ho tich", "xac nhan tinh trang hon nhan",
]


def test_every_entry_passes_import_validation(entries: list[dict[str, Any]]) -> None:
    assert validate_entries(entries) == []


def test_at_least_35_procedures_with_unique_codes(entries: list[dict[str, Any]]) -> None:
    codes = [e["code"] for e in entries]
    assert len(entries) >= 35
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("fragment", REQUIRED_BY_NAME)
def test_required_procedures_present(entries: list[dict[str, Any]], fragment: str) -> None:
    assert any(fragment in fold(e["name"]) for e in entries), fragment


def test_brief_codes_present(entries: list[dict[str, Any]]) -> None:
    by_code = {e["code"]: e for e in entries}
    assert fold(by_code["1.001193"]["name"]) == "dang ky khai sinh"
    assert fold(by_code["2.000815"]["name"]).startswith("chung thuc ban sao tu ban chinh")


def test_every_form_schema_is_valid_draft_2020_12(entries: list[dict[str, Any]]) -> None:
    for e in entries:
        schema = e["form_schema"]
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", e["code"]
        validator_for(schema).check_schema(schema)
        assert schema["type"] == "object"
        # Every field the applicant sees has a Vietnamese title.
        for prop in schema["properties"].values():
            assert prop.get("title"), e["code"]


def test_process_shares_sum_to_one_and_roles_valid(entries: list[dict[str, Any]]) -> None:
    for e in entries:
        steps = e["process_template"]
        assert math.isclose(sum(s["share"] for s in steps), 1.0, abs_tol=1e-9), e["code"]
        assert {s["role"] for s in steps} <= set(STEP_ROLES), e["code"]


def test_fees_are_non_negative_integers_and_free_where_the_law_says(
        entries: list[dict[str, Any]]) -> None:
    by_code = {e["code"]: e for e in entries}
    for e in entries:
        assert isinstance(e["fee"], int) and not isinstance(e["fee"], bool) and e["fee"] >= 0
    assert by_code["1.001193"]["fee"] == 0  # birth registration on time is free
    assert by_code["2.000815"]["fee"] == 2000  # 2.000 đ/page for the first two pages
    assert "2.000" in by_code["2.000815"]["fee_note"]


def test_text_is_nfc_with_vietnamese_diacritics(entries: list[dict[str, Any]]) -> None:
    for e in entries:
        assert e["name"] == nfc(e["name"])
        assert e["field"]["name"] == nfc(e["field"]["name"])
    assert any("Đăng ký" in e["name"] for e in entries)


def test_every_level_and_online_level_is_represented(entries: list[dict[str, Any]]) -> None:
    assert {e["level"] for e in entries} == {"province", "district", "commune"}
    assert {e["online_level"] for e in entries} == {"full", "partial", "none"}


def test_sample_form_data_validates_against_birth_schema(
        entries: list[dict[str, Any]]) -> None:
    schema = next(e for e in entries if e["code"] == "1.001193")["form_schema"]
    validator = validator_for(schema)(schema)
    good = {
        "tre": {"ho_ten": "Nguyễn Minh An", "ngay_sinh": "2026-01-15", "gioi_tinh": "Nam",
                "noi_sinh": "Bệnh viện Đa khoa tỉnh Bình Phước"},
        "me": {"ho_ten": "Trần Thị Bình"},
        "nguoi_yeu_cau": {"ho_ten": "Trần Thị Bình", "so_dinh_danh": "070190001234"},
    }
    assert list(validator.iter_errors(good)) == []
    bad = {**good, "tre": {**good["tre"], "gioi_tinh": "X"}}
    assert list(validator.iter_errors(bad))
