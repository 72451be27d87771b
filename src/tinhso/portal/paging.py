"""Keyset pagination for long lists (work queues of 100,000 dossiers, "my dossiers").

OFFSET pagination reads and throws away every row before the page, and a page count needs a
COUNT(*) over the whole queue; both grow with the queue. A keyset page asks for the rows after
(or before) the last row seen in the sort order ``(field, id)``, which an index on the field
answers in constant time per page. Rows whose sort field is NULL (a dossier not yet received has
no due time) come last in both directions so that they never hide the rows that matter.

The cursor is an opaque URL-safe token holding the sort value and the id of the boundary row.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import F, Q, QuerySet


class BadCursor(ValueError):
    """A cursor that was tampered with or belongs to another sort order."""


@dataclass
class KeysetPage:
    rows: list[Any]
    has_next: bool = False
    has_previous: bool = False
    next_cursor: str | None = None
    previous_cursor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _encode(value: Any, pk: int, sort: str) -> str:
    if isinstance(value, dt.datetime):
        value = {"dt": value.isoformat()}
    elif isinstance(value, dt.date):
        value = {"d": value.isoformat()}
    raw = json.dumps([sort, value, pk], separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str, sort: str) -> tuple[Any, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        sort_in, value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadCursor(token) from exc
    if sort_in != sort or not isinstance(pk, int):
        raise BadCursor(token)
    if isinstance(value, dict):
        try:
            if "dt" in value:
                value = dt.datetime.fromisoformat(value["dt"])
            elif "d" in value:
                value = dt.date.fromisoformat(value["d"])
            else:
                raise BadCursor(token)
        except (TypeError, ValueError) as exc:
            raise BadCursor(token) from exc
    elif value is not None and not isinstance(value, str | int | float):
        raise BadCursor(token)
    return value, pk


def _after(name: str, value: Any, pk: int, descending: bool) -> Q:
    """Rows strictly after (value, pk) in the order (name asc|desc NULLS LAST, pk asc|desc)."""
    if value is None:
        return Q(**{f"{name}__isnull": True, ("pk__lt" if descending else "pk__gt"): pk})
    beyond = "lt" if descending else "gt"
    return (Q(**{f"{name}__{beyond}": value})
            | Q(**{name: value, f"pk__{beyond}": pk})
            | Q(**{f"{name}__isnull": True}))


def _before(name: str, value: Any, pk: int, descending: bool) -> Q:
    """Rows strictly before (value, pk) in the same order."""
    if value is None:
        return (Q(**{f"{name}__isnull": False})
                | Q(**{f"{name}__isnull": True, ("pk__gt" if descending else "pk__lt"): pk}))
    ahead = "gt" if descending else "lt"
    return Q(**{f"{name}__{ahead}": value}) | Q(**{name: value, f"pk__{ahead}": pk})


def _ordering(name: str, descending: bool, reverse: bool) -> list[Any]:
    # NULLS LAST going forward; walking backwards reverses everything, so NULLS FIRST.
    nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
    if descending != reverse:
        return [F(name).desc(**nulls), F("pk").desc()]
    return [F(name).asc(**nulls), F("pk").asc()]


def keyset_paginate(
    queryset: QuerySet[Any],
    *,
    sort: str,
    per_page: int = 50,
    after: str | None = None,
    before: str | None = None,
) -> KeysetPage:
    """One page of ``queryset`` ordered by ``sort`` (``"due_at"`` or ``"-due_at"``), then id.

    ``after``/``before`` are cursors from a previous page. Raises ``BadCursor`` for a cursor that
    does not decode or was made for another sort order.
    """
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if not isinstance(queryset.model._meta.get_field(name), models.Field):
        raise ValueError(f"cannot sort by {name}")
    if after and before:
        raise BadCursor("after and before together")
    going_back = bool(before)
    qs = queryset
    if after:
        value, pk = _decode(after, sort)
        qs = qs.filter(_after(name, value, pk, descending))
    elif before:
        value, pk = _decode(before, sort)
        qs = qs.filter(_before(name, value, pk, descending))
    qs = qs.order_by(*_ordering(name, descending, reverse=going_back))
    rows = list(qs[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if going_back:
        rows.reverse()
        has_previous, has_next = more, True
    else:
        has_previous, has_next = bool(after), more
    page = KeysetPage(rows=rows, has_next=has_next and bool(rows),
                      has_previous=has_previous and bool(rows))
    if rows:
        page.next_cursor = _encode(getattr(rows[-1], name), rows[-1].pk, sort)
        page.previous_cursor = _encode(getattr(rows[0], name), rows[0].pk, sort)
    return page
