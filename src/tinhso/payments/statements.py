"""Reading bank statements (CSV or Excel) of the account that receives VietQR transfers.

Vietnamese banks export statements in many layouts; none is standard. Instead of one parser per
bank, the header row is found by its column names (compared without diacritics, case or
punctuation) and each column recognised by the names below, which cover the exports of the
common banks (docs/payments.md lists them). Only credits are kept. Nothing is written here: a
file with any unreadable credit line is refused whole, with every bad line's number and reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tinhso.core.errors import ValidationFailed
from tinhso.core.text import fold

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HEADER_SCAN_ROWS = 40
MAX_LINES = 500_000

# Column → names seen in the exports (folded: lower-case ASCII, single spaces). The first name
# matching exactly wins; "contains" is tried only when nothing matched exactly.
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("ngay giao dich", "ngay gd", "ngay hieu luc", "ngay ghi so", "ngay hach toan",
             "transaction date", "posting date", "value date", "ngay", "date"),
    "credit": ("so tien ghi co", "ghi co", "phat sinh co", "so tien co", "tien vao", "co",
               "credit", "credit amount"),
    "debit": ("so tien ghi no", "ghi no", "phat sinh no", "so tien no", "tien ra", "no",
              "debit", "debit amount"),
    "amount": ("so tien", "so tien giao dich", "amount"),
    "note": ("noi dung", "noi dung giao dich", "mo ta", "mo ta giao dich", "dien giai",
             "noi dung chi tiet", "chi tiet giao dich", "description", "details", "remark"),
    "ref": ("so tham chieu", "ma giao dich", "so giao dich", "so but toan", "so ct",
            "ma gd", "so chung tu", "reference", "reference number", "ref no",
            "transaction no", "transaction id"),
    "payer": ("ten doi ung", "ten tai khoan doi ung", "nguoi chuyen", "ben chuyen",
              "doi tac", "ten nguoi chuyen", "counterparty", "counter party name"),
}
REQUIRED = ("date", "note")


@dataclass(frozen=True)
class Credit:
    line_no: int
    bank_ref: str
    booked_at: dt.datetime
    amount: int
    note: str
    payer: str


@dataclass(frozen=True)
class Parsed:
    layout: str
    credits: list[Credit]
    rows_read: int


def _key(cell: object) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(str(cell or ""))).split())


def find_columns(row: list[object]) -> dict[str, int] | None:
    keys = [_key(cell) for cell in row]
    found: dict[str, int] = {}
    for column, names in COLUMNS.items():
        for name in names:
            if name in keys and keys.index(name) not in found.values():
                found[column] = keys.index(name)
                break
    for column, names in COLUMNS.items():
        if column in found:
            continue
        for index, key in enumerate(keys):
            if index not in found.values() and key and any(key.startswith(n) for n in names):
                found[column] = index
                break
    has_money = "credit" in found or "amount" in found
    return found if has_money and all(c in found for c in REQUIRED) else None


def parse_amount(value: object) -> int | None:
    """Whole đồng from ``1.250.000``, ``1,250,000``, ``1250000``, ``1.250.000,00``, a number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("not an amount")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != int(value):
            raise ValueError("fractions of a đồng")
        return int(value)
    text = re.sub(r"(?i)\s|vnd|đ|\+", "", str(value))
    if not text:
        return None
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    text = text.strip("-()")
    if not re.fullmatch(r"[0-9.,]+", text):
        raise ValueError(f"not an amount: {value!r}")
    whole, fraction = text, ""
    last = max(text.rfind("."), text.rfind(","))
    if last >= 0:
        tail = text[last + 1:]
        separators = text.count(".") + text.count(",")
        if ("." in text and "," in text) or (separators == 1 and len(tail) != 3):
            whole, fraction = text[:last], tail
    if fraction.strip("0"):
        raise ValueError("fractions of a đồng")
    digits = re.sub(r"[.,]", "", whole)
    if not digits:
        raise ValueError(f"not an amount: {value!r}")
    amount = int(digits)
    return -amount if negative else amount


_DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M:%S",
                 "%d-%m-%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d",
                 "%d/%m/%y")


def parse_date(value: object) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=VN)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=VN)
    text = " ".join(str(value).split())
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=VN)
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r}")


