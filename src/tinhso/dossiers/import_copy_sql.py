"""The set-based SQL of the COPY import (:mod:`tinhso.dossiers.import_copy`): the staging table
of the dossiers, the legacy codes already taken, the daily counters, the codes and the move.

Only table and column names from model metadata are interpolated; values travel as parameters.
"""

# ruff: noqa: S608 - see above
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import connection

from tinhso.dossiers.codes import SEQUENCE_WIDTH
from tinhso.dossiers.models import DailySequence, Dossier, DossierEvent
from tinhso.payments.models import Payment

STAGE = "import_dossier_stage"
TAKEN = "import_dossier_taken"
# Sorts and hashes of a million staged rows stay in memory (the session's default is 4 MB);
# set for this transaction only.
WORK_MEM = "256MB"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def create_stage() -> None:
    """The dossiers' staging table: the Dossier columns (code may still be missing) and the
    line number, the agency's code and the local reception day the codes are made from."""
    with connection.cursor() as cursor:
        # Inside an outer transaction (tests, callers) ON COMMIT comes later: drop our own.
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} (LIKE {_q(Dossier._meta.db_table)}) "
                       "ON COMMIT DROP")
        cursor.execute(f"ALTER TABLE {STAGE} ALTER COLUMN code DROP NOT NULL, "
                       "ADD COLUMN line integer, ADD COLUMN agency_code text, "
                       "ADD COLUMN local_day date")


def taken_codes() -> list[tuple[int, str]]:
    """(line, code) of the staged legacy codes that a dossier in the database already holds,
    in line order: one join instead of a query per batch."""
    with connection.cursor() as cursor:
        # Temporary tables get no statistics from autovacuum: without them the planner
        # guesses a few hundred rows and picks nested loops over a million.
        cursor.execute(f"ANALYZE {STAGE}")
        cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
        cursor.execute(f"SELECT s.line, s.code FROM {STAGE} s "
                       f"JOIN {_q(Dossier._meta.db_table)} d ON d.code = s.code ORDER BY s.line")
        return [(line, code) for line, code in cursor.fetchall()]


def discard_taken() -> tuple[list[int], int, int]:
    """Delete the staged dossiers whose code is taken, with their events and payments
    (--skip-bad). Returns their ids and the numbers of events and payments deleted."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{TAKEN}")
        cursor.execute(f"CREATE TEMPORARY TABLE {TAKEN} ON COMMIT DROP AS SELECT s.id "
                       f"FROM {STAGE} s JOIN {_q(Dossier._meta.db_table)} d ON d.code = s.code")
        cursor.execute(f"DELETE FROM {_q(DossierEvent._meta.db_table)} "
                       f"WHERE dossier_id IN (SELECT id FROM {TAKEN})")
        events = cursor.rowcount
        cursor.execute(f"DELETE FROM {_q(Payment._meta.db_table)} "
                       f"WHERE dossier_id IN (SELECT id FROM {TAKEN})")
        payments = cursor.rowcount
        cursor.execute(f"DELETE FROM {STAGE} WHERE id IN (SELECT id FROM {TAKEN})")
        cursor.execute(f"SELECT id FROM {TAKEN} ORDER BY id")
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"DROP TABLE {TAKEN}")
    return ids, events, payments


def raise_sequences(used: Mapping[tuple[int, dt.date], int]) -> None:
    """Counters move past the legacy codes in our format (like advance_daily_sequences)."""
    if not used:
        return
    keys = sorted(used)
    table = DailySequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (agency_id, day, last_value) "
            "SELECT * FROM unnest(%s::bigint[], %s::date[], %s::bigint[]) "
            "ON CONFLICT (agency_id, day) DO UPDATE "
            f"SET last_value = GREATEST({table}.last_value, EXCLUDED.last_value)",
            [[k[0] for k in keys], [k[1] for k in keys], [used[k] for k in keys]])


def allocate_codes_and_move() -> None:
    """One statement: advance each (agency, day) counter by its number of dossiers without a
    code, number those dossiers in line order after the counter's old value, and insert every
    staged dossier with its code into place.

    The staged rows are never rewritten (an UPDATE of the staging table would write each
    uncoded row a second time): the codes are joined in as the rows move.
    """
    table = DailySequence._meta.db_table
    width = SEQUENCE_WIDTH
    columns = [str(f.column) for f in Dossier._meta.concrete_fields]
    names = ", ".join(_q(c) for c in columns)
    values = ", ".join("COALESCE(s.code, nb.code)" if c == "code" else f"s.{_q(c)}"
                       for c in columns)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
        cursor.execute(f"""
            WITH need AS (
                SELECT agency_id, local_day AS day, count(*) AS n FROM {STAGE}
                WHERE code IS NULL GROUP BY agency_id, local_day
            ), bumped AS (
                INSERT INTO {table} AS q (agency_id, day, last_value)
                SELECT agency_id, day, n FROM need ORDER BY agency_id, day
                ON CONFLICT (agency_id, day) DO UPDATE
                SET last_value = q.last_value + EXCLUDED.last_value
                RETURNING agency_id, day, last_value
            ), numbered AS (
                SELECT r.line, r.agency_code || '-' || to_char(r.local_day, 'YYMMDD') || '-'
                       || lpad(x.v::text, greatest({width}, length(x.v::text)), '0') AS code
                FROM (SELECT line, agency_id, local_day, agency_code,
                             row_number() OVER (PARTITION BY agency_id, local_day
                                                ORDER BY line) AS rn
                      FROM {STAGE} WHERE code IS NULL) r
                JOIN bumped b ON b.agency_id = r.agency_id AND b.day = r.local_day
                JOIN need n ON n.agency_id = r.agency_id AND n.day = r.local_day
                CROSS JOIN LATERAL (SELECT b.last_value - n.n + r.rn) AS x(v)
            )
            INSERT INTO {_q(Dossier._meta.db_table)} ({names})
            SELECT {values} FROM {STAGE} s LEFT JOIN numbered nb ON nb.line = s.line
        """)


__all__ = ["STAGE", "allocate_codes_and_move", "create_stage", "discard_taken",
           "raise_sequences", "taken_codes"]
