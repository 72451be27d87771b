"""Import of historical dossiers from a legacy one-stop system (``tinhso import-dossiers``).

The file is JSON Lines: one dossier per line (format and rules in docs/import-dossiers.md).
On PostgreSQL the import takes the set-based COPY path of :mod:`tinhso.dossiers.import_copy`
(one parse, COPY, codes and IOC facts in SQL), which uses this module's parser and row builder.
The row path below serves SQLite (and ``method="rows"``). Two passes over the file, so memory
stays bounded for millions of lines:

1. validate every line, keeping only what cross-line checks need: the set of codes seen (for
   duplicates inside the file), a small buffer of codes to check against the database, the
   highest sequence number per (agency, day) among codes already in our format, and the numbers
   of bad lines;
2. read the file again and insert the good lines in batches with ``bulk_create`` — dossiers,
   their events (action ``import``, the original status in ``data``) and payments — calling
   ``dossier_events_bulk_recorded`` after each batch so derived data (IOC facts) stays current.

All-or-nothing: the second pass runs in ONE transaction, so a failure half-way (a code taken by
a live dossier meanwhile, a lost connection, Ctrl-C) rolls everything back, and without
``--skip-bad`` nothing is written at all when a line is bad. The price: on SQLite the import
holds the write lock until it commits (see the docs for the figures).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, cast

from django.db import connection, connections, models, transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.utils import timezone
from tqdm import tqdm

from tinhso.catalog.models import Procedure
from tinhso.core.hooks import dossier_events_bulk_recorded
from tinhso.core.text import nfc
from tinhso.dossiers.codes import (
    advance_daily_sequences,
    allocate_dossier_codes,
    parse_dossier_code,
)
from tinhso.dossiers.models import (
    END_OF_PROCESSING,
    Action,
    ApplicantKind,
    Channel,
    Dossier,
    DossierEvent,
    Status,
)
from tinhso.payments.models import Payment, PaymentStatus
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
SQLITE_CACHE_KIB = 128 * 1024  # page cache of the bulk paths' connection (see BulkWriter)

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
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise BadLine("không phải UTF-8", "not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadLine(f"JSON sai cú pháp (cột {exc.colno}: {exc.msg})",
                      f"invalid JSON (column {exc.colno}: {exc.msg})") from None


def _lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Numbered non-blank lines (blank lines are ignored, numbering still counts them)."""
    for number, raw in enumerate(handle, 1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a UTF-8 byte-order mark written by some exporters
        if raw.strip():
            yield number, raw


# ------------------------------------------------------------------------------------------
# Deriving the dossier from its events
# ------------------------------------------------------------------------------------------


# Statuses with which a paused clock starts again (an end or a withdrawal leaves it stopped).
RESUMING = frozenset({Status.RECEIVED, Status.PROCESSING})


def _event_rows(p: ParsedDossier, dossier_id: int
                ) -> tuple[list[dict[str, Any]], dt.datetime]:
    """The event rows, and the appointment after the applicant's pauses.

    As the live services do (dossiers.services._common.pause_clock/resume_clock): the office
    time left at a supplement request (and, where the procedure says so, at a request to carry
    out financial obligations) runs again from the applicant's answer, so the appointment
    ``due_at`` of the file moves by the time the applicant took. The 766 index judges the
    dossier against that shifted appointment, like a live one. A pause before reception, one
    that the dossier ends in, or one that starts after the appointment has passed moves nothing.
    """
    rows: list[dict[str, Any]] = []
    due = p.due_at
    previous: int | None = None
    pause_start: dt.datetime | None = None
    for at, s in p.events:
        data: dict[str, Any] = {"status": s}
        if pause_start is not None and s not in (Status.SUPPLEMENT_REQUESTED,
                                                 Status.PAYMENT_REQUESTED):
            # The applicant's time does not count (766): keep it on the resuming event.
            data["paused_office_seconds"] = calendar.office_seconds_between(
                pause_start, at, agency=p.agency)
            if s in RESUMING and pause_start >= p.received_at and due > pause_start:
                left = calendar.office_seconds_between(pause_start, due, agency=p.agency)
                due = calendar.add_office_seconds(at, left, agency=p.agency)
                data["shifted_due_at"] = due.isoformat()
            pause_start = None
        if s == Status.SUPPLEMENT_REQUESTED or (
                s == Status.PAYMENT_REQUESTED and p.payment_pauses_clock):
            pause_start = pause_start or at
        rows.append({
            "dossier_id": dossier_id, "at": at, "actor_id": None, "action": Action.IMPORT.value,
            "from_status": previous, "to_status": s, "note": "",
            "due_at": due if at >= p.received_at else None, "data": data,
        })
        previous = s
    return rows, due


def build_rows(p: ParsedDossier, code: str, dossier_id: int
               ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The dossier, its events and payments as {attname: Python value} rows."""
    events = p.events
    status = events[-1][1]
    finished_at = next((at for at, s in events if s in END_OF_PROCESSING), None)
    returned_at = next((at for at, s in events if s == Status.RETURNED), None)
    # As the live services do: an online dossier was submitted at its first event, a counter
    # dossier at its reception.
    submitted_at = events[0][0] if events[0][1] == Status.NEW else p.received_at
    rows, due = _event_rows(p, dossier_id)
    paused_at: dt.datetime | None = None
    remaining: int | None = None
    if status in (Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED) and \
            len(events) > 1 and events[-2][1] != Status.NEW and \
            (status == Status.SUPPLEMENT_REQUESTED or p.payment_pauses_clock):
        # Awaiting the applicant: the clock is stopped with this much office time left.
        paused_at = events[-1][0]
        remaining = calendar.office_seconds_between(paused_at, due, agency=p.agency)
    dossier = {
        "id": dossier_id, "code": code, "procedure_id": p.procedure_id,
        "agency_id": p.agency.pk, "unit_id": p.agency.unit_id, "channel": p.channel,
        "status": status, "applicant_kind": p.applicant_kind,
        "applicant_id_number": p.applicant_id_number, "applicant_name": p.applicant_name,
        "submitted_at": submitted_at, "received_at": p.received_at, "due_at": due,
        "original_due_at": due, "finished_at": finished_at, "returned_at": returned_at,
        "paused_at": paused_at, "remaining_office_seconds": remaining,
        "supplement_count": sum(1 for _, s in events if s == Status.SUPPLEMENT_REQUESTED),
        "fee_amount": sum(amount for _, amount, _ in p.payments),
        "paid_online": any(online for _, _, online in p.payments),
        "result_electronic": p.result_electronic,
        "components_digitized": p.components_digitized, "rating": p.rating,
        "is_imported": True, "version": len(events),
    }
    payments = [
        {"dossier_id": dossier_id, "amount": amount, "status": PaymentStatus.PAID.value,
         "online": online, "method": "online" if online else "counter",
         "description": "Nhập từ hệ thống cũ", "requested_at": at, "paid_at": at,
         "requested_by_id": None, "reference": ""}
        for at, amount, online in p.payments
    ]
    return dossier, rows, payments


# ------------------------------------------------------------------------------------------
# Fast bulk insert (shared with the demo generator)
# ------------------------------------------------------------------------------------------


class BulkWriter:
    """``executemany`` inserts (``COPY`` on PostgreSQL) with ids allocated up front, for the
    bulk paths.

    Why not ``bulk_create``: measured on SQLite it costs ~79 µs per event row (model
    instances, then per-value compilation in the ORM) against ~14 µs for ``executemany`` of
    the same rows — for the ~14 million rows of a million generated dossiers, the difference
    between a quarter of an hour and a few minutes. Values are adapted as the ORM adapts them
    (aware datetimes to UTC text on SQLite, JSON through ``connection.ops.adapt_json_value``),
    every column is written (field defaults fill the gaps, ``auto_now`` fields get the batch
    time), and ids are allocated before the insert so children can point at their parents:
    on SQLite from MAX(id) inside the write transaction (IMMEDIATE: no other writer can take
    ids meanwhile), on PostgreSQL from the table's identity sequence. SQLite and PostgreSQL
    are the two supported databases. Use it only inside ``transaction.atomic``.
    """

    def __init__(self, using: str = "default") -> None:
        self.connection = connections[using]
        self.using = using
        self.vendor = self.connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"bulk insert on {self.vendor}")
        self.now = self.dt(timezone.now())
        self._tables: dict[tuple[type[Model], bool], Any] = {}
        if self.vendor == "sqlite":
            # SQLite's default page cache is 2 MB: with millions of rows, inserting into the
            # indexes (codes, ID numbers, event times) then reads pages from disk again and
            # again. A bigger cache for this connection keeps the hot index pages in memory.
            with self.connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                if abs(cursor.fetchone()[0]) < SQLITE_CACHE_KIB:
                    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")

    def dt(self, value: dt.datetime | None) -> Any:
        if value is None or self.vendor != "sqlite":
            return value
        return str(value.astimezone(dt.UTC).replace(tzinfo=None))

    def json(self, value: Any) -> Any:
        return self.connection.ops.adapt_json_value(value, None)

    def _table(self, model: type[Model], with_pk: bool) -> Any:
        table = self._tables.get((model, with_pk))
        if table is None:
            # Without ids in the rows the database numbers them (children need none).
            fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
            quote = self.connection.ops.quote_name
            columns = ", ".join(quote(cast(str, f.column)) for f in fields)
            marks = ", ".join(["%s"] * len(fields))
            # Identifiers come from model metadata, quoted by the backend; values are params.
            table_name = quote(model._meta.db_table)
            sql = f"INSERT INTO {table_name} ({columns}) VALUES ({marks})"  # noqa: S608
            spec = []
            for f in fields:
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                    default: Any = self.now
                elif f.has_default():
                    default = f.get_default()
                    if isinstance(f, models.JSONField):
                        default = self.json(default)
                else:
                    default = "" if f.empty_strings_allowed and not f.null else None
                convert = (self.dt if isinstance(f, models.DateTimeField) else
                           self.json if isinstance(f, models.JSONField) else None)
                spec.append((f.attname, default, convert))
            table = self._tables[(model, with_pk)] = (sql, spec)
        return table

    def allocate(self, model: type[Model], count: int) -> list[int]:
        """``count`` fresh primary keys for ``model`` (inside the current transaction)."""
        if count == 0:
            return []
        table = model._meta.db_table
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                               "FROM generate_series(1, %s)", [table, count])
                return [row[0] for row in cursor.fetchall()]
            # AUTOINCREMENT tables never reuse an id: start above the recorded sequence too.
            quoted = self.connection.ops.quote_name(table)
            seq = "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)"
            sql = f"SELECT MAX({seq}, COALESCE((SELECT MAX(id) FROM {quoted}), 0))"  # noqa: S608
            cursor.execute(sql, [table])
            start = int(cursor.fetchone()[0]) + 1
        return list(range(start, start + count))

    def template(self, model: type[Model]) -> dict[str, Any]:
        """Every column with its (adapted) default, in column order: build adapted rows as
        ``{**template, ...}`` so ``insert(adapted=True)`` can take their values as they are."""
        _, spec = self._table(model, True)
        return {a: d for a, d, _ in spec}

    def insert(self, model: type[Model], rows: Sequence[dict[str, Any]], *,
               adapted: bool = False) -> None:
        """Insert rows given as {attname: value}; missing columns take their defaults.

        Values are Python values (aware datetimes, dicts) unless ``adapted`` says the caller
        already converted datetimes and JSON for this database and built every row from
        ``template(model)`` (all columns, in order).
        """
        if not rows:
            return
        sql, spec = self._table(model, "id" in rows[0])
        if adapted:
            if list(rows[0]) != [a for a, _, _ in spec]:
                raise ValueError("adapted rows must be built from BulkWriter.template()")
            width = len(spec)
            params = [tuple(row.values()) for row in rows]
            if any(len(p) != width for p in params):
                raise ValueError("adapted rows must not add keys to the template")
        else:
            defaults = {a: d for a, d, _ in spec}
            convert = [(a, c) for a, _, c in spec if c is not None]
            params = []
            for row in rows:
                full = {**defaults, **row}  # column order; unknown keys would change the width
                for a, c in convert:
                    if a in row:
                        full[a] = c(row[a])
                if len(full) != len(spec):
                    raise ValueError(f"unknown column in {sorted(set(row) - set(defaults))}")
                params.append(tuple(full.values()))
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # COPY: one statement per batch instead of a pipeline of INSERTs (~3× faster
                # for the generator's millions of event rows); the columns are the INSERT's.
                columns = sql[sql.index("(") + 1:sql.index(")")]
                table_name = sql.split()[2]
                with cursor.cursor.copy(f"COPY {table_name} ({columns}) FROM STDIN") as copy:
                    for values in params:
                        copy.write_row(values)
            else:
                cursor.executemany(sql, params)


def event_instances(rows: Sequence[dict[str, Any]], using: str = "default"
                    ) -> list[DossierEvent]:
    """DossierEvent objects for the bulk hook, as the ORM holds loaded rows.

    ``rows`` carry Python values (aware datetimes, dicts) for every concrete field. Built
    without ``Model.__init__`` (whose per-field descriptor work costs ~30 µs an event): the
    field values go straight into ``__dict__``, where Django keeps them, with a ModelState
    that says "loaded from ``using``". No pre/post_init signals are sent for these objects.
    """
    attnames = [f.attname for f in DossierEvent._meta.concrete_fields]
    new = DossierEvent.__new__
    out = []
    for row in rows:
        obj = new(DossierEvent)
        obj.__dict__.update({a: row.get(a) for a in attnames})
        state = ModelState()
        state.adding = False
        state.db = using
        obj._state = state
        out.append(obj)
    return out


# ------------------------------------------------------------------------------------------
# The two passes
# ------------------------------------------------------------------------------------------


class _Collector:
    """Pass-1 state: errors (capped), bad line numbers, codes seen, sequences to advance."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        self.bad: set[int] = set()
        self.codes: set[str] = set()
        self.duplicates: dict[str, list[int]] = {}
        self.pending: list[tuple[str, int]] = []
        self.sequences: dict[tuple[int, dt.date], int] = {}

    def error(self, line: int, vi: str, en: str) -> None:
        self.bad.add(line)
        self.result.error_count += 1
        errors = self.result.errors
        errors.append(LineError(line, vi, en))
        if len(errors) >= 2 * MAX_REPORTED_ERRORS:
            # Keep memory bounded on a file that is wrong throughout: the first lines only.
            errors.sort(key=lambda e: e.line)
            del errors[MAX_REPORTED_ERRORS:]

    def add_code(self, parsed: ParsedDossier) -> None:
        code = parsed.code
        assert code is not None
        if code in self.codes:
            self.duplicates.setdefault(code, []).append(parsed.line)
            self.bad.add(parsed.line)
            return
        self.codes.add(code)
        self.pending.append((code, parsed.line))
        if len(self.pending) >= DB_CHECK_CHUNK:
            self.check_database()
        ours = parse_dossier_code(code)
        if ours is not None and ours[0] == parsed.agency.code:
            key = (parsed.agency.pk, ours[1])
            if ours[2] > self.sequences.get(key, 0):
                self.sequences[key] = ours[2]

    def check_database(self) -> None:
        if not self.pending:
            return
        lines = dict(self.pending)
        taken = Dossier.objects.filter(code__in=list(lines)).values_list("code", flat=True)
        for code in taken:
            self.error(lines[code], f"mã hồ sơ {code} đã có trong cơ sở dữ liệu",
                       f"dossier code {code} already exists in the database")
        self.pending = []


def _validate(path: str, parser: LineParser, result: ImportResult, progress: bool | None
              ) -> _Collector:
    state = _Collector(result)
    size = os.path.getsize(path)
    with open(path, "rb") as handle, tqdm(
        total=size, unit="B", unit_scale=True, desc="Kiểm tra / validating",
        disable=_disabled(progress), leave=False,
    ) as bar:
        unreported = 0
        for number, raw in _lines(handle):
            result.lines += 1
            unreported += len(raw)
            if unreported >= 1 << 20:
                bar.update(unreported)
                unreported = 0
            try:
                parsed = parser.parse(parse_json_line(raw), number)
            except BadLine as exc:
                state.error(number, exc.vi, exc.en)
                continue
            if parsed.code is not None:
                state.add_code(parsed)
        bar.update(unreported)
        state.check_database()
    if state.duplicates:
        _report_duplicates(path, state)
    result.errors.sort(key=lambda e: e.line)
    del result.errors[MAX_REPORTED_ERRORS:]
    return state


def _disabled(progress: bool | None) -> bool | None:
    # tqdm: True hides the bar, None hides it when stderr is not a terminal.
    return True if progress is False else (None if progress is None else False)


def _report_duplicates(path: str, state: _Collector) -> None:
    """Name the first line of each duplicated code (one more read, only when needed)."""
    first: dict[str, int] = {}
    wanted = state.duplicates
    with open(path, "rb") as handle:
        for number, raw in _lines(handle):
            if b'"code"' not in raw:
                continue
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            code = obj.get("code") if isinstance(obj, dict) else None
            if isinstance(code, str) and code in wanted and code not in first:
                first[code] = number
    for code, lines in wanted.items():
        for number in lines:
            state.error(number, f"mã hồ sơ {code} trùng với dòng {first.get(code, '?')}",
                        f"duplicate dossier code {code} (first on line {first.get(code, '?')})")


def _insert(path: str, parser: LineParser, state: _Collector, result: ImportResult,
            batch_size: int, progress: bool | None, good: int) -> None:
    with transaction.atomic():
        # Codes already in our format move the daily counters first, so generated codes
        # continue after them and later live codes never collide.
        advance_daily_sequences(state.sequences)
        batch: list[ParsedDossier] = []
        with open(path, "rb") as handle, tqdm(
            total=good, unit=" hồ sơ", desc="Nhập / importing", disable=_disabled(progress),
        ) as bar:
            for number, raw in _lines(handle):
                if number in state.bad:
                    continue
                batch.append(parser.parse(json.loads(raw), number))
                if len(batch) >= batch_size:
                    _flush(batch, parser, result)
                    bar.update(len(batch))
                    batch = []
            if batch:
                _flush(batch, parser, result)
                bar.update(len(batch))


def _flush(batch: list[ParsedDossier], parser: LineParser, result: ImportResult) -> None:
    # Codes for lines without one, from the daily sequences of their reception day.
    needing = [p for p in batch if p.code is None]
    codes = allocate_dossier_codes(
        [(p.agency.pk, p.agency.code, parser.local_day(p.received_at)) for p in needing])
    generated = {p.line: code for p, code in zip(needing, codes, strict=True)}
    writer = BulkWriter()
    ids = writer.allocate(Dossier, len(batch))
    dossiers: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    for p, dossier_id in zip(batch, ids, strict=True):
        dossier, rows, pays = build_rows(p, p.code or generated[p.line], dossier_id)
        dossiers.append(dossier)
        events.extend(rows)
        payments.extend(pays)
    for row, event_id in zip(events, writer.allocate(DossierEvent, len(events)), strict=True):
        row["id"] = event_id
    writer.insert(Dossier, dossiers)
    writer.insert(Payment, payments)
    writer.insert(DossierEvent, events)
    dossier_events_bulk_recorded(event_instances(events))
    result.imported += len(dossiers)
    result.events += len(events)
    result.payments += len(payments)


def import_dossiers(
    path: str | os.PathLike[str],
    *,
    skip_bad: bool = False,
    batch_size: int = 2000,
    progress: bool | None = None,
    on_validated: Callable[[ImportResult], None] | None = None,
    method: str = "auto",
) -> ImportResult:
    """Validate then import a JSON Lines file of historical dossiers.

    Returns the result: with errors and ``skip_bad=False`` nothing is imported (``imported``
    is 0). ``progress``: ``None`` shows a progress bar on stderr when it is a terminal.
    ``on_validated`` is called between the passes (the command prints the errors early).
    ``method``: ``copy`` (PostgreSQL: one parse, COPY, set-based SQL — import_copy.py),
    ``rows`` (the two passes below, any database), ``auto``: copy on PostgreSQL.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if method not in ("auto", "copy", "rows"):
        raise ValueError("method must be auto, copy or rows")
    path = os.fspath(path)
    if method == "copy" or (method == "auto" and connection.vendor == "postgresql"):
        from tinhso.dossiers.import_copy import import_dossiers_copy

        return import_dossiers_copy(path, skip_bad=skip_bad, batch_size=batch_size,
                                    progress=progress, on_validated=on_validated)
    result = ImportResult()
    parser = LineParser()
    state = _validate(path, parser, result, progress)
    if on_validated is not None:
        on_validated(result)
    if state.bad and not skip_bad:
        return result
    result.skipped = len(state.bad)
    good = result.lines - result.skipped
    if good:
        _insert(path, parser, state, result, batch_size, progress, good)
    return result


__all__ = ["BulkWriter", "ImportResult", "LineError", "event_instances", "import_dossiers"]
