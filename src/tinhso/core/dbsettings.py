"""``tinhso check --deploy`` warns when PostgreSQL runs with settings too small for a province.

PostgreSQL ships sized for a small shared machine: 128 MB of shared buffers and a checkpoint
after every 1 GB of write-ahead log. A million-dossier import writes ~10 GB of WAL, so at the
default it checkpoints every few seconds and rewrites whole pages after each checkpoint
(PostgreSQL itself logs "checkpoints are occurring too frequently"); daily intake and the IOC's
reads of a year of facts do not fit in 128 MB either. docs/operations.md, "PostgreSQL settings",
gives the values and the measured difference. Nothing here changes a setting: the database
belongs to the province's administrators.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import connection
from django.db.utils import DatabaseError

MIB = 1024 * 1024
# (setting, smallest recommended value in bytes or seconds, unit of pg_settings to convert)
RECOMMENDED: tuple[tuple[str, int, str], ...] = (
    ("shared_buffers", 1024 * MIB, "bytes"),
    ("max_wal_size", 4096 * MIB, "bytes"),
    ("checkpoint_timeout", 900, "seconds"),
)
_UNIT_BYTES = {"8kB": 8192, "kB": 1024, "MB": MIB, "B": 1}


def as_number(setting: str, unit: str | None) -> int:
    """pg_settings' value in bytes (memory) or seconds (time)."""
    if unit in _UNIT_BYTES:
        return int(setting) * _UNIT_BYTES[unit]
    if unit == "ms":
        return int(setting) // 1000
    if unit == "min":
        return int(setting) * 60
    return int(setting)


def human(value: int, kind: str) -> str:
    if kind == "seconds":
        return f"{value // 60} min" if value % 60 == 0 else f"{value} s"
    return f"{value / 1024 / MIB:g} GB" if value >= 1024 * MIB else f"{value // MIB} MB"


def postgres_settings_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if connection.vendor != "postgresql":
        return []
    names = [name for name, _, _ in RECOMMENDED]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)",
                           [names])
            found = {name: as_number(setting, unit) for name, setting, unit in cursor.fetchall()}
    except DatabaseError:  # no database yet: `check --deploy` before createdb
        return []
    out: list[checks.CheckMessage] = []
    for number, (name, least, kind) in enumerate(RECOMMENDED, start=1):
        value = found.get(name)
        if value is None or value >= least:
            continue
        out.append(checks.Warning(
            f"PostgreSQL {name} = {human(value, kind)}; cần ít nhất {human(least, kind)} cho "
            f"một tỉnh / at least {human(least, kind)} recommended for a province",
            hint="docs/operations.md, mục / section \"PostgreSQL settings\"",
            id=f"tinhso.W10{number}"))
    return out


def register() -> None:
    checks.register(postgres_settings_check, checks.Tags.database, deploy=True)
