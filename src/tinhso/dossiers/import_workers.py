"""Parser processes for a big COPY import: the lines are parsed and formatted on every core.

On PostgreSQL the import's Python side (parse, check, derive, format, the IOC fact states) was
its bound: ~105 of the 148 s a million dossiers took to read on two cores, while PostgreSQL
stored the previous batch on the other core. Here ``workers`` processes (``spawn``: a clean
interpreter with its own database connection, nothing inherited from the importing process's
connection or threads) run :class:`~tinhso.dossiers.import_batch.BatchFormatter` on batches of
raw lines; the importing process reads the file, keeps the decisions that need the whole file
and sends the text on its one transaction.

A parser process touches the database only to read the catalogue (procedures, agencies,
calendars: committed data) and to take ids from the sequences (``nextval`` is outside any
transaction; ids of a refused import are lost, as they are for any rollback). It exits when
the importing process dies (a parent check every second), so a killed import leaves no
process behind.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # this module is imported before Django is set up in a parser process
    from tinhso.dossiers.import_batch import Batch, BatchFormatter, Lines

_formatter: BatchFormatter | None = None
_failure: BaseException | None = None  # why the initializer failed (raised by each task)
FIRST_ID_BLOCK, LAST_ID_BLOCK = 2_000, 1 << 17  # ids reserved at once grow between these


class IdBlocks:
    """Ids of one table's sequence, reserved in blocks that double up to LAST_ID_BLOCK (few
    round trips, and a small import wastes no more ids than it uses).

    ``submit(func)`` runs ``func(cursor)`` (maybe later, on another thread) and returns a
    ticket; ``result(ticket)`` waits for its value. The next block is asked for while half of
    the current one is left, so a pipelined caller need not wait for it."""

    def __init__(self, submit: Callable[[Callable[[Any], Any]], Any],
                 result: Callable[[Any], Any], sequence: str, per_item: int = 1) -> None:
        self.submit, self.result_of, self.sequence = submit, result, sequence
        self.ranges: deque[range] = deque()
        self.available = 0  # values left in self.ranges
        self.block = FIRST_ID_BLOCK * per_item
        self.cap = LAST_ID_BLOCK * per_item
        self.pending: Any = None

    @classmethod
    def on_pipeline(cls, pipeline: Any, table: str, per_item: int = 1) -> IdBlocks:
        """Blocks drawn on a :class:`~tinhso.core.copytext.CopyPipeline`'s connection, after
        the COPYs queued before them."""
        sequence = pipeline.call(lambda cursor: serial_sequence(cursor, table))
        return cls(pipeline.submit, pipeline.result, sequence, per_item)

    def take(self, count: int) -> list[int]:
        out: list[int] = []
        while len(out) < count:
            if not self.ranges:
                self._collect(count - len(out))
            head = self.ranges[0]
            need = count - len(out)
            out.extend(head[:need])
            if len(head) > need:
                self.ranges[0] = head[need:]
            else:
                self.ranges.popleft()
        self.available -= count
        if self.pending is None and self.available < self.block // 2:
            self.pending = self.submit(self._draw(self.block))
            self.block = min(self.block * 2, self.cap)
        return out

    def _collect(self, need: int) -> None:
        if self.pending is None:
            self.pending = self.submit(self._draw(max(need, self.block)))
            self.block = min(self.block * 2, self.cap)
        drawn = self.result_of(self.pending)
        self.ranges.extend(drawn)
        self.available += sum(map(len, drawn))
        self.pending = None

    def _draw(self, count: int) -> Callable[[Any], list[range]]:
        sequence = self.sequence
        return lambda cursor: draw_ids(cursor, sequence, count)


# Advisory-lock namespace of the id draws (the second key is the sequence name's hash).
DRAW_LOCK = 29523


def draw_ids(cursor: Any, sequence: str, count: int) -> list[range]:
    """``count`` fresh values of ``sequence``, as ranges of consecutive values.

    Parser processes draw at the same time: two ``nextval`` series running side by side
    interleave value by value, and a block came back as a million one-value ranges (the
    import ran 2.4× slower with two processes than with one). Draws of the import therefore
    take turns (a session advisory lock), and values another writer took meanwhile (a live
    intake does not take the lock) only split the block into a few runs."""
    cursor.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [DRAW_LOCK, sequence])
    try:
        cursor.execute("SELECT min(v), max(v) FROM (SELECT nextval(%s::regclass) AS v "
                       "FROM generate_series(1, %s)) AS ids", [sequence, count])
        low, high = cursor.fetchone()
        if high - low + 1 == count:
            return [range(low, high + 1)]
        cursor.execute("SELECT nextval(%s::regclass) AS v FROM generate_series(1, %s) "
                       "ORDER BY v", [sequence, count])
        return runs([v for (v,) in cursor.fetchall()])
    finally:
        cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [DRAW_LOCK, sequence])


def runs(values: list[int]) -> list[range]:
    """Sorted distinct values as ranges of consecutive ones: [1, 2, 3, 7, 8] → 1–3, 7–8."""
    out: list[range] = []
    start = previous = None
    for v in values:
        if previous is not None and v == previous + 1:
            previous = v
            continue
        if start is not None and previous is not None:
            out.append(range(start, previous + 1))
        start = previous = v
    if start is not None and previous is not None:
        out.append(range(start, previous + 1))
    return out


def serial_sequence(cursor: Any, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return str(cursor.fetchone()[0])


def _start(database: dict[str, Any], now: dt.datetime, parent: int) -> None:
    """Pool initializer. It never raises: a pool replaces a worker whose initializer failed,
    forever — the failure is kept and raised by the first task instead."""
    global _failure
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    try:
        _set_up(database, now)
    except BaseException as exc:  # noqa: BLE001 - handed to the importer by _format
        _failure = exc


def _set_up(database: dict[str, Any], now: dt.datetime) -> None:
    """Django on the importer's database, the parser, the id sources."""
    global _formatter
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.db import connection

    from tinhso.core import hooks
    from tinhso.dossiers.import_batch import BatchFormatter
    from tinhso.dossiers.import_parse import LineParser
    from tinhso.dossiers.models import Dossier, DossierEvent

    connection.settings_dict.update(database)  # the importer's (a test database in tests)

    def run_now(func: Callable[[Any], Any]) -> Any:
        with connection.cursor() as cursor:
            return func(cursor)

    with connection.cursor() as cursor:
        dossiers = serial_sequence(cursor, Dossier._meta.db_table)
        events = serial_sequence(cursor, DossierEvent._meta.db_table)
    loaders, _ = hooks.bulk_loaders()
    _formatter = BatchFormatter(
        LineParser(), now=now, loaders=loaders,
        dossier_ids=IdBlocks(run_now, lambda value: value, dossiers).take,
        event_ids=IdBlocks(run_now, lambda value: value, events, per_item=8).take)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)  # the importer is gone: its transaction too


def _format(lines: Lines) -> Batch:
    if _failure is not None:
        raise RuntimeError(f"parser process could not start: {_failure!r}") from _failure
    assert _formatter is not None, "the pool's initializer did not run"
    return _formatter.run(lines)


def parallel_batches(batches: Iterable[Lines], *, workers: int, database: dict[str, Any],
                     now: dt.datetime) -> Iterator[Batch]:
    """The formatted batches, in the order of ``batches``; at most two per worker are in the
    processes at once (memory stays bounded on a file of any size)."""
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(workers, initializer=_start, initargs=(database, now, os.getpid()))
    try:
        window: deque[Any] = deque()
        for lines in batches:
            window.append(pool.apply_async(_format, (lines,)))
            if len(window) >= 2 * workers:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()
        pool.close()
    finally:
        pool.terminate()
        pool.join()


__all__ = ["IdBlocks", "draw_ids", "parallel_batches", "runs", "serial_sequence"]
