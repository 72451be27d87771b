"""limit/offset paging for the API lists, with both numbers bounded.

ninja's ``LimitOffsetPagination`` leaves ``offset`` unbounded: ``offset=14691939730572042240``
reached the database, which SQLite cannot hold in a 64-bit integer (a 500) and PostgreSQL
refuses. Every paginated list uses this class instead, so a number out of range is a 422
``VALIDATION_ERROR`` naming the parameter, on both databases.

(No ``from __future__ import annotations``: ninja reads the ``Input`` annotations at import.)
"""

from typing import Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

# Deeper than any real list (10 million dossiers at most): a client past it is not paging.
MAX_OFFSET = 100_000_000
DEFAULT_LIMIT = 100


def check_limit(limit: int, max_limit: int) -> int:
    """The ``limit`` of a keyset list: 1 … ``max_limit``, else a 422 ``INVALID_LIMIT``."""
    from tinhso.core.errors import ValidationFailed

    if not 1 <= limit <= max_limit:
        raise ValidationFailed(
            "INVALID_LIMIT", f"Số mục mỗi trang phải từ 1 đến {max_limit}.",
            f"limit must be 1 to {max_limit}.", {"limit": limit, "max": max_limit})
    return limit


def limit_param(max_limit: int, default: int) -> dict[str, Any]:
    """What the schema says of such a ``limit`` (``openapi_extra`` with ``PARAMS_KEY``)."""
    return {"schema": {"type": "integer", "minimum": 1, "maximum": max_limit,
                       "default": default}}


def bounded_pagination(max_limit: int = DEFAULT_LIMIT, default: int = 20) -> Any:
    """A ``LimitOffsetPagination`` with ``1 ≤ limit ≤ max_limit`` and
    ``0 ≤ offset ≤ MAX_OFFSET``; anything else is a 422 (not silently clamped)."""

    class BoundedLimitOffset(LimitOffsetPagination):
        class Input(Schema):
            limit: int = Field(default, ge=1, le=max_limit,
                               description=f"số mục mỗi trang (1–{max_limit})")
            offset: int = Field(0, ge=0, le=MAX_OFFSET, description="bỏ qua bao nhiêu mục")

    BoundedLimitOffset.__name__ = f"LimitOffset{max_limit}"
    return BoundedLimitOffset
