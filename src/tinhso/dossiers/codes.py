"""Dossier codes: ``<agency code>-YYMMDD-XXXX`` (Circular 01/2018/TT-VPCP art. 19).

XXXX is a daily sequence per agency, kept in one :class:`DailySequence` row per (agency, day).
The row is incremented inside the caller's transaction, so:

* gap-free: when the caller's transaction rolls back, so does the increment — no number is lost;
* safe under concurrency: the increment is an ``UPDATE ... SET last_value = last_value + n`` on
  the row, which takes the row's write lock until the caller commits. On PostgreSQL a second
  transaction waits on that lock and then sees the committed value; on SQLite the settings open
  every transaction with ``BEGIN IMMEDIATE``, so writers are serialised before they read anything.
  The first code of a day inserts the row; two concurrent first inserts collide on the unique
  constraint, the loser's savepoint rolls back and it retries the increment.

A day with more than 9,999 dossiers at one agency gets 5 (or more) digits — ``...-260115-10000``
— rather than wrapping around: codes must stay unique, and the 4-digit width is a minimum.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest

from tinhso.dossiers.models import DailySequence, Dossier
from tinhso.outbox.models import OutboxEvent
from tinhso.units.models import Agency

SEQUENCE_WIDTH = 4
KEYS_PER_QUERY = 2000  # (agency, day) keys per locking read of the bulk paths
# Agency codes contain dots and digits, and letters such as H10; the tail is fixed.
CODE_TAIL = re.compile(r"-(\d{6})-(\d{4,})$")


def format_dossier_code(agency_code: str, day: dt.date, value: int) -> str:
    return f"{agency_code}-{day:%y%m%d}-{value:0{SEQUENCE_WIDTH}d}"


def parse_dossier_code(code: str) -> tuple[str, dt.date, int] | None:
    """Split a code into (agency code, day, sequence); ``None`` when it is not in our format."""
    match = CODE_TAIL.search(code)
    if match is None or match.start() == 0:
        return None
    try:
        day = dt.datetime.strptime(match.group(1), "%y%m%d").date()
    except ValueError:
        return None
    return code[: match.start()], day, int(match.group(2))


def _increment(agency_id: int, day: dt.date, count: int) -> int:
    """Add ``count`` to the (agency, day) counter and return the new last value.

    ONE statement — ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (PostgreSQL, SQLite ≥
    3.35) — instead of a savepoint, an UPDATE, a SELECT and a release: the busiest row of the
    online intake (every submission of an agency's day) is locked one round trip later and
    the first code of a day needs no retry. The row lock is still held until the caller
    commits, so the numbers stay gap-free.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if connection.vendor in ("postgresql", "sqlite"):
        table = connection.ops.quote_name(DailySequence._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (agency_id, day, last_value) VALUES (%s, %s, %s) "  # noqa: S608
                f"ON CONFLICT (agency_id, day) DO UPDATE "
                f"SET last_value = {table}.last_value + excluded.last_value "
                "RETURNING last_value",
                [agency_id, connection.ops.adapt_datefield_value(day), count])
            return int(cursor.fetchone()[0])
    return _increment_portable(agency_id, day, count)


def _increment_portable(agency_id: int, day: dt.date, count: int) -> int:
    # atomic() is a savepoint inside the caller's transaction (or a transaction of its own when
    # called in autocommit mode), so the retry below never poisons the caller's transaction.
    with transaction.atomic():
        while True:
            rows = DailySequence.objects.filter(agency_id=agency_id, day=day).update(
                last_value=F("last_value") + count
            )
            if rows:
                # Our own UPDATE holds the row lock, so this read returns our value.
                return DailySequence.objects.values_list("last_value", flat=True).get(
                    agency_id=agency_id, day=day
                )
            try:
                with transaction.atomic():
                    DailySequence.objects.create(agency_id=agency_id, day=day, last_value=count)
                return count
            except IntegrityError:
                # Another transaction created the day's row first: increment that one.
                continue


def _raise_to(agency_id: int, day: dt.date, value: int) -> None:
    with transaction.atomic():
        while True:
            if DailySequence.objects.filter(agency_id=agency_id, day=day).update(
                last_value=Greatest(F("last_value"), value)
            ):
                return
            try:
                with transaction.atomic():
                    DailySequence.objects.create(agency_id=agency_id, day=day, last_value=value)
                return
            except IntegrityError:
                continue


def next_dossier_code(agency: Agency, day: dt.date) -> str:
    """The next code of ``agency`` for ``day``. Call it inside the transaction that creates
    the dossier, so a rollback gives the number back."""
    value = _increment(agency.pk, day, 1)
    return format_dossier_code(agency.code, day, value)


PENDING_PREFIX = "~"  # never the first character of an agency code


def pending_code() -> str:
    """A unique stand-in for a dossier's code until :func:`assign_code_last` replaces it in the
    same transaction (so it is never committed; ``~`` cannot start a real code)."""
    return f"{PENDING_PREFIX}{uuid.uuid4().hex}"


def assign_code_last(dossier: Dossier, day: dt.date) -> str:
    """Take the day's next number and write the dossier's code — the LAST statement of the
    caller's transaction (decision 0028).

    The counter row is locked from this increment to the commit, and every submission of the
    agency's day queues on it; taken first (as :func:`next_dossier_code` does) it was held
    across all the transaction's inserts. Here the dossier, its attachments, key, event and
    outbox row are already written with :func:`pending_code`; one statement increments the
    counter and puts the code into the dossier row and into the payloads of its outbox events
    (the only copies made so far). Still gap-free: a rollback gives the number back, and
    nothing may run between this call and the commit that could fail and roll back.
    """
    agency_code = dossier.agency.code
    prefix = f"{agency_code}-{day:%y%m%d}-"
    seq = connection.ops.quote_name(DailySequence._meta.db_table)
    dossiers = connection.ops.quote_name(Dossier._meta.db_table)
    outbox = connection.ops.quote_name(OutboxEvent._meta.db_table)
    if connection.vendor == "postgresql":
        # One round trip: data-modifying CTEs run in one statement, the counter's lock last.
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH seq AS (INSERT INTO {seq} (agency_id, day, last_value) "  # noqa: S608
                f"VALUES (%s, %s, 1) ON CONFLICT (agency_id, day) DO UPDATE "
                f"SET last_value = {seq}.last_value + 1 RETURNING last_value), "
                f"d AS (UPDATE {dossiers} SET code = %s || lpad(seq.last_value::text, "
                f"greatest({SEQUENCE_WIDTH}, length(seq.last_value::text)), '0') FROM seq "
                f"WHERE {dossiers}.id = %s RETURNING {dossiers}.code), "
                f"o AS (UPDATE {outbox} SET payload = jsonb_set(payload, '{{code}}', "
                f"to_jsonb(d.code)) FROM d WHERE aggregate_type = 'dossier' "
                f"AND aggregate_id = %s AND payload ? 'code') "
                "SELECT code FROM d",
                [dossier.agency_id, day, prefix, dossier.pk, str(dossier.pk)])
            row = cursor.fetchone()
        if row is None:  # pragma: no cover - the dossier was inserted by this transaction
            raise RuntimeError(f"dossier {dossier.pk} vanished before its code was assigned")
        code = str(row[0])
    else:
        # SQLite's IMMEDIATE transactions serialise writers from BEGIN, so the order does not
        # shorten any wait there; the same three writes, one statement each (no
        # data-modifying CTEs in SQLite).
        code = format_dossier_code(agency_code, day, _increment(dossier.agency_id, day, 1))
        Dossier.objects.filter(pk=dossier.pk).update(code=code)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {outbox} SET payload = json_set(payload, '$.code', %s) "  # noqa: S608
                    "WHERE aggregate_type = 'dossier' AND aggregate_id = %s "
                    "AND json_type(payload, '$.code') IS NOT NULL", [code, str(dossier.pk)])
            dossier.code = code
            return code
        events = list(OutboxEvent.objects.filter(aggregate_type="dossier",
                                                 aggregate_id=str(dossier.pk)))
        for event in events:
            if "code" in event.payload:
                event.payload["code"] = code
        if events:
            OutboxEvent.objects.bulk_update(events, ["payload"])
    dossier.code = code
    return code