def rows_of(content: bytes, file_name: str) -> Iterator[list[object]]:
    if content[:4] == b"PK\x03\x04":  # .xlsx is a zip
        yield from _xlsx_rows(content)
        return
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed("STATEMENT_ENCODING",
                               "Tệp sao kê phải là Excel (.xlsx) hoặc CSV mã UTF-8.",
                               "The statement must be Excel (.xlsx) or UTF-8 CSV.",
                               {"file": file_name})
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text), dialect)


def _xlsx_rows(content: bytes) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ValidationFailed("STATEMENT_UNREADABLE", "Không đọc được tệp Excel.",
                               "The Excel file cannot be read.", {"error": str(exc)[:200]}
                               ) from exc
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(values_only=True):
        yield list(row)
    book.close()


def parse_statement(content: bytes, file_name: str = "saoke") -> Parsed:
    rows = rows_of(content, file_name)
    columns: dict[str, int] | None = None
    header_at = 0
    for number, row in enumerate(rows, start=1):
        columns = find_columns(row)
        if columns is not None:
            header_at = number
            break
        if number >= HEADER_SCAN_ROWS:
            break
    if columns is None:
        raise ValidationFailed(
            "STATEMENT_LAYOUT_UNKNOWN",
            "Không nhận ra dòng tiêu đề của sao kê (cần cột ngày giao dịch, nội dung và số "
            "tiền ghi có).",
            "No header row found (a date, a description and a credit amount column are needed).",
            {"file": file_name, "columns": {k: list(v[:3]) for k, v in COLUMNS.items()}})
    credits, errors = _credits(rows, columns, header_at)
    if errors:
        raise ValidationFailed("STATEMENT_INVALID",
                               f"Sao kê có {len(errors)} dòng không đọc được; chưa nhập gì.",
                               f"{len(errors)} statement lines cannot be read; nothing imported.",
                               {"errors": errors[:100], "error_count": len(errors)})
    layout = "+".join(sorted(columns))
    return Parsed(layout=layout, credits=credits, rows_read=len(credits))


def _cell(row: list[object], columns: dict[str, int], name: str) -> object:
    index = columns.get(name)
    return row[index] if index is not None and index < len(row) else None


def _credits(rows: Iterable[list[object]], columns: dict[str, int], header_at: int
             ) -> tuple[list[Credit], list[dict[str, object]]]:
    credits: list[Credit] = []
    errors: list[dict[str, object]] = []
    seen: Counter[str] = Counter()
    for line_no, row in enumerate(rows, start=header_at + 1):
        if line_no - header_at > MAX_LINES:
            errors.append({"line": line_no, "reason": f"more than {MAX_LINES} lines"})
            break
        if not any(cell not in (None, "") for cell in row):
            continue
        raw_date = _cell(row, columns, "date")
        if isinstance(raw_date, str) and not re.search(r"\d", raw_date):
            continue  # "Tổng cộng", "Số dư cuối kỳ": labels, not transfers
        try:
            booked_at = parse_date(raw_date)
            if booked_at is None:
                continue  # totals, opening balance, footers
            if "credit" in columns:
                amount = parse_amount(_cell(row, columns, "credit"))
            else:
                amount = parse_amount(_cell(row, columns, "amount"))
        except ValueError as exc:
            errors.append({"line": line_no, "reason": str(exc)[:200]})
            continue
        if amount is None or amount <= 0:
            continue  # a debit
        note = " ".join(str(_cell(row, columns, "note") or "").split())[:500]
        payer = " ".join(str(_cell(row, columns, "payer") or "").split())[:200]
        ref = " ".join(str(_cell(row, columns, "ref") or "").split())[:64]
        if not ref:
            # No reference column: the same transfer in an overlapping statement has the same
            # date, amount, note and payer; the ordinal separates identical transfers of a day.
            basis = f"{booked_at.isoformat()}|{amount}|{note}|{payer}"
            seen[basis] += 1
            ref = "H" + hashlib.sha256(f"{basis}|{seen[basis]}".encode()).hexdigest()[:40]
        credits.append(Credit(line_no=line_no, bank_ref=ref, booked_at=booked_at,
                              amount=amount, note=note, payer=payer))
    return credits, errors
