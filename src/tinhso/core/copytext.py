"""PostgreSQL ``COPY … FROM STDIN`` in text format, for the bulk loads (the dossier import, the
IOC facts of a load): rows formatted by Python as text lines, sent in order on a worker thread.

Why text built here rather than psycopg's ``copy.write_row``: ``write_row`` adapts every value
by its type (~14 µs a row of ten values, measured on the import's event rows), while the load
knows each column's type and builds the line with one ``str.format``. Why a worker thread:
while PostgreSQL parses and inserts batch k (the socket waits release the GIL), Python reads and
formats batch k+1 — the two cores work at once instead of in turn.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db.models import Model

NULL = "\\N"


def escape(text: str) -> str:
    """A string as a COPY text field (backslash, tab, newline and carriage return escaped)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r"))
    return text


def value(v: Any) -> str:
    """Any value the loads write, as a COPY text field (for the rare or generic columns)."""
    if v is None:
        return NULL
    if v is True:
        return "t"
    if v is False:
        return "f"
    if isinstance(v, str):
        return escape(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.date):  # datetime too: ISO 8601 with its offset
        return v.isoformat()
    if isinstance(v, dict | list):
        return escape(json.dumps(v, ensure_ascii=False))
    return escape(str(v))


def moment(v: dt.datetime | None) -> str:
    return NULL if v is None else v.isoformat()


class RowFormat:
    """The COPY text line of one table from the columns a load fills, in the order given;
    every other column gets its field default (auto_now fields: ``now``), except an unfilled
    primary key, left to its sequence.

    ``line(*texts)`` takes the filled columns' values already as COPY text, then those of
    the ``extra`` columns (a staging table's own, after the model's).
    """

    def __init__(self, model: type[Model], filled: Sequence[str], *, now: dt.datetime,
                 extra: Sequence[str] = ()) -> None:
        # Without the primary key among the filled columns the database numbers the rows.
        fields = [f for f in model._meta.concrete_fields
                  if f.attname in filled or not f.primary_key]
        names = [f.attname for f in fields]
        unknown = set(filled) - set(names)
        if unknown:
            raise ValueError(f"not columns of {model.__name__}: {sorted(unknown)}")
        self.columns = [str(f.column) for f in fields] + list(extra)
        parts = []
        for f in fields:
            if f.attname in filled:
                parts.append(f"{{{filled.index(f.attname)}}}")
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default: Any = now
            elif f.has_default():
                default = f.get_default()
            else:
                default = "" if f.empty_strings_allowed and not f.null else None
            parts.append(value(default).replace("{", "{{").replace("}", "}}"))
        parts += [f"{{{len(filled) + i}}}" for i in range(len(extra))]
        self.format = ("\t".join(parts) + "\n").format

    def line(self, *texts: str) -> str:
        return self.format(*texts)


class CopyPipeline:
    """Runs a load's statements in order on one worker thread, on the caller's connection and
    inside its transaction (the caller touches the connection only through ``call``).

    ``copy`` queues a COPY and returns at once (at most ``depth`` wait in the queue, so memory
    stays bounded); ``call`` runs a function after the queued work and returns its result.
    The first error stops the work that follows and is raised by the next ``copy``, ``call``
    or ``close``; ``close`` always waits for the thread, so the caller's rollback never races
    a statement still running.
    """

    def __init__(self, raw_connection: Any, *, depth: int = 2) -> None:
        self.connection = raw_connection
        self.jobs: queue.Queue[tuple[Callable[[], Any], list[Any], threading.Event] | None] = (
            queue.Queue(maxsize=depth))
        self.error: BaseException | None = None
        self.waited = 0.0  # seconds the caller waited for the thread (PostgreSQL behind)
        self.thread = threading.Thread(target=self._work, name="copy-pipeline", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            func, out, done = job
            if self.error is None:
                try:
                    out.append(func())
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    self.error = exc
            done.set()

    def _put(self, func: Callable[[], Any]) -> tuple[list[Any], threading.Event]:
        if self.error is not None:
            raise self.error
        out: list[Any] = []
        done = threading.Event()
        started = _now()
        self.jobs.put((func, out, done))
        self.waited += _now() - started
        return out, done

    def copy(self, table: str, columns: Iterable[str], text: str) -> None:
        if not text:
            return
        sql = f"COPY {_quote(table)} ({', '.join(_quote(c) for c in columns)}) FROM STDIN"
        data = text.encode()

        def run() -> None:
            with self.connection.cursor() as cursor, cursor.copy(sql) as copy:
                copy.write(data)
        self._put(run)

    def submit(self, func: Callable[[Any], Any]) -> tuple[list[Any], threading.Event]:
        """Queue ``func(cursor)`` after the queued work; ``result`` waits for its value."""
        def run() -> Any:
            with self.connection.cursor() as cursor:
                return func(cursor)
        return self._put(run)

    def result(self, ticket: tuple[list[Any], threading.Event]) -> Any:
        out, done = ticket
        started = _now()
        done.wait()
        self.waited += _now() - started
        if self.error is not None:
            raise self.error
        return out[0]

    def call(self, func: Callable[[Any], Any]) -> Any:
        """``func(cursor)`` on the worker thread once the queued work is done."""
        return self.result(self.submit(func))

    def close(self) -> None:
        started = _now()
        self.jobs.put(None)
        self.thread.join()
        self.waited += _now() - started
        if self.error is not None:
            raise self.error


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_now = time.perf_counter


__all__ = ["NULL", "CopyPipeline", "RowFormat", "escape", "moment", "value"]
