"""Parsing and validation of one line of a historical-dossier file (``tinhso import-dossiers``).

Both import paths — the row path (:mod:`tinhso.dossiers.importer`) and the PostgreSQL COPY path
(:mod:`tinhso.dossiers.import_copy`) — read lines with :func:`numbered_lines`, decode them with
:func:`parse_json_line` and check them with :class:`LineParser`, so a rule or a message is
written once (format and rules: docs/import-dossiers.md).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from tinhso.catalog.models import Procedure
from tinhso.core.text import nfc
from tinhso.dossiers.models import ApplicantKind, Channel, Dossier, Status
from tinhso.units.models import Agency
from tinhso.workdays import calendar

CHANNELS = {"direct": Channel.DIRECT, "online": Channel.ONLINE, "postal": Channel.POSTAL}
REQUIRED_KEYS = ("procedure", "agency", "channel", "applicant", "received_at", "due_at",
                 "events", "payments", "result_electronic", "components_digitized")
# Statuses after which nothing may follow (the dossier is closed).
FINAL = frozenset({Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED})
FIRST_STATUSES = frozenset({Status.NEW, Status.RECEIVED, Status.REFUSED})
# Plausible successors of each status. Legacy systems often skip "processing" (4) or
# "processed" (9), so those skips are allowed; repeating 4 is allowed (one event per step).
NEXT: dict[int, frozenset[int]] = {
    1: frozenset({2, 3, 4, 5, 7}),
    2: frozenset({4, 5, 6, 7, 8, 9, 10}),
    4: frozenset({4, 5, 6, 7, 8, 9, 10}),
    5: frozenset({2, 3, 4, 7, 8}),
    6: frozenset({4, 7, 8, 9, 10}),
    9: frozenset({6, 10}),
}
# Before reception only the online submission and a request to complete it can happen.
BEFORE_RECEPTION = frozenset({Status.NEW, Status.SUPPLEMENT_REQUESTED})
MAX_CODE_LENGTH = Dossier._meta.get_field("code").max_length or 60
MAX_NAME_LENGTH = Dossier._meta.get_field("applicant_name").max_length or 200
DB_CHECK_CHUNK = 500
MAX_REPORTED_ERRORS = 1000

try:  # the accounts app's validators (Decree 137/2015 ID numbers, tax-code check digit)
    from tinhso.accounts.validators import validate_id_number, validate_tax_code
except ImportError:  # pragma: no cover - only while the accounts app lacks them
    validate_id_number = validate_tax_code = None  # type: ignore[assignment]


class BadLine(Exception):
    """A line that cannot be imported, with a short reason in Vietnamese and English."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi = vi
        self.en = en


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    vi: str
    en: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.en} / dòng {self.line}: {self.vi}"


@dataclass(slots=True)
class ImportResult:
    lines: int = 0
    imported: int = 0
    skipped: int = 0
    error_count: int = 0
    # The first MAX_REPORTED_ERRORS errors in line order; error_count has them all.
    errors: list[LineError] = field(default_factory=list)
    events: int = 0
    payments: int = 0
    # Seconds per phase (the COPY path fills it; bench/import_dossiers.py prints it).
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0


@dataclass(slots=True)
class ParsedDossier:
    line: int
    code: str | None
    procedure_id: int
    agency: Agency
    channel: int
    applicant_kind: str
    applicant_id_number: str
    applicant_name: str
    received_at: dt.datetime
    due_at: dt.datetime
    events: list[tuple[dt.datetime, int]]
    payments: list[tuple[dt.datetime, int, bool]]
    result_electronic: bool
    components_digitized: bool
    rating: int | None
    # The procedure's clock pauses while the applicant carries out financial obligations.
    payment_pauses_clock: bool = False


# ------------------------------------------------------------------------------------------
# Validation of one line
# ------------------------------------------------------------------------------------------


def _moment(value: Any, where: str) -> dt.datetime:
    if not isinstance(value, str):
        raise BadLine(f"{where}: phải là chuỗi ngày giờ ISO 8601",
                      f"{where}: must be an ISO 8601 date-time string")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadLine(f"{where}: ngày giờ không hợp lệ ({value!r})",
                      f"{where}: invalid date-time ({value!r})") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadLine(f"{where}: thiếu độ lệch múi giờ, ví dụ +07:00 ({value!r})",
                      f"{where}: missing UTC offset such as +07:00 ({value!r})")
    return moment


