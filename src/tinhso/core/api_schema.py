"""Shapes shared by every router; no side effects, so any ``api.py`` may import it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.conf import settings
from ninja import Schema
from pydantic import BeforeValidator, Field


class ErrorOut(Schema):
    """Every error of the API (docs/api.md)."""

    code: str
    message_vi: str
    message_en: str
    details: dict[str, Any]


# Free-text bounds shared by the API schemas (a 19,000,000-character note was once stored).
MAX_SHORT = 100
MAX_NOTE = 2000



# An amount of money in đồng: a positive whole number, at most TINHSO_MAX_PAYMENT_AMOUNT (read
# when the API is built, so the schema states the bound in force).
Amount = Annotated[int, Field(ge=1, le=settings.TINHSO_MAX_PAYMENT_AMOUNT)]

# ``openapi_extra={PARAMS_KEY: {"name": {...}}}`` on an operation corrects what the schema says
# of a parameter its view parses itself (a query string taken as ``str | None`` so that its own
# error code answers, but required all the same): the keys are merged into that parameter.
PARAMS_KEY = "x-tinhso-params"


def _iso_date_only(value: Any) -> Any:
    # pydantic's lax mode reads "0" or 0 as a Unix timestamp (1970-01-01): a date parameter
    # must be written YYYY-MM-DD, as the schema says.
    if isinstance(value, str) and not (len(value) == 10 and value[4] == "-" and value[7] == "-"):
        raise ValueError("a date is written YYYY-MM-DD")
    if isinstance(value, int | float):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]
