"""Import of historical dossiers (tinhso import-dossiers): validation, derivation, atomicity."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import factories
from tinhso.core import hooks
from tinhso.dossiers.importer import import_dossiers
from tinhso.dossiers.models import Action, DailySequence, Dossier, DossierEvent, Status
from tinhso.payments.models import Payment, PaymentStatus

TZ = dt.timezone(dt.timedelta(hours=7))
TAX_CODE = "0100047516"  # valid check digit (worked example of the accounts validators)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> str:
    return dt.datetime(2024, month, day, hour, minute, tzinfo=TZ).isoformat()


def record(agency, procedure, **overrides: Any) -> dict[str, Any]:
    """A returned online dossier with one supplement round and an online payment."""
    base: dict[str, Any] = {
        "code": "HS-CU-000001",
        "procedure": procedure.code,
        "agency": agency.code,
        "channel": "online",
        "applicant": {"kind": "citizen", "id_number": factories.VALID_ID_NUMBER,
                      "name": "Nguyễn Văn An"},
        "received_at": at(4, 8),
        "due_at": at(7, 8),
        "events": [
            {"at": at(3, 20), "status": 1},
            {"at": at(4, 8), "status": 2},
            {"at": at(4, 9), "status": 4},
            {"at": at(4, 10), "status": 5},
            {"at": at(5, 10), "status": 4},
            {"at": at(6, 9), "status": 6},
            {"at": at(6, 10), "status": 9},
            {"at": at(7, 9), "status": 10},
        ],
        "payments": [{"at": at(6, 9, 30), "amount": 50000, "online": True}],
        "result_electronic": True,
        "components_digitized": True,
        "rating": 1,
    }
    base.update(overrides)
    return base


def write(tmp_path: Path, rows: list[Any]) -> Path:
    path = tmp_path / "hoso.jsonl"
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def paid_procedure(db, agency):
    return factories.make_procedure(agencies=[agency], fee=50000, code="1.001193")


@pytest.mark.django_db
def test_good_file_imports_with_derived_fields(tmp_path, agency, paid_procedure):
    awaiting = record(
        agency, paid_procedure, code="HS-CU-000002", channel="direct",
        applicant={"kind": "organisation", "id_number": TAX_CODE, "name": "Công ty TNHH  Hòa Bình"},
        events=[{"at": at(4, 8), "status": 2}, {"at": at(4, 9), "status": 4},
                {"at": at(5, 8), "status": 5}],
        payments=[], rating=None, result_electronic=False, components_digitized=False,
    )
    refused = record(agency, paid_procedure, code="HS-CU-000003", channel="postal",
                     events=[{"at": at(4, 8), "status": 3}], payments=[])
    del refused["rating"]
    path = write(tmp_path, [record(agency, paid_procedure), awaiting, refused])

    result = import_dossiers(path, progress=False)

    assert result.ok and result.imported == 3 and result.events == 12 and result.payments == 1
    done = Dossier.objects.get(code="HS-CU-000001")
    assert done.status == Status.RETURNED
    assert done.is_imported and done.unit_id == agency.unit_id and done.agency == agency
    assert done.submitted_at == dt.datetime(2024, 3, 3, 20, tzinfo=TZ)
    assert done.received_at == dt.datetime(2024, 3, 4, 8, tzinfo=TZ)
    # The file's appointment (Thu 7 Mar 08:00) moved by the one-working-day supplement pause.
    assert done.due_at == done.original_due_at == dt.datetime(2024, 3, 8, 8, tzinfo=TZ)
    # End of processing = first of processed/returned/stopped/refused (766).
    assert done.finished_at == dt.datetime(2024, 3, 6, 10, tzinfo=TZ)
    assert done.returned_at == dt.datetime(2024, 3, 7, 9, tzinfo=TZ)
    assert done.supplement_count == 1 and done.paused_at is None
    assert done.fee_amount == 50000 and done.paid_online
    assert done.result_electronic and done.components_digitized and done.rating == 1
    assert done.channel == 2

    events = list(done.events.order_by("at", "id"))
    assert [e.to_status for e in events] == [1, 2, 4, 5, 4, 6, 9, 10]
    assert [e.from_status for e in events] == [None, 1, 2, 4, 5, 4, 6, 9]
    assert {e.action for e in events} == {Action.IMPORT}
    assert [e.data["status"] for e in events] == [1, 2, 4, 5, 4, 6, 9, 10]
    assert events[0].due_at is None
    assert events[1].due_at == dt.datetime(2024, 3, 7, 8, tzinfo=TZ)
    assert events[4].due_at == done.due_at
    # Supplement pause 4 Mar 10:00 → 5 Mar 10:00: one working day of office time (8 h).
    assert events[4].data["paused_office_seconds"] == 8 * 3600

    payment = Payment.objects.get(dossier=done)
    assert payment.status == PaymentStatus.PAID and payment.online and payment.amount == 50000
    assert payment.paid_at == dt.datetime(2024, 3, 6, 9, 30, tzinfo=TZ)

    paused = Dossier.objects.get(code="HS-CU-000002")
    assert paused.status == Status.SUPPLEMENT_REQUESTED and paused.supplement_count == 1
    assert paused.paused_at == dt.datetime(2024, 3, 5, 8, tzinfo=TZ)
    # Office time from Tue 5 Mar 08:00 to Thu 7 Mar 08:00: 7.5 h + 8 h + 0.5 h.
    assert paused.remaining_office_seconds == 16 * 3600
    assert paused.finished_at is None and paused.returned_at is None
    assert paused.fee_amount == 0 and not paused.paid_online and paused.rating is None
    assert paused.applicant_kind == "organisation"
    assert paused.applicant_name == "Công ty TNHH Hòa Bình"  # spaces collapsed

    no = Dossier.objects.get(code="HS-CU-000003")
    assert no.status == Status.REFUSED and no.channel == 3 and no.rating is None
    assert no.finished_at == dt.datetime(2024, 3, 4, 8, tzinfo=TZ)
    assert no.submitted_at == no.received_at  # a counter dossier is submitted on reception


BAD_LINES: list[tuple[str, Any, str]] = [
    ("json", "{\"code\": \"X\", ", "invalid JSON"),
    ("not-object", "[1, 2]", "must be a JSON object"),
    ("missing", {"drop": "events"}, "missing key(s) events"),
    ("procedure", {"procedure": "9.999999"}, "unknown procedure code"),
    ("agency", {"agency": "000.99.99.H99"}, "unknown agency code"),
    ("channel", {"channel": "fax"}, "channel: must be direct, online or postal"),
    ("kind", {"applicant": {"kind": "robot", "id_number": "1", "name": "A"}},
     "applicant.kind"),
    ("id-number", {"applicant": {"kind": "citizen", "id_number": "12345", "name": "A"}},
     "applicant.id_number"),
    ("id-province", {"applicant": {"kind": "citizen", "id_number": "999090001234", "name": "A"}},
     "applicant.id_number"),
    ("tax-code", {"applicant": {"kind": "organisation", "id_number": "0100047517", "name": "A"}},
     "applicant.id_number"),
    ("no-name", {"applicant": {"kind": "citizen", "id_number": factories.VALID_ID_NUMBER,
                               "name": " "}}, "applicant.name"),
    ("no-offset", {"received_at": "2024-03-04T08:00:00"}, "missing UTC offset"),
    ("bad-date", {"due_at": "2024-02-30T08:00:00+07:00"}, "invalid date-time"),
    ("due-before", {"due_at": at(4, 7)}, "due_at must be after received_at"),
    ("order", {"events": [{"at": at(4, 9), "status": 2}, {"at": at(4, 8), "status": 4}]},
     "not in time order"),
    ("status-range", {"events": [{"at": at(4, 8), "status": 11}]}, "integer 1–10"),
    ("status-type", {"events": [{"at": at(4, 8), "status": "2"}]}, "integer 1–10"),
    ("after-final", {"events": [{"at": at(4, 8), "status": 2}, {"at": at(5, 8), "status": 10},
                                {"at": at(6, 8), "status": 4}]}, "after the final status 10"),
    ("transition", {"events": [{"at": at(4, 8), "status": 2}, {"at": at(5, 8), "status": 1}]},
     "implausible transition 2 → 1"),
    ("first", {"events": [{"at": at(4, 8), "status": 4}]}, "first status must be 1, 2 or 3"),
    ("before-received", {"events": [{"at": at(3, 8), "status": 2}]},
     "status 2 before received_at"),
    ("no-events", {"events": []}, "events: must be a non-empty list"),
    ("amount", {"payments": [{"at": at(6, 9), "amount": -5, "online": True}]},
     "positive integer"),
    ("online", {"payments": [{"at": at(6, 9), "amount": 5, "online": "yes"}]},
     "online: must be true or false"),
    ("bool", {"result_electronic": "yes"}, "result_electronic: must be true or false"),
    ("rating", {"rating": 2}, "rating: must be 1, 0 or -1"),
    ("rating-bool", {"rating": True}, "rating: must be 1, 0 or -1"),
    ("code-space", {"code": "HS 1"}, "code:"),
]


def _bad_row(agency, procedure, change: Any) -> Any:
    if isinstance(change, str):
        return change
    row = record(agency, procedure, code="HS-CU-BAD")
    change = copy.deepcopy(change)
    drop = change.pop("drop", None)
    if drop:
        del row[drop]
    row.update(change)
    return row


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "change", "reason"), BAD_LINES, ids=[b[0] for b in BAD_LINES])
def test_each_bad_line_is_reported_and_nothing_is_imported(tmp_path, agency, paid_procedure,
                                                           kind, change, reason):
    good = record(agency, paid_procedure)
    path = write(tmp_path, [good, "", _bad_row(agency, paid_procedure, change)])

    result = import_dossiers(path, progress=False)

    assert result.error_count == 1 and result.imported == 0 and result.lines == 2
    [error] = result.errors
    assert error.line == 3  # blank lines are counted in line numbers
    assert str(error).startswith("line 3: ") and reason in str(error)
    assert "dòng 3: " in str(error)
    assert not Dossier.objects.exists() and not DossierEvent.objects.exists()
    assert not Payment.objects.exists() and not DailySequence.objects.exists()


@pytest.mark.django_db
def test_skip_bad_imports_the_good_lines(tmp_path, agency, paid_procedure):
    rows = [record(agency, paid_procedure, code=f"HS-{n}") for n in range(4)]
    rows[1]["channel"] = "fax"
    rows[3]["events"] = []
    path = write(tmp_path, rows)

    result = import_dossiers(path, skip_bad=True, progress=False)

    assert [e.line for e in result.errors] == [2, 4]
    assert result.imported == 2 and result.skipped == 2
    assert set(Dossier.objects.values_list("code", flat=True)) == {"HS-0", "HS-2"}


@pytest.mark.django_db
def test_duplicate_codes_in_file_and_against_database(tmp_path, agency, paid_procedure):
    first = write(tmp_path, [record(agency, paid_procedure, code="HS-TAKEN")])
    assert import_dossiers(first, progress=False).imported == 1
    rows = [record(agency, paid_procedure, code="HS-TAKEN"),
            record(agency, paid_procedure, code="HS-NEW"),
            record(agency, paid_procedure, code="HS-NEW")]
    path = tmp_path / "second.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")

    result = import_dossiers(path, progress=False)

    messages = [str(e) for e in result.errors]
    assert result.imported == 0 and len(messages) == 2
    assert messages[0].startswith("line 1: ") and "already exists in the database" in messages[0]
    assert messages[1].startswith("line 3: ") and "(first on line 2)" in messages[1]
    assert Dossier.objects.count() == 1


@pytest.mark.django_db
def test_generated_codes_follow_the_daily_sequence(tmp_path, agency, paid_procedure):
    day = dt.date(2024, 3, 4)
    DailySequence.objects.create(agency=agency, day=day, last_value=5)
    ours = f"{agency.code}-240304-0009"
    rows = [record(agency, paid_procedure, code=None),
            record(agency, paid_procedure, code=ours),
            record(agency, paid_procedure, code=None)]
    del rows[2]["code"]
    # Received 4 Mar 23:30 UTC+0 is 5 Mar in Vietnam: the local day names the code.
    late = record(agency, paid_procedure, code=None, received_at="2024-03-04T23:30:00+00:00",
                  events=[{"at": "2024-03-04T23:30:00+00:00", "status": 2}])
    path = write(tmp_path, [*rows, late])

    result = import_dossiers(path, progress=False)

    assert result.ok, result.errors
    codes = set(Dossier.objects.values_list("code", flat=True))
    assert codes == {f"{agency.code}-240304-0010", ours, f"{agency.code}-240304-0011",
                     f"{agency.code}-240305-0001"}
    assert DailySequence.objects.get(agency=agency, day=day).last_value == 11


@pytest.mark.django_db
def test_bulk_hook_receives_the_events(tmp_path, agency, paid_procedure, monkeypatch):
    seen: list[list[DossierEvent]] = []
    monkeypatch.setattr(hooks, "_bulk_subscribers", [lambda events: seen.append(list(events))])
    rows = [record(agency, paid_procedure, code=f"HS-{n}") for n in range(3)]

    import_dossiers(write(tmp_path, rows), batch_size=2, progress=False)

    assert [len(batch) for batch in seen] == [16, 8]  # two batches of 2 + 1 dossiers
    assert all(e.pk and e.dossier.code.startswith("HS-") for batch in seen for e in batch)
    assert all(e.action == "import" and e.at.tzinfo for batch in seen for e in batch)
    assert {e.pk for batch in seen for e in batch} == set(
        DossierEvent.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_failure_half_way_rolls_everything_back(tmp_path, agency, paid_procedure, monkeypatch):
    calls = 0

    def failing(events):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("database went away")

    monkeypatch.setattr(hooks, "_bulk_subscribers", [failing])
    rows = [record(agency, paid_procedure, code=None) for _ in range(3)]

    with pytest.raises(RuntimeError):
        import_dossiers(write(tmp_path, rows), batch_size=1, progress=False)

    assert not Dossier.objects.exists() and not DossierEvent.objects.exists()
    assert not DailySequence.objects.exists()  # generated numbers are given back too


@pytest.mark.django_db
def test_command_reports_lines_and_fails(tmp_path, agency, paid_procedure, capsys):
    path = write(tmp_path, [record(agency, paid_procedure), "nonsense"])

    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_dossiers", str(path), "--no-progress")

    err = capsys.readouterr().err
    assert "line 2: invalid JSON" in err
    assert not Dossier.objects.exists()


@pytest.mark.django_db
def test_command_skip_bad_and_bom(tmp_path, agency, paid_procedure, capsys):
    path = write(tmp_path, [record(agency, paid_procedure), "nonsense"])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    call_command("import_dossiers", str(path), "--skip-bad", "--no-progress", "--batch-size", "1")

    out = capsys.readouterr()
    assert "Imported 1 dossiers, skipped 1 bad line(s)" in out.out
    assert "line 2: invalid JSON" in out.err
    assert Dossier.objects.count() == 1


@pytest.mark.django_db
def test_command_all_bad_with_skip_bad_exits_non_zero(tmp_path, agency, paid_procedure):
    path = write(tmp_path, ["nonsense"])
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_dossiers", str(path), "--skip-bad", "--no-progress")
