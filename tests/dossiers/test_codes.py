"""Dossier codes: format, daily sequence per agency, gap-free under concurrency."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from tests import factories
from tinhso.dossiers.codes import (
    advance_daily_sequences,
    allocate_dossier_codes,
    format_dossier_code,
    next_dossier_code,
    parse_dossier_code,
    reserve_dossier_codes,
)
from tinhso.dossiers.models import DailySequence

DAY = dt.date(2026, 1, 15)


@pytest.mark.django_db
def test_sequential_codes_per_agency_and_day(agency, other_agency):
    assert agency.code == agency.code.strip()
    first = next_dossier_code(agency, DAY)
    second = next_dossier_code(agency, DAY)
    assert first == f"{agency.code}-260115-0001"
    assert second == f"{agency.code}-260115-0002"
    # Another agency and another day each start their own sequence.
    assert next_dossier_code(other_agency, DAY) == f"{other_agency.code}-260115-0001"
    assert next_dossier_code(agency, DAY + dt.timedelta(days=1)) == f"{agency.code}-260116-0001"
    assert next_dossier_code(agency, DAY) == f"{agency.code}-260115-0003"


@pytest.mark.django_db
def test_rollback_gives_the_number_back(agency):
    assert next_dossier_code(agency, DAY).endswith("-0001")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_dossier_code(agency, DAY).endswith("-0002")
        raise RuntimeError("the dossier could not be created")
    assert next_dossier_code(agency, DAY).endswith("-0002")


@pytest.mark.django_db
def test_reserve_block_continues_the_sequence(agency):
    next_dossier_code(agency, DAY)
    block = reserve_dossier_codes(agency, DAY, 3)
    assert [c[-4:] for c in block] == ["0002", "0003", "0004"]
    assert reserve_dossier_codes(agency, DAY, 0) == []
    assert next_dossier_code(agency, DAY).endswith("-0005")


@pytest.mark.django_db
def test_more_than_9999_a_day_widens_instead_of_wrapping(agency):
    DailySequence.objects.create(agency=agency, day=DAY, last_value=9999)
    assert next_dossier_code(agency, DAY) == f"{agency.code}-260115-10000"
    assert parse_dossier_code(f"{agency.code}-260115-10000") == (agency.code, DAY, 10000)


@pytest.mark.django_db
def test_advance_never_lowers_a_counter(agency, other_agency):
    DailySequence.objects.create(agency=agency, day=DAY, last_value=10)
    advance_daily_sequences({(agency.pk, DAY): 4, (other_agency.pk, DAY): 7})
    assert next_dossier_code(agency, DAY).endswith("-0011")
    assert next_dossier_code(other_agency, DAY).endswith("-0008")


def test_parse_rejects_foreign_formats():
    assert parse_dossier_code("HS-2019-000123") is None
    assert parse_dossier_code("-260115-0001") is None
    assert parse_dossier_code("000.00.10.H10-261345-0001") is None  # month 13
    code = format_dossier_code("000.00.10.H10", DAY, 42)
    assert code == "000.00.10.H10-260115-0042"
    assert parse_dossier_code(code) == ("000.00.10.H10", DAY, 42)


@pytest.mark.django_db(transaction=True)
def test_concurrent_transactions_get_distinct_gap_free_codes():
    agency = factories.make_agency(unit=factories.make_province())
    threads_count, per_thread = 4, 6
    barrier = threading.Barrier(threads_count)
    committed: list[str] = []
    rolled_back: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                try:
                    with transaction.atomic():
                        code = next_dossier_code(agency, DAY)
                        if (index + i) % 5 == 0:
                            with lock:
                                rolled_back.append(code)
                            raise LookupError("simulated failure after taking a number")
                    with lock:
                        committed.append(code)
                except LookupError:
                    pass
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert rolled_back, "the test must exercise rollbacks"
    assert len(committed) == len(set(committed)) == threads_count * per_thread - len(rolled_back)
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in committed)
    assert numbers == list(range(1, len(committed) + 1))
    assert DailySequence.objects.get(agency=agency, day=DAY).last_value == len(committed)


@pytest.mark.django_db
def test_allocate_many_codes_at_once(agency, other_agency):
    next_dossier_code(agency, DAY)  # 0001 taken by a live dossier
    other_day = DAY + dt.timedelta(days=1)
    requests = [(agency.pk, agency.code, DAY), (other_agency.pk, other_agency.code, DAY),
                (agency.pk, agency.code, DAY), (agency.pk, agency.code, other_day)]
    codes = allocate_dossier_codes(requests)
    assert codes == [f"{agency.code}-260115-0002", f"{other_agency.code}-260115-0001",
                     f"{agency.code}-260115-0003", f"{agency.code}-260116-0001"]
    assert allocate_dossier_codes([]) == []
    # Live codes continue after the block.
    assert next_dossier_code(agency, DAY).endswith("-0004")
    assert next_dossier_code(agency, other_day).endswith("-0002")


@pytest.mark.django_db
def test_bulk_paths_read_counters_in_chunks(agency, other_agency, monkeypatch):
    from tinhso.dossiers import codes

    monkeypatch.setattr(codes, "KEYS_PER_QUERY", 2)
    days = [DAY + dt.timedelta(days=i) for i in range(5)]
    for day in days[:3]:
        next_dossier_code(agency, day)
    advance_daily_sequences({(other_agency.pk, day): 3 for day in days})
    requests = [(a.pk, a.code, day) for day in days for a in (agency, other_agency)]
    allocated = allocate_dossier_codes(requests)
    assert [c[-4:] for c in allocated] == ["0002", "0004"] * 3 + ["0001", "0004"] * 2
