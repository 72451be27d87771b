"""Amounts in Vietnamese words, as receipts and payment documents write them.

``bang_chu(1_250_000)`` → ``"Một triệu hai trăm năm mươi nghìn đồng"``. The usual rules: "mười"
for 10–19, "mươi" from 20, "mốt" for a final 1 after 20, "lăm" for a final 5 after 10, "linh"
for a zero ten digit before a unit, "không trăm" inside a number (``1_005_000`` → "một triệu
không trăm linh năm nghìn"), and groups of three digits named nghìn, triệu, tỷ (then repeating:
nghìn tỷ, triệu tỷ).
"""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUPS = ("", "nghìn", "triệu", "tỷ")


def _three(n: int, *, full: bool) -> str:
    """Words of 0 < n < 1000; ``full``: say the zero hundreds (not the leading group)."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(DIGITS[units])
    return " ".join(words)


def _group_name(index: int) -> str:
    # 10^9 is "tỷ"; past it the names repeat with "tỷ" added: 10^12 = "nghìn tỷ".
    if index == 0:
        return ""
    name = GROUPS[(index - 1) % 3 + 1]
    return " ".join([name] + ["tỷ"] * ((index - 1) // 3))


def number_words(n: int) -> str:
    if n < 0:
        return "âm " + number_words(-n)
    if n == 0:
        return DIGITS[0]
    groups: list[int] = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        value = groups[index]
        if not value:
            continue
        leading = index == len(groups) - 1
        words.append(_three(value, full=not leading))
        if index:
            words.append(_group_name(index))
    return " ".join(words)


def bang_chu(amount_vnd: int) -> str:
    """An amount of đồng in words, capitalised, ending in "đồng"."""
    text = number_words(amount_vnd) + " đồng"
    return text[0].upper() + text[1:]
