"""Validation of applicants' identifiers: the 12-digit personal ID number and the tax code.

Personal identification number (số định danh cá nhân, printed on the CCCD card; Decree
137/2015/NĐ-CP and Circular 59/2021/TT-BCA): 12 digits

    PPP   code of the province where the birth was registered (the 63 pre-2025 provinces)
    G     century and sex: 0/1 = 1900s male/female, 2/3 = 2000s, 4/5 = 2100s, 6/7 = 2200s,
          8/9 = 1800s
    YY    last two digits of the year of birth
    NNNNNN  random serial (no check digit: nothing more to verify)

Tax code (mã số thuế) of an organisation: 10 digits ``PP NNNNNNN C`` (province, serial, check
digit) and ``-NNN`` for a dependent branch. Check digit: C = 10 − (31·N1 + 29·N2 + 23·N3 + 19·N4 +
17·N5 + 13·N6 + 7·N7 + 5·N8 + 3·N9) mod 11; a remainder of 0 would need the digit "10", so such a
number is never issued. Worked example: 010004751 → check digit 6 (0100047516).
"""

from __future__ import annotations

import datetime as dt

from tinhso.core.errors import ValidationFailed

# Province codes used in the personal ID number: the GSO codes of the 63 provinces before the
# 2025 merger, zero-padded to three digits. A test checks them against vietnamadminunits.
ID_PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
    "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
    "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
    "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
    "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
    "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
    "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
    "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
    "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang",
    "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long", "087": "Đồng Tháp",
    "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}

# Century digit → (first year of the century, sex).
_CENTURY: dict[str, tuple[int, str]] = {
    "0": (1900, "male"), "1": (1900, "female"), "2": (2000, "male"), "3": (2000, "female"),
    "4": (2100, "male"), "5": (2100, "female"), "6": (2200, "male"), "7": (2200, "female"),
    "8": (1800, "male"), "9": (1800, "female"),
}

TAX_CODE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def _id_error(part: str, vi: str, en: str, value: str) -> ValidationFailed:
    return ValidationFailed(
        "INVALID_ID_NUMBER",
        f"Số định danh cá nhân không hợp lệ: {vi}",
        f"Invalid personal identification number: {en}",
        {"part": part, "value": value},
    )


def id_number_birth_year(value: str) -> int:
    """Year of birth encoded in a (valid) ID number: century digit + two year digits."""
    return _CENTURY[value[3]][0] + int(value[4:6])


def validate_id_number(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalised 12-digit ID number or raise ``ValidationFailed`` (INVALID_ID_NUMBER).

    ``details.part`` names the faulty part: ``format``, ``province`` or ``birth_year``.
    """
    if not isinstance(value, str):
        raise _id_error("format", "phải là chuỗi 12 chữ số.", "must be a string of 12 digits.",
                        repr(value))
    cleaned = value.strip().replace(" ", "")
    if len(cleaned) != 12 or not cleaned.isascii() or not cleaned.isdigit():
        raise _id_error("format", "phải gồm đúng 12 chữ số.", "must consist of exactly 12 digits.",
                        value)
    province = cleaned[:3]
    if province not in ID_PROVINCE_CODES:
        raise _id_error(
            "province",
            f"3 chữ số đầu ({province}) không phải mã tỉnh, thành phố nơi đăng ký khai sinh.",
            f"the first 3 digits ({province}) are not a province code of the birth registration.",
            value,
        )
    year = id_number_birth_year(cleaned)
    today = today or dt.date.today()
    if year > today.year:
        raise _id_error(
            "birth_year",
            f"chữ số thứ 4 (thế kỷ, giới tính: {cleaned[3]}) và chữ số 5–6 (năm sinh: "
            f"{cleaned[4:6]}) cho năm sinh {year}, sau năm hiện tại.",
            f"the 4th digit (century and sex: {cleaned[3]}) and digits 5–6 (year of birth: "
            f"{cleaned[4:6]}) give the birth year {year}, which is in the future.",
            value,
        )
    return cleaned


def tax_code_check_digit(first_nine: str) -> int | None:
    """Check digit for the first nine digits, or None when no valid code can have them."""
    total = sum(int(d) * w for d, w in zip(first_nine, TAX_CODE_WEIGHTS, strict=True))
    check = 10 - total % 11
    return None if check == 10 else check


def _tax_error(part: str, vi: str, en: str, value: str) -> ValidationFailed:
    return ValidationFailed(
        "INVALID_TAX_CODE",
        f"Mã số thuế không hợp lệ: {vi}",
        f"Invalid tax code: {en}",
        {"part": part, "value": value},
    )


def validate_tax_code(value: str) -> str:
    """Return the normalised tax code (``0100047516`` or ``0100047516-001``) or raise
    ``ValidationFailed`` (INVALID_TAX_CODE); ``details.part`` is ``format``, ``serial``,
    ``branch`` or ``check_digit``."""
    if not isinstance(value, str):
        raise _tax_error("format", "phải là chuỗi chữ số.", "must be a string of digits.",
                         repr(value))
    cleaned = value.strip().replace(" ", "")
    main, sep, branch = cleaned.partition("-")
    if (len(main) != 10 or not main.isascii() or not main.isdigit()
            or (sep and (len(branch) != 3 or not branch.isascii() or not branch.isdigit()))):
        raise _tax_error(
            "format", "phải gồm 10 chữ số, hoặc 10 chữ số, dấu gạch ngang và 3 chữ số (chi nhánh).",
            "must be 10 digits, or 10 digits, a hyphen and 3 digits for a branch.", value,
        )
    if main[:2] == "00" or main[2:9] == "0000000":
        raise _tax_error("serial", "mã tỉnh hoặc số thứ tự bằng 0.",
                         "the province or serial part is zero.", value)
    if sep and branch == "000":
        raise _tax_error("branch", "số thứ tự chi nhánh phải từ 001 đến 999.",
                         "the branch number must be 001 to 999.", value)
    expected = tax_code_check_digit(main[:9])
    if expected is None or int(main[9]) != expected:
        raise _tax_error(
            "check_digit", "chữ số kiểm tra (chữ số thứ 10) không đúng.",
            "the check digit (10th digit) is wrong.", value,
        )
    return f"{main}-{branch}" if sep else main