def reserve_dossier_codes(agency: Agency, day: dt.date, count: int) -> list[str]:
    """Reserve ``count`` consecutive codes at once (bulk paths): one locked increment."""
    if count == 0:
        return []
    last = _increment(agency.pk, day, count)
    return [format_dossier_code(agency.code, day, value)
            for value in range(last - count + 1, last + 1)]


def _locked_rows(keys: Iterable[tuple[int, dt.date]]) -> Iterator[DailySequence]:
    """The DailySequence rows of exactly these (agency id, day) keys, locked.

    One condition per agency (its days), not ``agency IN (…) AND day IN (…)``: the cross
    product of a batch's agencies and days would read most of the table at every batch.
    Chunks keep each query under the databases' parameter limits.
    """
    keys = list(keys)
    for start in range(0, len(keys), KEYS_PER_QUERY):
        days: dict[int, set[dt.date]] = {}
        for agency_id, day in keys[start:start + KEYS_PER_QUERY]:
            days.setdefault(agency_id, set()).add(day)
        condition = Q()
        for agency_id, agency_days in days.items():
            condition |= Q(agency_id=agency_id, day__in=agency_days)
        yield from DailySequence.objects.select_for_update().filter(condition)


def allocate_dossier_codes(requests: Sequence[tuple[int, str, dt.date]]) -> list[str]:
    """Codes for many dossiers at once: ``requests`` are (agency id, agency code, day), the
    result is one code per request, consecutive per (agency, day) in request order.

    For the bulk paths: one locked read of the day's counters and one bulk advance instead of
    an increment per (agency, day) — with a million dossiers spread over years, most groups
    hold a single dossier. Call it inside the transaction that inserts the dossiers: on SQLite
    writers are serialised (IMMEDIATE); on PostgreSQL the existing rows are locked
    (``select_for_update``) and a day's first row created meanwhile by a live transaction
    makes the insert of a colliding code fail, so the batch rolls back rather than duplicate.
    """
    if not requests:
        return []
    groups: dict[tuple[int, dt.date], list[int]] = {}
    for index, (agency_id, _, day) in enumerate(requests):
        groups.setdefault((agency_id, day), []).append(index)
    with transaction.atomic():
        current = {(r.agency_id, r.day): r.last_value for r in _locked_rows(groups)}
        codes = [""] * len(requests)
        used: dict[tuple[int, dt.date], int] = {}
        for key, members in groups.items():
            start = current.get(key, 0)
            for offset, index in enumerate(members, start=1):
                codes[index] = format_dossier_code(requests[index][1], key[1], start + offset)
            used[key] = start + len(members)
        advance_daily_sequences(used)
    return codes


