"""Per-process caches of hot lookups, invalidated at once across server processes (issue 12).

The online intake looked up the same rows on every request: the token's user, the procedure
with its form schema and components, the agency with its unit and membership of the procedure.
They change rarely, so each server process keeps them in memory, tagged with a **generation
number** per kind (:class:`tinhso.core.models.CacheGeneration`):

* every change to what a kind caches bumps its number *in the same transaction* (model signals
  wired in ``tinhso.core.apps``; bulk paths call :func:`bump` themselves), so the new number
  becomes visible exactly when the change does, and a rolled-back change bumps nothing;
* a bump writes a fresh random 62-bit number, not ``value + 1``: an entry loaded inside a
  transaction that bumped and then rolled back carries a number no committed change will
  ever write again, so it can never be mistaken for current;
* a request reads all numbers in ONE query, the first time it needs one (then keeps them for
  the rest of the request), and an entry is used only when it carries the current number —
  a change committed by any process is seen by every other process on its next request;
* :func:`bump` also forgets the numbers this request read, so a lookup after a change in the
  same request goes back to the database.

Entries are copies handed out per call (``copy.copy``), never shared mutable instances, and an
entry older than ``MAX_AGE`` seconds is re-read anyway (a safety net for a change made by hand
in SQL, which no signal sees).
"""

from __future__ import annotations

import contextvars
import copy
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connection

ACCOUNTS = "accounts"  # token -> user (with the user's agency)
CATALOG = "catalog"  # procedure + form schema + components; agency + unit + membership
KINDS = (ACCOUNTS, CATALOG)
MAX_AGE = 300.0  # seconds
MAX_ENTRIES = 20_000  # per process, all kinds together: a full cache is simply emptied

T = TypeVar("T")

# The generation numbers read by the current request (None outside a request: read each time).
_request_generations: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "tinhso_lookup_generations", default=None)
_in_request: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "tinhso_lookup_in_request", default=False)
# (kind, key) -> (generation, stored at, value)
_entries: dict[tuple[str, Any], tuple[int, float, Any]] = {}
_lock = threading.Lock()
# Counters for tests and benchmarks: hits and misses of this process.
stats = {"hits": 0, "misses": 0, "generation_reads": 0}


def _table() -> str:
    from tinhso.core.models import CacheGeneration

    return connection.ops.quote_name(CacheGeneration._meta.db_table)


def read_generations() -> dict[str, int]:
    """All generation numbers, in one query (a kind never bumped is 0)."""
    stats["generation_reads"] += 1
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT kind, value FROM {_table()}")  # noqa: S608 - our table name
        found = {str(kind): int(value) for kind, value in cursor.fetchall()}
    return {kind: found.get(kind, 0) for kind in KINDS}


def generations() -> Mapping[str, int]:
    """The numbers for this request: read once per request, at every call outside one."""
    if not _in_request.get():
        return read_generations()
    current = _request_generations.get()
    if current is None:
        current = read_generations()
        _request_generations.set(current)
    return current


def bump(*kinds: str) -> None:
    """Mark ``kinds`` changed, inside the caller's transaction (one upsert per kind)."""
    table = _table()
    with connection.cursor() as cursor:
        for kind in kinds:
            cursor.execute(
                f"INSERT INTO {table} (kind, value) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT (kind) DO UPDATE SET value = excluded.value",
                [kind, secrets.randbits(62) + 1])
    # This request must not go on using the numbers it read before its own change.
    _request_generations.set(None)


def get(kind: str, key: Any, load: Callable[[], T | None]) -> T | None:
    """The cached value of ``key`` (a copy), or ``load()`` stored under the current generation.

    ``load`` returning None (not found) is not cached: an unknown code costs a query each time,
    as before, and a row created later is found at once.
    """
    generation = generations()[kind]
    entry = _entries.get((kind, key))
    if entry is not None and entry[0] == generation and time.monotonic() - entry[1] < MAX_AGE:
        stats["hits"] += 1
        return _copy(entry[2])
    stats["misses"] += 1
    # The generation was read before loading: a change committed meanwhile bumps it past the
    # number stored here, so the entry is dropped at the next request, never kept stale.
    value = load()
    if value is not None:
        with _lock:
            if len(_entries) >= MAX_ENTRIES:
                _entries.clear()
            _entries[(kind, key)] = (generation, time.monotonic(), value)
        return _copy(value)
    return None


def _copy(value: T) -> T:
    # Model instances: a copy with its own state and related-object cache, so a caller that
    # sets an attribute (a role cache, a related object) never changes the shared entry.
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)  # type: ignore[return-value]
    return copy.copy(value)


def clear() -> None:
    """Forget every entry of this process (tests; never needed for correctness)."""
    with _lock:
        _entries.clear()
    _request_generations.set(None)


@contextmanager
def request_scope() -> Iterator[None]:
    """Read the generation numbers at most once inside this block (one request)."""
    token_in = _in_request.set(True)
    token_gen = _request_generations.set(None)
    try:
        yield
    finally:
        _request_generations.reset(token_gen)
        _in_request.reset(token_in)


class LookupCacheMiddleware:
    """Scopes the generation numbers to one request (they are read lazily, so a request that
    looks nothing up — a health check, a static file — costs no query)."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        with request_scope():
            return self.get_response(request)


# --- what bumps which kind -------------------------------------------------------------------

# Saves that touch only these fields change nothing a cache holds (a login, a token's use):
# bumping on them would empty every process's token cache at each citizen's sign-in.
_IRRELEVANT_FIELDS = frozenset({"last_login", "last_used_at"})


def _bumper(*kinds: str) -> Callable[..., None]:
    def receiver(sender: Any, update_fields: Any = None, **kwargs: Any) -> None:
        if update_fields and set(update_fields) <= _IRRELEVANT_FIELDS:
            return
        bump(*kinds)

    return receiver


def _m2m_bumper(*kinds: str) -> Callable[..., None]:
    def receiver(sender: Any, action: str, **kwargs: Any) -> None:
        if action.startswith("post_"):
            bump(*kinds)

    return receiver


_receivers: list[Callable[..., None]] = []  # kept alive: signals hold weak references


def connect_signals() -> None:
    """Wire the models whose changes make an entry stale (called once, from the app config)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from tinhso.accounts.models import ApiToken, User
    from tinhso.catalog.models import Procedure, ProcedureComponent
    from tinhso.units.models import AdminUnit, Agency

    wiring: list[tuple[type[Any], tuple[str, ...]]] = [
        (User, (ACCOUNTS,)), (ApiToken, (ACCOUNTS,)),
        (Procedure, (CATALOG,)), (ProcedureComponent, (CATALOG,)),
        # A user's agency travels with the cached user; agencies and units with the catalog.
        (Agency, (ACCOUNTS, CATALOG)), (AdminUnit, (ACCOUNTS, CATALOG)),
    ]
    for model, kinds in wiring:
        receiver = _bumper(*kinds)
        _receivers.append(receiver)
        post_save.connect(receiver, sender=model, dispatch_uid=f"lookupcache-save-{model}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"lookupcache-del-{model}")
    membership = _m2m_bumper(CATALOG)
    _receivers.append(membership)
    m2m_changed.connect(membership, sender=Procedure.agencies.through,
                        dispatch_uid="lookupcache-procedure-agencies")
