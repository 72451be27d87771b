"""Gap-free numbers: the counter row is locked (``SELECT … FOR UPDATE``) in the caller's
transaction, so a rolled-back registration gives its number back and two concurrent ones wait
for each other. Call only inside ``transaction.atomic``."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from tinhso.correspondence.models import Counter


def next_number(*, agency: Any, register: str, year: int, doc_type: str = "") -> int:
    assert transaction.get_connection().in_atomic_block, "numbers are taken in a transaction"
    try:
        with transaction.atomic():
            Counter.objects.get_or_create(agency=agency, register=register, year=year,
                                          doc_type=doc_type)
    except IntegrityError:
        pass  # a concurrent first number created the row; lock it below
    counter = Counter.objects.select_for_update().get(agency=agency, register=register,
                                                     year=year, doc_type=doc_type)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number