def _boolean(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise BadLine(f"{key}: phải là true hoặc false", f"{key}: must be true or false")
    return value


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class LineParser:
    """Turns one decoded JSON object into a :class:`ParsedDossier`, or raises BadLine.

    Holds the code → row maps, loaded once (a few hundred agencies, a few thousand procedures).
    """

    def __init__(self) -> None:
        self.procedures: dict[str, int] = dict(Procedure.objects.values_list("code", "id"))
        self.pausing: set[int] = set(Procedure.objects.filter(payment_pauses_clock=True)
                                     .values_list("id", flat=True))
        self.agencies: dict[str, Agency] = {a.code: a for a in Agency.objects.all()}
        self.tz = calendar.local_tz()
        self.today = dt.date.today()

    def local_day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()

    def parse(self, obj: Any, line: int) -> ParsedDossier:
        if not isinstance(obj, dict):
            raise BadLine("mỗi dòng phải là một đối tượng JSON {...}",
                          "each line must be a JSON object {...}")
        missing = [key for key in REQUIRED_KEYS if key not in obj]
        if missing:
            raise BadLine(f"thiếu trường {', '.join(missing)}",
                          f"missing key(s) {', '.join(missing)}")

        code = obj.get("code")
        if code is not None:
            if not isinstance(code, str) or not code.strip():
                raise BadLine("code: phải là chuỗi khác rỗng", "code: must be a non-empty string")
            if len(code) > MAX_CODE_LENGTH or any(c.isspace() for c in code):
                raise BadLine(f"code: dài quá {MAX_CODE_LENGTH} ký tự hoặc chứa khoảng trắng",
                              f"code: longer than {MAX_CODE_LENGTH} characters or has spaces")

        procedure_id = self.procedures.get(obj["procedure"]) if isinstance(
            obj["procedure"], str) else None
        if procedure_id is None:
            raise BadLine(f"procedure: không có thủ tục mã {obj['procedure']!r} trong danh mục",
                          f"procedure: unknown procedure code {obj['procedure']!r}")
        agency = self.agencies.get(obj["agency"]) if isinstance(obj["agency"], str) else None
        if agency is None:
            raise BadLine(f"agency: không có cơ quan mã {obj['agency']!r}",
                          f"agency: unknown agency code {obj['agency']!r}")
        channel = CHANNELS.get(obj["channel"]) if isinstance(obj["channel"], str) else None
        if channel is None:
            raise BadLine(f"channel: phải là direct, online hoặc postal ({obj['channel']!r})",
                          f"channel: must be direct, online or postal ({obj['channel']!r})")

        kind, id_number, name = self._applicant(obj["applicant"])

        received_at = _moment(obj["received_at"], "received_at")
        due_at = _moment(obj["due_at"], "due_at")
        if due_at <= received_at:
            raise BadLine("due_at phải sau received_at", "due_at must be after received_at")

        events = self._events(obj["events"], received_at)
        payments = self._payments(obj["payments"])
        result_electronic = _boolean(obj["result_electronic"], "result_electronic")
        components_digitized = _boolean(obj["components_digitized"], "components_digitized")
        rating = obj.get("rating")
        if rating is not None and (not _int(rating) or rating not in (-1, 0, 1)):
            raise BadLine("rating: phải là 1, 0 hoặc -1", "rating: must be 1, 0 or -1")

        return ParsedDossier(
            line=line, code=code, procedure_id=procedure_id, agency=agency, channel=channel,
            applicant_kind=kind, applicant_id_number=id_number, applicant_name=name,
            received_at=received_at, due_at=due_at, events=events, payments=payments,
            result_electronic=result_electronic, components_digitized=components_digitized,
            rating=rating, payment_pauses_clock=procedure_id in self.pausing,
        )

    def _applicant(self, value: Any) -> tuple[str, str, str]:
        if not isinstance(value, dict):
            raise BadLine("applicant: phải là đối tượng {kind, id_number, name}",
                          "applicant: must be an object {kind, id_number, name}")
        kind = value.get("kind")
        if kind not in (ApplicantKind.CITIZEN, ApplicantKind.ORGANISATION):
            raise BadLine("applicant.kind: phải là citizen hoặc organisation",
                          "applicant.kind: must be citizen or organisation")
        name = value.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadLine("applicant.name: thiếu tên người nộp", "applicant.name: missing")
        name = nfc(" ".join(name.split()))
        if len(name) > MAX_NAME_LENGTH:
            raise BadLine(f"applicant.name: dài quá {MAX_NAME_LENGTH} ký tự",
                          f"applicant.name: longer than {MAX_NAME_LENGTH} characters")
        id_number = value.get("id_number")
        if not isinstance(id_number, str):
            raise BadLine("applicant.id_number: phải là chuỗi",
                          "applicant.id_number: must be a string")
        return kind, self._identifier(kind, id_number), name

    def _identifier(self, kind: str, value: str) -> str:
        citizen = kind == ApplicantKind.CITIZEN
        if validate_id_number is not None:
            try:
                if citizen:
                    return validate_id_number(value, today=self.today)
                return validate_tax_code(value)
            except Exception as exc:  # ValidationFailed carries both messages
                vi = getattr(exc, "message_vi", "không hợp lệ")
                en = getattr(exc, "message_en", str(exc))
                raise BadLine(f"applicant.id_number: {vi}", f"applicant.id_number: {en}") from None
        cleaned = value.strip()  # fallback: format only
        ok = (len(cleaned) == 12 and cleaned.isdigit()) if citizen else (
            cleaned[:10].isdigit() and (len(cleaned) == 10 or (
                len(cleaned) == 14 and cleaned[10] == "-" and cleaned[11:].isdigit())))
        if not ok:
            raise BadLine("applicant.id_number: số định danh hoặc mã số thuế không hợp lệ",
                          "applicant.id_number: invalid ID number or tax code")
        return cleaned

    def _events(self, value: Any, received_at: dt.datetime) -> list[tuple[dt.datetime, int]]:
        if not isinstance(value, list) or not value:
            raise BadLine("events: phải là danh sách khác rỗng",
                          "events: must be a non-empty list")
        events: list[tuple[dt.datetime, int]] = []
        previous: int | None = None
        for i, item in enumerate(value):
            where = f"events[{i}]"
            if not isinstance(item, dict) or "at" not in item or "status" not in item:
                raise BadLine(f"{where}: phải có at và status", f"{where}: needs at and status")
            at = _moment(item["at"], f"{where}.at")
            status = item["status"]
            if not _int(status) or not 1 <= status <= 10:
                raise BadLine(f"{where}.status: phải là số nguyên 1–10 ({status!r})",
                              f"{where}.status: must be an integer 1–10 ({status!r})")
            if events and at < events[-1][0]:
                raise BadLine(f"{where}: sự kiện không theo thứ tự thời gian",
                              f"{where}: events are not in time order")
            if at < received_at and status not in BEFORE_RECEPTION:
                raise BadLine(f"{where}: trạng thái {status} trước thời điểm tiếp nhận",
                              f"{where}: status {status} before received_at")
            if previous is None:
                if status not in FIRST_STATUSES:
                    raise BadLine(f"{where}: trạng thái đầu tiên phải là 1, 2 hoặc 3 ({status})",
                                  f"{where}: the first status must be 1, 2 or 3 ({status})")
            elif previous in FINAL:
                raise BadLine(f"{where}: có sự kiện sau trạng thái kết thúc {previous}",
                              f"{where}: event after the final status {previous}")
            elif status not in NEXT[previous]:
                raise BadLine(f"{where}: không thể chuyển từ trạng thái {previous} sang {status}",
                              f"{where}: implausible transition {previous} → {status}")
            events.append((at, status))
            previous = status
        return events

    def _payments(self, value: Any) -> list[tuple[dt.datetime, int, bool]]:
        if not isinstance(value, list):
            raise BadLine("payments: phải là danh sách (có thể rỗng)",
                          "payments: must be a list (possibly empty)")
        payments: list[tuple[dt.datetime, int, bool]] = []
        for i, item in enumerate(value):
            where = f"payments[{i}]"
            if not isinstance(item, dict) or not {"at", "amount", "online"} <= item.keys():
                raise BadLine(f"{where}: phải có at, amount, online",
                              f"{where}: needs at, amount and online")
            at = _moment(item["at"], f"{where}.at")
            amount = item["amount"]
            if not _int(amount) or amount <= 0:
                raise BadLine(f"{where}.amount: phải là số nguyên dương (đồng)",
                              f"{where}.amount: must be a positive integer (VND)")
            payments.append((at, amount, _boolean(item["online"], f"{where}.online")))
        return payments



def parse_json_line(raw: bytes) -> Any:
    try:  # orjson: ~3× faster than json on these lines; json gives the messages users see
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass  # also what orjson refuses and json takes (NaN, integers past 64 bits)
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise BadLine("không phải UTF-8", "not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadLine(f"JSON sai cú pháp (cột {exc.colno}: {exc.msg})",
                      f"invalid JSON (column {exc.colno}: {exc.msg})") from None


def numbered_lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Numbered non-blank lines (blank lines are ignored, numbering still counts them)."""
    for number, raw in enumerate(handle, 1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a UTF-8 byte-order mark written by some exporters
        if raw.strip():
            yield number, raw


def progress_disabled(progress: bool | None) -> bool | None:
    """tqdm's ``disable``: True hides the bar, None hides it when stderr is not a terminal."""
    return True if progress is False else (None if progress is None else False)
