"""Personal ID number and tax code validation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinhso.accounts.validators import (
    ID_PROVINCE_CODES,
    id_number_birth_year,
    tax_code_check_digit,
    validate_id_number,
    validate_tax_code,
)
from tinhso.core.errors import ValidationFailed

TODAY = dt.date(2026, 3, 1)


def _part(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return exc.value.details["part"]


@pytest.mark.parametrize("value", ["070090001234", "001203000001", "096199999999",
                                   " 079 185 123456 ", "075826000000"])
def test_valid_id_numbers(value: str) -> None:
    assert validate_id_number(value, today=TODAY) == value.replace(" ", "")


def test_birth_year_and_century() -> None:
    assert id_number_birth_year("070090001234") == 1990
    assert id_number_birth_year("070305001234") == 2005
    assert id_number_birth_year("070899001234") == 1899


@pytest.mark.parametrize("value", ["", "07009000123", "0700900012345", "07009000123a",
                                   "０７００９０００１２３４", "070-090-001234"])
def test_id_format_errors(value: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_id_number(value, today=TODAY)
    assert exc.value.code == "INVALID_ID_NUMBER" and exc.value.status == 422
    assert _part(exc) == "format"
    assert "12 chữ số" in exc.value.message_vi and "12 digits" in exc.value.message_en


@pytest.mark.parametrize("prefix", ["000", "003", "005", "097", "099", "100", "999"])
def test_id_unknown_province(prefix: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_id_number(prefix + "090001234", today=TODAY)
    assert _part(exc) == "province"
    assert prefix in exc.value.message_vi and prefix in exc.value.message_en


@pytest.mark.parametrize("value", ["070227001234", "070399001234", "070400001234",
                                   "070700001234"])
def test_id_birth_in_future(value: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_id_number(value, today=TODAY)
    assert _part(exc) == "birth_year"
    assert "năm sinh" in exc.value.message_vi and "birth year" in exc.value.message_en


def test_birth_year_boundary() -> None:
    assert validate_id_number("070226001234", today=TODAY)
    with pytest.raises(ValidationFailed):
        validate_id_number("070226001234", today=dt.date(2025, 12, 31))


def test_province_codes_match_vietnamadminunits() -> None:
    from vietnamadminunits.database import query

    codes = {f"{int(r['provinceCode']):03d}" for r in
             query("SELECT DISTINCT provinceCode FROM admin_units_legacy")}
    assert set(ID_PROVINCE_CODES) == codes
    assert len(codes) == 63
    assert ID_PROVINCE_CODES["070"] == "Bình Phước"


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_random_12_digit_strings_never_crash(value: str) -> None:
    try:
        result = validate_id_number(value, today=TODAY)
    except ValidationFailed as exc:
        assert exc.code == "INVALID_ID_NUMBER"
        assert exc.details["part"] in {"province", "birth_year"}
    else:
        assert result == value and value[:3] in ID_PROVINCE_CODES


@given(st.text(max_size=20))
def test_random_text_never_crashes(value: str) -> None:
    try:
        validate_id_number(value, today=TODAY)
    except ValidationFailed as exc:
        assert exc.code == "INVALID_ID_NUMBER"


# ---------------------------------------------------------------- tax codes


@pytest.mark.parametrize("value,expected", [
    ("0100047516", "0100047516"),
    ("3800123454", "3800123454"),
    ("0100047516-001", "0100047516-001"),
    (" 3800123454-999 ", "3800123454-999"),
])
def test_valid_tax_codes(value: str, expected: str) -> None:
    assert validate_tax_code(value) == expected


def test_check_digit_rule() -> None:
    # The worked example: weights 31 29 23 19 17 13 7 5 3, check = 10 - sum mod 11.
    assert tax_code_check_digit("010004751") == 6
    total = sum(int(d) * w for d, w in zip("380012345", (31, 29, 23, 19, 17, 13, 7, 5, 3),
                                            strict=True))
    assert tax_code_check_digit("380012345") == 10 - total % 11 == 4


@pytest.mark.parametrize("value,part", [
    ("010004751", "format"), ("01000475160", "format"), ("010004751a", "format"),
    ("0100047516-01", "format"), ("0100047516001", "format"), ("0100047516-0a1", "format"),
    ("0100047517", "check_digit"), ("3800123455", "check_digit"),
    ("0000000000", "serial"), ("3800000000", "serial"), ("0100047516-000", "branch"),
])
def test_invalid_tax_codes(value: str, part: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_tax_code(value)
    assert exc.value.code == "INVALID_TAX_CODE" and _part(exc) == part


def test_remainder_zero_is_never_valid() -> None:
    # 9 digits whose weighted sum is divisible by 11 would need check digit "10".
    nine = next(f"38{n:07d}" for n in range(1, 10_000)
                if tax_code_check_digit(f"38{n:07d}") is None)
    for digit in "0123456789":
        with pytest.raises(ValidationFailed):
            validate_tax_code(nine + digit)


@given(st.text(alphabet="0123456789-", max_size=16))
def test_random_tax_codes_never_crash(value: str) -> None:
    try:
        result = validate_tax_code(value)
    except ValidationFailed as exc:
        assert exc.code == "INVALID_TAX_CODE"
    else:
        assert tax_code_check_digit(result[:9]) == int(result[9])