def advance_daily_sequences(used: Mapping[tuple[int, dt.date], int]) -> None:
    """Raise each (agency id, day) counter to at least the given value.

    Bulk paths that write codes themselves (the import of legacy codes in our format, the demo
    generator) call this in their transaction, so later live codes never collide with them.
    """
    if not used:
        return
    keys = list(used)
    with transaction.atomic():
        existing: dict[tuple[int, dt.date], DailySequence] = {}
        row: DailySequence | None
        for row in _locked_rows(keys):
            existing[(row.agency_id, row.day)] = row
        to_update: list[DailySequence] = []
        to_create: list[DailySequence] = []
        for key, value in used.items():
            row = existing.get(key)
            if row is None:
                to_create.append(DailySequence(agency_id=key[0], day=key[1], last_value=value))
            elif row.last_value < value:
                row.last_value = value
                to_update.append(row)
        if to_update:
            DailySequence.objects.bulk_update(to_update, ["last_value"], batch_size=500)
        if to_create:
            try:
                with transaction.atomic():
                    DailySequence.objects.bulk_create(to_create, batch_size=500)
            except IntegrityError:
                # A live transaction created one of these days' rows meanwhile: go key by key.
                for row in to_create:
                    _raise_to(row.agency_id, row.day, row.last_value)
