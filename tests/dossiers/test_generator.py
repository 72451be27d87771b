"""Demo dossier generator: office-time arithmetic, determinism, plausibility, codes, hook."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factories
from tinhso.core import hooks
from tinhso.dossiers.codes import next_dossier_code, parse_dossier_code
from tinhso.dossiers.generator import OfficeClock, generate_dossiers, to_wall
from tinhso.dossiers.models import Action, DailySequence, Dossier, DossierEvent, Status
from tinhso.payments.models import Payment, PaymentStatus
from tinhso.units.models import AdminUnit, AgencyKind, Level, Structure
from tinhso.workdays import calendar
from tinhso.workdays.models import CalendarOverride

VN = calendar.local_tz()
TEMPLATE = [
    {"code": "receive", "name": "Tiếp nhận hồ sơ", "role": "receiver", "share": 0.1},
    {"code": "check", "name": "Thẩm định", "role": "specialist", "share": 0.5},
    {"code": "review", "name": "Kiểm tra", "role": "specialist", "share": 0.1},
    {"code": "approve", "name": "Phê duyệt", "role": "leader", "share": 0.2},
    {"code": "return", "name": "Trả kết quả", "role": "receiver", "share": 0.1},
]


def _unit(code: str, level: int, parent: AdminUnit) -> AdminUnit:
    return AdminUnit.objects.create(structure=Structure.LEGACY_3, code=code, name=f"Đơn vị {code}",
                                    unit_type="Xã" if level == 3 else "Huyện", level=level,
                                    parent=parent)


@pytest.fixture
def demo(db):
    """A small province: a department, a district with its land branch, three communes."""
    province = factories.make_province()
    district = _unit("689", Level.DISTRICT, province)
    communes = [_unit(f"2500{i}", Level.COMMUNE, district) for i in range(3)]
    justice = factories.make_agency(unit=province, code="000.00.11.H10", name="Sở Tư pháp")
    committee = factories.make_agency(unit=district, code="000.00.21.H10",
                                      kind=AgencyKind.PEOPLES_COMMITTEE, name="UBND huyện")
    branch = factories.make_agency(unit=district, code="001.01.13.H10", kind=AgencyKind.BRANCH,
                                   name="Chi nhánh VPĐKĐĐ")
    wards = [factories.make_agency(unit=u, code=f"{i + 1:03d}.00.21.H10",
                                   kind=AgencyKind.PEOPLES_COMMITTEE, name=f"UBND xã {i}")
             for i, u in enumerate(communes)]
    for role in ("receiver", "specialist", "leader"):
        factories.make_official(wards[0], role)
    make = factories.make_procedure
    procedures = [
        make(agencies=wards, code="1.001193", name="Đăng ký khai sinh", processing_days="1",
             popularity=100, process_template=TEMPLATE),
        make(agencies=wards, code="2.000815", name="Chứng thực bản sao", processing_days="0.5",
             fee=2000, popularity=90, online_level="partial", applicant_type="both"),
        make(agencies=wards, code="2.000884", name="Chứng thực chữ ký", processing_days="1",
             fee=10000, popularity=40, online_level="none", result_type="paper"),
        make(agencies=[committee], code="1.009994", name="Cấp giấy phép xây dựng",
             processing_days="15", fee=75000, popularity=30, online_level="partial",
             level="district", applicant_type="both", result_type="paper"),
        make(agencies=[branch], code="1.013831", name="Đăng ký biến động đất đai",
             processing_days="8", fee=50000, popularity=40, level="district"),
        make(agencies=[justice], code="2.001417", name="Cấp phiếu lý lịch tư pháp",
             processing_days="10", fee=200000, popularity=40, level="province"),
        make(agencies=[justice], code="2.001610", name="Đăng ký doanh nghiệp",
             processing_days="3", fee=50000, popularity=20, level="province",
             applicant_type="organisation"),
    ]
    return {"wards": wards, "procedures": procedures}


# ------------------------------------------------------------------------------------------
# Office-time line == the calendar
# ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_office_clock_agrees_with_the_calendar():
    # A make-up Saturday and a provincial day off, so overrides are part of the check.
    CalendarOverride.objects.create(date=dt.date(2026, 3, 7), kind="working", reason="Làm bù")
    CalendarOverride.objects.create(date=dt.date(2026, 3, 10), kind="day_off", reason="Nghỉ")
    clock = OfficeClock(calendar.DEFAULT_PERIODS, dt.date(2025, 12, 1), dt.date(2027, 12, 31))
    base = dt.datetime(2026, 1, 1, tzinfo=VN)

    @settings(max_examples=300, deadline=None)
    @given(minutes=st.integers(0, 200 * 24 * 60), seconds=st.integers(1, 40 * 8 * 3600),
           other=st.integers(0, 60 * 24 * 60))
    def check(minutes: int, seconds: int, other: int) -> None:
        start = base + dt.timedelta(minutes=minutes)
        end = start + dt.timedelta(minutes=other)
        w = to_wall(start)
        assert clock.wall(clock.coord(w) + seconds) == to_wall(
            calendar.add_office_seconds(start, seconds))
        assert clock.coord(to_wall(end)) - clock.coord(w) == calendar.office_seconds_between(
            start, end)

    check()
    # The worked example of the issue: Friday 13 Feb 2026 10:00 + 3 working days (Tết).
    start = dt.datetime(2026, 2, 13, 10, tzinfo=VN)
    assert clock.add(to_wall(start), 3 * 8 * 3600) == to_wall(
        dt.datetime(2026, 2, 25, 10, tzinfo=VN))


# ------------------------------------------------------------------------------------------
# Determinism
# ------------------------------------------------------------------------------------------


def _snapshot() -> list[tuple]:
    rows = []
    for d in Dossier.objects.order_by("code").prefetch_related("events", "steps", "payments"):
        events = [(e.action, e.at, e.from_status, e.to_status, e.actor_id, e.due_at,
                   {k: v for k, v in e.data.items() if k != "payment"})
                  for e in sorted(d.events.all(), key=lambda e: (e.at, e.id))]
        steps = [(s.index, s.started_at, s.due_at, s.finished_at, s.assignee_id)
                 for s in d.steps.all()]
        pays = [(p.amount, p.status, p.online, p.requested_at, p.paid_at) for p in d.payments.all()]
        rows.append((d.code, d.procedure_id, d.agency_id, d.channel, d.status,
                     d.applicant_id_number, d.applicant_name, d.submitted_at, d.received_at,
                     d.due_at, d.original_due_at, d.finished_at, d.rating, events, steps, pays))
    return rows


class _Rollback(Exception):
    pass


def _generate_and_snapshot(seed: int) -> list[tuple]:
    try:
        with transaction.atomic():
            generate_dossiers(250, seed=seed, date_from=dt.date(2022, 6, 1),
                              date_to=dt.date(2022, 12, 31), progress=False, batch_size=100)
            snapshot = _snapshot()
            raise _Rollback
    except _Rollback:
        pass
    assert not Dossier.objects.exists()
    return snapshot


@pytest.mark.django_db
def test_same_seed_same_dossiers_codes_and_events(demo):
    first = _generate_and_snapshot(seed=7)
    again = _generate_and_snapshot(seed=7)
    other = _generate_and_snapshot(seed=8)
    assert len(first) == 250
    assert first == again
    assert first != other


# ------------------------------------------------------------------------------------------
# Plausibility of a year of dossiers
# ------------------------------------------------------------------------------------------

CODE = re.compile(r"^(?P<agency>.+)-(?P<day>\d{6})-(?P<seq>\d{4,})$")


@pytest.fixture
def year(demo, monkeypatch):
    batches: list[list[DossierEvent]] = []
    monkeypatch.setattr(hooks, "_bulk_subscribers", [lambda events: batches.append(list(events))])
    made = generate_dossiers(3000, seed=2024, date_from=dt.date(2023, 1, 2),
                             date_to=dt.date(2023, 12, 29), progress=False, batch_size=700)
    return {"made": made, "batches": batches, **demo}


def _events_are_coherent_with_the_dossier(year) -> None:
    assert year["made"] == Dossier.objects.count() == 3000
    cutoff = dt.datetime(2023, 12, 30, tzinfo=VN)
    events = defaultdict(list)
    for e in DossierEvent.objects.order_by("at", "id"):
        events[e.dossier_id].append(e)
    for d in Dossier.objects.all():
        chain = events[d.pk]
        assert chain[0].from_status is None
        assert chain[0].action in (Action.SUBMIT, Action.CREATE_DIRECT)
        for before, after in zip(chain, chain[1:], strict=False):
            assert after.from_status == before.to_status, (d.code, before.action, after.action)
        assert d.status == chain[-1].to_status
        assert chain[-1].at < cutoff
        assert d.version == len(chain)
        if d.received_at is not None:
            assert d.original_due_at >= d.received_at and d.due_at >= d.received_at
        if d.status in (Status.PROCESSED, Status.RETURNED, Status.STOPPED, Status.REFUSED):
            assert d.finished_at is not None
        if d.status == Status.RETURNED:
            assert d.returned_at >= d.finished_at
        # A late dossier apologised (form 04) before any other official action past the due.
        apologies = [e for e in chain if e.action == Action.APOLOGIZE]
        assert d.apology_count == len(apologies)
        for apology in apologies:
            old_due = dt.datetime.fromisoformat(apology.data["old_due_at"])
            assert apology.at > old_due and apology.due_at > apology.at


def _deadlines_come_from_the_working_day_calendar(year) -> None:
    procedures = {p.pk: p for p in year["procedures"]}
    plain = Dossier.objects.filter(received_at__isnull=False, supplement_count=0,
                                   apology_count=0).select_related("agency")[:300]
    assert len(plain) == 300
    for d in plain:
        due = calendar.add_working_days(d.received_at, procedures[d.procedure_id].processing_days,
                                        agency=d.agency)
        assert d.original_due_at == due == d.due_at
    # One completed supplement round: the clock resumed with the office time that was left.
    shifted = 0
    for d in Dossier.objects.filter(supplement_count=1, apology_count=0).select_related("agency"):
        chain = list(d.events.order_by("at", "id"))
        request = next(e for e in chain if e.action == Action.REQUEST_SUPPLEMENT)
        resume = next((e for e in chain if e.action == Action.SUPPLEMENT), None)
        if resume is None or request.from_status == Status.NEW:
            continue
        remaining = request.data["remaining_original"]
        assert d.original_due_at == calendar.add_office_seconds(resume.at, remaining,
                                                               agency=d.agency)
        assert d.original_due_at > calendar.add_working_days(
            d.received_at, procedures[d.procedure_id].processing_days, agency=d.agency)
        shifted += 1
    assert shifted >= 20


def _shares_are_realistic(year) -> None:
    total = Dossier.objects.count()
    finished = Dossier.objects.filter(finished_at__isnull=False, received_at__isnull=False)
    late = sum(1 for d in finished if d.finished_at > d.original_due_at)
    assert 0.02 <= late / finished.count() <= 0.10
    supplemented = Dossier.objects.filter(supplement_count__gte=1).count()
    assert 0.04 <= supplemented / total <= 0.12
    assert Dossier.objects.filter(supplement_count__gte=2).exists()
    assert 0.002 <= Dossier.objects.filter(status=Status.REFUSED).count() / total <= 0.03
    assert 0 < Dossier.objects.filter(status=Status.WITHDRAWN).count() / total <= 0.02
    # 2023 is after the 2022 campaign: most dossiers are online, most fees paid online.
    assert Dossier.objects.filter(channel=2).count() / total >= 0.85
    paid = Payment.objects.filter(status=PaymentStatus.PAID)
    assert paid.filter(online=True).count() / paid.count() >= 0.6
    rated = Dossier.objects.filter(rating__isnull=False)
    assert rated.filter(rating=1).count() / rated.count() >= 0.75
    # Commune procedures dominate; every procedure goes to one of its own agencies.
    by_code = {p.pk: p for p in year["procedures"]}
    commune = Dossier.objects.filter(procedure__level="commune").count()
    assert commune / total >= 0.55
    for procedure_id, agency_id in Dossier.objects.values_list("procedure_id", "agency_id"):
        assert by_code[procedure_id].agencies.filter(pk=agency_id).exists()
    # Counter-only procedures stay at the counter.
    assert not Dossier.objects.filter(procedure__online_level="none", channel=2).exists()
    # Working days and office hours for counter intake.
    for d in Dossier.objects.filter(channel=1)[:300]:
        local = d.received_at.astimezone(VN)
        assert calendar.is_working_day(local.date())
        assert dt.time(7, 30) <= local.time() <= dt.time(17, 30)


def _open_dossiers_are_the_recent_ones(year) -> None:
    open_ = Dossier.objects.filter(status__in=[1, 2, 4, 5, 6])
    assert open_.exists()
    oldest = min(d.submitted_at for d in open_)
    assert oldest >= dt.datetime(2023, 9, 1, tzinfo=VN)


def _fees_are_paid_and_recorded(year) -> None:
    for d in Dossier.objects.filter(status=Status.RETURNED, fee_amount__gt=0)[:300]:
        payment = d.payments.get()
        assert payment.status == PaymentStatus.PAID and payment.amount == d.fee_amount
        assert d.paid_online == payment.online
        pay = d.events.get(action=Action.PAY)
        assert pay.data["payment"] == payment.pk and pay.at == payment.paid_at
    assert not Payment.objects.filter(dossier__fee_amount=0).exists()


def _codes_follow_the_daily_sequence_and_live_codes_continue(year) -> None:
    groups: dict[tuple[int, str], list[tuple[dt.datetime, int]]] = defaultdict(list)
    for d in Dossier.objects.select_related("agency"):
        match = CODE.match(d.code)
        assert match and match["agency"] == d.agency.code
        assert match["day"] == d.submitted_at.astimezone(VN).strftime("%y%m%d")
        groups[(d.agency_id, match["day"])].append((d.submitted_at, int(match["seq"])))
    for (agency_id, day), members in groups.items():
        members.sort()
        assert [seq for _, seq in members] == list(range(1, len(members) + 1))
        sequence = DailySequence.objects.get(agency_id=agency_id,
                                             day=dt.datetime.strptime(day, "%y%m%d").date())
        assert sequence.last_value == len(members)
    # The next live code of the busiest day continues after the generated ones.
    (agency_id, day), members = max(groups.items(), key=lambda item: len(item[1]))
    agency = Dossier.objects.filter(agency_id=agency_id).first().agency
    code = next_dossier_code(agency, dt.datetime.strptime(day, "%y%m%d").date())
    assert parse_dossier_code(code)[2] == len(members) + 1
    assert not Dossier.objects.filter(code=code).exists()


def _the_bulk_hook_gets_every_event(year) -> None:
    seen = [e for batch in year["batches"] for e in batch]
    assert len(year["batches"]) == 5  # 3000 dossiers in batches of 700
    assert len(seen) == DossierEvent.objects.count()
    assert {e.pk for e in seen} == set(DossierEvent.objects.values_list("pk", flat=True))
    sample = seen[123]
    stored = DossierEvent.objects.get(pk=sample.pk)
    assert (sample.dossier_id, sample.at, sample.action, sample.to_status) == (
        stored.dossier_id, stored.at, stored.action, stored.to_status)


# One generated year (~5 s) serves several checks: each is its own function for clear failures.


@pytest.mark.django_db
def test_generated_year_is_coherent_and_uses_the_calendar(year):
    _events_are_coherent_with_the_dossier(year)
    _deadlines_come_from_the_working_day_calendar(year)


@pytest.mark.django_db
def test_generated_year_has_realistic_shares(year):
    _shares_are_realistic(year)
    _open_dossiers_are_the_recent_ones(year)
    _fees_are_paid_and_recorded(year)


@pytest.mark.django_db
def test_generated_year_codes_and_hook(year):
    _codes_follow_the_daily_sequence_and_live_codes_continue(year)
    _the_bulk_hook_gets_every_event(year)


@pytest.mark.django_db
def test_nothing_happens_after_now(demo):
    now = dt.datetime(2024, 5, 15, 10, 30, tzinfo=VN)
    made = generate_dossiers(200, seed=1, date_from=dt.date(2024, 5, 1),
                             date_to=dt.date(2024, 5, 15), now=now, progress=False)
    assert 0 < made <= 200 and Dossier.objects.count() == made
    assert not DossierEvent.objects.filter(at__gt=now).exists()
    assert not Payment.objects.filter(paid_at__gt=now).exists()
    assert Dossier.objects.filter(status__in=[1, 2, 4, 5, 6]).exists()


@pytest.mark.django_db
def test_dossiers_go_to_agencies_valid_on_their_day():
    """Across the 2025 reform: a legacy commune's desk closes on 30 June; a desk without an
    end date (the provincial centre) keeps receiving."""
    province = factories.make_province()
    old_unit = AdminUnit.objects.create(
        structure=Structure.LEGACY_3, code="25001", name="Tân Phú", unit_type="Xã",
        level=Level.COMMUNE, parent=province, valid_to=dt.date(2025, 6, 30))
    old = factories.make_agency(unit=old_unit, code="001.00.21.H10", name="UBND xã Tân Phú")
    centre = factories.make_agency(unit=province, code="000.00.10.H10", name="Trung tâm PVHCC")
    factories.make_procedure(agencies=[old, centre], code="1.001193", popularity=10)
    generate_dossiers(300, seed=3, date_from=dt.date(2025, 6, 16), date_to=dt.date(2025, 7, 15),
                      progress=False)
    reform = dt.datetime(2025, 7, 1, tzinfo=VN)
    rows = list(Dossier.objects.values_list("submitted_at", "agency_id", "unit_id"))
    assert len(rows) == 300
    before = {agency_id for submitted, agency_id, _ in rows if submitted < reform}
    after = {agency_id for submitted, agency_id, _ in rows if submitted >= reform}
    assert before == {old.pk, centre.pk}
    assert after == {centre.pk}
    assert all(unit_id == (old_unit.pk if agency_id == old.pk else province.pk)
               for _, agency_id, unit_id in rows)


@pytest.mark.django_db
def test_refuses_bad_arguments(demo):
    assert generate_dossiers(0, seed=1, date_from=dt.date(2024, 1, 1),
                             date_to=dt.date(2024, 1, 2), progress=False) == 0
    with pytest.raises(ValueError):
        generate_dossiers(5, seed=1, date_from=dt.date(2024, 2, 1),
                          date_to=dt.date(2024, 1, 1), progress=False)
