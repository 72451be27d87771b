"""Deterministic generator of realistic demo dossiers (``tinhso demo --dossiers N``).

Same seed + same demo data (units, agencies, catalogue, accounts) → the same dossiers, codes,
events, steps and payments. The generator walks the calendar day by day, draws each day's
arrivals (weekday and hour patterns, a yearly growth), then simulates every dossier through the
one-stop lifecycle with the real action vocabulary and the statuses the live services write:
submit/create_direct → receive → assign → (request_supplement ⇄ supplement) → request_payment →
pay → forward … → approve → return_result → rate, with refusals, withdrawals, stops and late
dossiers that get an apology (form 04) before they continue. Anything after the cut-off (the
end of ``date_to``, or now when ``date_to`` is today) has not happened yet, so dossiers received
near the end are still open.

Deadlines: a dossier's appointment is ``add_working_days(received_at, processing_days)`` of the
working-day calendar, and a supplement pause shifts it by the office time that was left, as
``dossier_supplement`` does. Calling the calendar ~10 times per dossier costs ~15 µs a call, so
the generator builds an office-time line per set of office hours once (one
``calendar.is_working_day`` call per day of the range) and does the arithmetic on integers;
tests check it against the calendar functions (same results, second for second).

Bulk path: one transaction per batch — codes reserved from the gap-free daily sequences
(``codes._increment``, one locked increment per agency and day), then ``bulk_create`` of
dossiers, payments, events and steps, then ``dossier_events_bulk_recorded`` for derived data.
"""

from __future__ import annotations

import datetime as dt
import random
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from tinhso.catalog.models import Procedure
from tinhso.core.hooks import dossier_events_bulk_recorded
from tinhso.dossiers.codes import allocate_dossier_codes
from tinhso.dossiers.importer import BulkWriter, event_instances
from tinhso.dossiers.models import (
    Action,
    ApplicantKind,
    Channel,
    Dossier,
    DossierEvent,
    DossierStep,
    Status,
)
from tinhso.payments.models import Payment, PaymentStatus
from tinhso.units.models import Agency
from tinhso.workdays import calendar

DAY = 86_400
HOUR = 3_600
# Office time, online submissions and counter visits: (start hour, end hour, weight).
OFFICE_HOURS = [(7.5, 8, 3), (8, 9, 9), (9, 10, 10), (10, 11, 8), (11, 11.5, 3),
                (13.5, 14, 4), (14, 15, 8), (15, 16, 7), (16, 17, 4), (17, 17.5, 1)]
ONLINE_HOURS = [(0, 6, 4), (6, 7, 3), (7, 8, 6), (8, 11, 30), (11, 13, 12), (13, 17, 36),
                (17, 19, 12), (19, 22, 21), (22, 24, 5)]
WEEKDAY_FACTOR = (1.2, 1.1, 1.05, 1.0, 0.95, 0.7, 0.7)
LEVEL_FACTOR = {"commune": 1.5, "district": 1.0, "province": 0.8}
# Online share after the 2022 campaign by kind of desk (seed figures: province 99.52%, commune
# 98.86%, district one-stop 96.39%, district land office 87.97%).
ONLINE_TARGET = {"province": 0.995, "commune": 0.988, "district": 0.964, "land": 0.88}
ONLINE_RAMP = [(dt.date(2019, 1, 1), 0.05), (dt.date(2020, 1, 1), 0.10),
               (dt.date(2021, 1, 1), 0.25), (dt.date(2022, 6, 1), 0.55)]
CAMPAIGN_END = dt.date(2022, 10, 1)  # the 92-day campaign of mid-2022
PAY_ONLINE = {True: [(dt.date(2019, 1, 1), 0.05), (dt.date(2021, 1, 1), 0.3),
                     (dt.date(2022, 6, 1), 0.5), (CAMPAIGN_END, 0.85), (dt.date(2025, 1, 1), 0.92)],
              False: [(dt.date(2022, 1, 1), 0.0), (dt.date(2023, 1, 1), 0.05),
                      (dt.date(2025, 1, 1), 0.25)]}
DIGITIZED = [(dt.date(2019, 1, 1), 0.05), (dt.date(2022, 1, 1), 0.4), (dt.date(2023, 1, 1), 0.7),
             (dt.date(2024, 6, 1), 0.85)]
SURNAMES = [("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 4), ("Huỳnh", 3),
            ("Phan", 4), ("Vũ", 3), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2),
            ("Ngô", 2), ("Dương", 2), ("Lý", 1), ("Điểu", 1)]
MIDDLE = {"m": ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Hoàng", "Công"],
          "f": ["Thị", "Ngọc", "Thu", "Kim", "Thanh", "Mỹ", "Bích", "Hồng"]}
GIVEN = {"m": ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khang", "Long", "Minh", "Nam",
               "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Tuấn", "Việt", "Vinh"],
         "f": ["Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngân",
               "Nhung", "Phương", "Thảo", "Trang", "Uyên", "Vân", "Yến"]}
ORG_FORMS = ["Công ty TNHH", "Công ty Cổ phần", "Hợp tác xã", "Doanh nghiệp tư nhân"]
ORG_WORDS = ["Phú", "Thịnh", "An", "Bình", "Phước", "Long", "Hưng", "Điều Vàng", "Tiêu Xanh",
             "Cao su", "Đồng Xoài", "Sông Bé", "Hoàng Gia", "Thành Công", "Minh Phát", "Nông sản"]
REFUSE_REASONS = ["Hồ sơ không thuộc thẩm quyền giải quyết.",
                  "Người nộp không đủ điều kiện theo quy định."]
SUPPLEMENT_REASONS = ["Bổ sung bản sao giấy tờ tùy thân còn hiệu lực.",
                      "Tờ khai thiếu chữ ký của người yêu cầu.",
                      "Bổ sung giấy tờ chứng minh quan hệ nhân thân."]
STOP_REASONS = ["Người nộp không thực hiện nghĩa vụ tài chính đúng hạn.",
                "Cơ quan có thẩm quyền có văn bản đề nghị tạm dừng."]
WITHDRAW_REASON = "Người nộp đề nghị rút hồ sơ."
APOLOGY_REASON = "Hồ sơ cần xác minh thêm, xin lỗi và hẹn lại ngày trả kết quả."
TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


# ------------------------------------------------------------------------------------------
# Office-time line
# ------------------------------------------------------------------------------------------


class OfficeClock:
    """Office time as integer coordinates over a range of days, for one set of office periods.

    ``coord(w)`` is the office time (seconds) elapsed from the start of the range to the wall
    moment ``w`` (seconds since local 0001-01-01, ``ordinal * 86400 + seconds of the day``);
    outside office time the clock stands still. ``wall(c)`` is the inverse with the calendar's
    convention: an amount that ends exactly at the end of a period returns that end (17:30),
    never the next start. So ``calendar.add_office_seconds(s, n) == wall(coord(s) + n)`` for
    n > 0 and ``office_seconds_between(a, b) == coord(b) - coord(a)`` for b ≥ a.
    """

    def __init__(self, periods: Sequence[tuple[dt.time, dt.time]], first: dt.date,
                 last: dt.date) -> None:
        self.periods = [(_sec(a), _sec(b)) for a, b in periods]
        self.per_day = sum(b - a for a, b in self.periods)
        self.first = first.toordinal()
        self.before = array("l")  # working days strictly before each day of the range
        self.flags = bytearray()
        self.working = array("l")
        day = first
        while day <= last:
            self.before.append(len(self.working))
            if calendar.is_working_day(day):
                self.flags.append(1)
                self.working.append(day.toordinal())
            else:
                self.flags.append(0)
            day += dt.timedelta(days=1)

    def coord(self, w: int) -> int:
        ordinal, sec = divmod(w, DAY)
        i = ordinal - self.first
        if not 0 <= i < len(self.flags):
            raise ValueError("moment outside the generator's calendar range")
        base = self.before[i] * self.per_day
        if not self.flags[i]:
            return base
        for start, end in self.periods:
            if sec <= start:
                break
            base += (sec if sec < end else end) - start
        return base

    def wall(self, c: int) -> int:
        k, r = divmod(c - 1, self.per_day)
        r += 1
        ordinal = self.working[k]
        for start, end in self.periods:
            if r <= end - start:
                return ordinal * DAY + start + r
            r -= end - start
        raise AssertionError("unreachable")  # pragma: no cover

    def add(self, w: int, seconds: int) -> int:
        return w if seconds <= 0 else self.wall(self.coord(w) + seconds)

    def in_office(self, w: int) -> bool:
        ordinal, sec = divmod(w, DAY)
        i = ordinal - self.first
        return 0 <= i < len(self.flags) and bool(self.flags[i]) and any(
            a <= sec < b for a, b in self.periods)


def _sec(t: dt.time) -> int:
    return t.hour * HOUR + t.minute * 60 + t.second


def to_wall(moment: dt.datetime) -> int:
    local = moment.astimezone(calendar.local_tz())
    return local.toordinal() * DAY + local.hour * HOUR + local.minute * 60 + local.second


# ------------------------------------------------------------------------------------------
# Demo data snapshot
# ------------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Agency:
    obj: Agency
    desk: str  # "province", "district", "commune" or "land"
    valid_from: int | None
    valid_to: int | None
    clock: OfficeClock
    officials: dict[str, list[int]] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class _Procedure:
    obj: Procedure
    weight: float
    agencies: list[_Agency]
    online: float  # 0 (no online service), 0.97 (partial) or 1 (full online)
    electronic: bool
    steps: list[dict[str, Any]]
    form: dict[str, Any]
    allowed: dict[int, int] = field(default_factory=dict)  # per_day → office seconds


def _interp(points: Sequence[tuple[dt.date, float]], ordinal: int) -> float:
    if ordinal <= points[0][0].toordinal():
        return points[0][1]
    for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
        o0, o1 = d0.toordinal(), d1.toordinal()
        if ordinal <= o1:
            return v0 + (v1 - v0) * (ordinal - o0) / (o1 - o0)
    return points[-1][1]


def _example(schema: Any, depth: int = 0) -> Any:
    """A plausible value for a (simple) JSON Schema: demo form data, not validated input."""
    if not isinstance(schema, dict) or depth > 4:
        return None
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        return {key: _example(sub, depth + 1) for key, sub in props.items()
                if key in (schema.get("required") or [])}
    if kind == "string":
        return {"date": "2000-01-01", "email": "nguoinop@example.vn"}.get(
            schema.get("format", ""), schema.get("title", "—")[:50])
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    return None


def _desk(agency: Agency) -> str:
    if agency.kind == "branch" and agency.unit.level == 2:
        return "land"
    return {1: "province", 2: "district"}.get(agency.unit.level, "commune")


class _Snapshot:
    """Procedures, agencies and officials read once, in a deterministic order."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        from tinhso.accounts.models import AccountKind, RoleAssignment, User
        from tinhso.dossiers.templates import effective_template

        clocks: dict[tuple[tuple[dt.time, dt.time], ...], OfficeClock] = {}
        agencies: dict[int, _Agency] = {}
        for a in Agency.objects.select_related("unit").order_by("code"):
            periods = tuple(a.office_periods())
            if periods not in clocks:
                clocks[periods] = OfficeClock(periods, first, last)
            u = a.unit
            agencies[a.pk] = _Agency(
                a, _desk(a), u.valid_from.toordinal() if u.valid_from else None,
                u.valid_to.toordinal() if u.valid_to else None, clocks[periods])
        for agency_id, user_id, role in RoleAssignment.objects.filter(
                user__kind=AccountKind.OFFICIAL, user__agency__isnull=False,
                user__is_active=True).order_by("user__username", "role").values_list(
                "user__agency_id", "user_id", "role"):
            agencies[agency_id].officials.setdefault(role, []).append(user_id)
        self.citizens = list(User.objects.filter(kind=AccountKind.CITIZEN, is_active=True)
                             .exclude(id_number="").order_by("username")
                             .values_list("id", "id_number", "full_name")[:50])
        by_level: dict[int, list[_Agency]] = {}
        for a in agencies.values():
            if a.obj.has_one_stop_desk:
                by_level.setdefault(a.obj.unit.level, []).append(a)
        level_no = {"province": 1, "district": 2, "commune": 3}
        self.procedures: list[_Procedure] = []
        links: dict[int, list[int]] = {}
        for proc_id, agency_id in Procedure.agencies.through.objects.values_list(
                "procedure_id", "agency_id"):
            links.setdefault(proc_id, []).append(agency_id)
        for p in Procedure.objects.filter(is_active=True).order_by("code"):
            linked = [agencies[i] for i in sorted(links.get(p.pk, []),
                                                  key=lambda i: agencies[i].obj.code)]
            desks = [a for a in linked if a.obj.has_one_stop_desk] or linked
            desks = desks or by_level.get(level_no.get(p.level, 3), [])
            if not desks:
                continue
            weight = max(p.popularity, 1) * LEVEL_FACTOR.get(p.level, 1.0)
            online = {"full": 1.0, "partial": 0.97}.get(p.online_level, 0.0)
            self.procedures.append(_Procedure(
                p, weight, desks, online, p.result_type == "electronic",
                effective_template(p), _example(p.form_schema) or {}))
        self._tables: dict[tuple[int, ...], Any] = {}
        # Days on which the valid agencies change (valid_to is the last valid day).
        bounds = {b for a in agencies.values()
                  for b in (a.valid_from, a.valid_to + 1 if a.valid_to else None) if b}
        self.bounds = sorted(bounds | {CAMPAIGN_END.toordinal()})

    def table(self, ordinal: int, online_only: bool) -> tuple[list[float], list[Any]]:
        """Cumulative weights and (procedure, agencies valid that day) for one era."""
        era = (bisect_right(self.bounds, ordinal), int(online_only))
        cached = self._tables.get(era)
        if cached is None:
            rows = []
            # After the 2022 campaign counter-only procedures lost ground to online ones.
            campaign = ordinal >= CAMPAIGN_END.toordinal()
            for p in self.procedures:
                if online_only and not p.online:
                    continue
                valid = [a for a in p.agencies
                         if (a.valid_from is None or a.valid_from <= ordinal)
                         and (a.valid_to is None or ordinal <= a.valid_to)]
                weight = p.weight * (0.5 if campaign and not p.online else 1.0)
                rows.append((weight, p, valid or p.agencies))
            cached = (list(accumulate(r[0] for r in rows)), [(r[1], r[2]) for r in rows])
            self._tables[era] = cached
        return cached


# ------------------------------------------------------------------------------------------
# One dossier's life
# ------------------------------------------------------------------------------------------

# An event: wall time, action, from, to, actor, note, data, and the state in force after it:
# due (wall), legal due (wall), current step, assignee.
Event = tuple[int, str, int | None, int, int | None, str, dict[str, Any], int | None,
              int | None, int | None, int | None]


@dataclass(slots=True)
class Plan:
    w0: int
    procedure: _Procedure
    agency: _Agency
    channel: int
    applicant: tuple[int | None, str, str, str]  # user id, kind, id number, name
    events: list[Event]
    steps: list[list[Any]]  # [index, start, due, finish, assignee] (wall seconds)
    payment: list[Any] | None  # [amount, online, requested, paid or None, requested_by]
    digitized: bool


class _Life:
    """Simulates one dossier like the live services would have recorded it.

    Times are wall seconds; office durations go through the agency's OfficeClock. Every state
    change is applied before ``emit`` so each event carries the state in force after it, as
    ``record_event`` does (it reads ``dossier.due_at`` after the service changed it).
    """

    def __init__(self, gen: Generator, proc: _Procedure, ag: _Agency, channel: int,
                 w0: int) -> None:
        self.g, self.r, self.p, self.a, self.clk = gen, gen.rng, proc, ag, ag.clock
        self.channel, self.w0 = channel, w0
        self.events: list[Event] = []
        self.steps: list[list[Any]] = []
        self.payment: list[Any] | None = None
        self.status: int | None = None
        self.due: int | None = None
        self.legal: int | None = None
        self.step: int | None = None
        self.assignee: int | None = None
        self.last = w0
        self.ahead = 0.0  # office time of processing still planned (for a new appointment)
        per_day = self.clk.per_day
        total = proc.allowed.get(per_day)
        if total is None:  # calendar.working_days_to_seconds, per office-day length
            value = Decimal(proc.obj.processing_days) * per_day
            total = proc.allowed[per_day] = int(value.to_integral_value(ROUND_HALF_UP))
        self.total = total

    def who(self, role: str) -> int | None:
        people = self.a.officials.get(role)
        pick = self.r.random()  # drawn even without officials: same sequence either way
        return people[int(pick * len(people))] if people else None

    def emit(self, w: int, action: str, to: int, actor: int | None, note: str = "",
             data: dict[str, Any] | None = None) -> int:
        w = max(w, self.last)
        self.last = w
        self.events.append((w, action, self.status, to, actor, note, data or {}, self.due,
                            self.legal, self.step, self.assignee))
        self.status = to
        return w

    def office(self, w: int, seconds: float) -> int:
        return self.clk.add(w, int(seconds))

    def start_step(self, index: int, w: int, assignee: int | None) -> None:
        share = float(self.p.steps[index].get("share", 0) or 0)
        self.steps.append([index, w, self.office(w, round(share * self.total)), None, assignee])
        self.step, self.assignee = index, assignee

    def finish_step(self, w: int) -> None:
        if self.steps and self.steps[-1][3] is None:
            self.steps[-1][3] = w

    def spend(self, w: int, seconds: float) -> int:
        """Work for ``seconds`` of office time, then (if overdue) apologise before acting."""
        self.ahead = max(self.ahead - seconds, 0.0)
        w = self.office(w, seconds)
        if self.due is None or w <= self.due or self.status not in (2, 4, 6):
            return w
        at = max(self.due, self.last) + int(self.r.uniform(600, 2 * HOUR))
        old = self.due
        # Form 04: the new appointment covers the work left plus a margin.
        self.due = self.office(max(at, w), self.ahead + self.r.uniform(0.5, 3) * self.clk.per_day)
        self.emit(at, Action.APOLOGIZE, self.status, self.who("leader"), APOLOGY_REASON,
                  {"old_due_at": self.g.moment(old).isoformat()})
        return max(w, at + 60)

    def run(self) -> None:
        r, clk = self.r, self.clk
        per_day = clk.per_day
        receiver = self.who("receiver")
        online = self.channel == Channel.ONLINE
        w = self.w0
        if online:
            self.emit(w, Action.SUBMIT, Status.NEW, None)
            if r.random() < 0.014:  # refused (form 03): ends processing
                self.emit(self.office(w, r.uniform(600, 6 * HOUR)), Action.REFUSE,
                          Status.REFUSED, receiver, r.choice(REFUSE_REASONS))
                return
            if r.random() < 0.015:  # asked to complete the submission before reception
                w = self.emit(self.office(w, r.uniform(0.1, 1) * per_day),
                              Action.REQUEST_SUPPLEMENT, Status.SUPPLEMENT_REQUESTED, receiver,
                              r.choice(SUPPLEMENT_REASONS), {"resume_status": Status.NEW})
                w = self.emit(w + int(r.uniform(0.3, 4) * DAY), Action.SUPPLEMENT, Status.NEW,
                              None, "", {"files": []})
            w = self.office(w, min(r.expovariate(4 / per_day), 2 * per_day) + 300)
        # Reception (form 01): the legal clock starts, as dossier_receive/_create_direct do.
        self.due = self.legal = clk.add(w, self.total)
        self.start_step(0, w, receiver)
        self.finish_step(w)
        self.start_step(1, w, None)
        self.emit(w, Action.RECEIVE if online else Action.CREATE_DIRECT, Status.RECEIVED,
                  receiver)
        self.processing(w)

    def processing(self, w: int) -> None:
        r, p, g, per_day = self.r, self.p, self.g, self.clk.per_day
        day = self.w0 // DAY
        steps = p.steps
        last_index = len(steps) - 2  # the step whose completion is the approval
        late = r.random() < g.p_late(p, self.a, day)
        factor = r.uniform(1.03, 1.7) if late else 0.04 + 0.86 * r.betavariate(1.4, 2.4)
        work = max(self.total * factor, 900.0)
        shares = [max(float(s.get("share", 0) or 0), 0.0) for s in steps[1:last_index + 1]]
        if sum(shares) <= 0:
            shares = [1.0] * len(shares)
        budget = [work * s / sum(shares) for s in shares]
        rounds = (2 if r.random() < 0.2 else 1) if r.random() < g.p_supplement(p) else 0
        ending, ending_early = r.random(), r.random() < 0.5
        fee = p.obj.fee
        self.ahead = work

        specialist = self.who("specialist")
        used = r.uniform(0.03, 0.15)
        w = self.spend(w, budget[0] * used)
        self.assignee = self.steps[-1][4] = specialist
        self.emit(w, Action.ASSIGN, Status.PROCESSING, self.who("leader"), "",
                  {"assignee": specialist, "step": 1})
        for index, seconds in enumerate(budget, start=1):
            if index == 1:
                for _ in range(rounds):
                    used += 0.15
                    if not self.supplement(self.spend(w, seconds * 0.15)):
                        return
                    w = self.last
                if ending < 0.006 and ending_early:
                    self.finish(w, ending)
                    return
                if fee:
                    used += 0.3
                    asked = self.spend(w, seconds * 0.3)
                    if not self.request_payment(asked, fee, day):
                        return
                    w = self.last
                    # The clock ran while the applicant paid: that time came out of the step.
                    used += (self.clk.coord(w) - self.clk.coord(asked)) / max(seconds, 1.0)
                w = self.spend(w, seconds * max(1.0 - used, 0.05))
            else:
                w = self.spend(w, seconds)
            if index < last_index:
                actor = self.assignee
                nxt = self.who(str(steps[index + 1].get("role", "specialist")))
                self.finish_step(w)
                self.start_step(index + 1, w, nxt)
                self.emit(w, Action.FORWARD, Status.PROCESSING, actor, "",
                          {"from_step": index, "to_step": index + 1, "assignee": nxt})
        if ending < 0.006:
            self.finish(w, ending)
            return
        # Approval ends processing (status 9); the return step starts at the desk.
        self.finish_step(w)
        self.start_step(len(steps) - 1, w, None)
        self.emit(w, Action.APPROVE, Status.PROCESSED, self.who("leader"))
        if p.electronic:
            w += int(min(r.expovariate(1 / 1200), 6 * HOUR)) + 60
        else:  # the applicant collects the paper result at the desk
            w = self.office(w, r.uniform(0.05, 2.5) * per_day)
        self.finish_step(w)
        self.emit(w, Action.RETURN_RESULT, Status.RETURNED, self.who("receiver"))
        if r.random() < (0.35 if self.channel == Channel.ONLINE else 0.15):
            u = r.random()
            if self.legal is not None and w > self.legal:
                value = 1 if u < 0.6 else 0 if u < 0.85 else -1
            else:
                value = 1 if u < 0.94 else 0 if u < 0.985 else -1
            self.emit(w + int(r.uniform(60, 2 * DAY)), Action.RATE, Status.RETURNED, None, "",
                      {"rating": value})

    def supplement(self, w: int) -> bool:
        """Request a supplement (clock paused) and, mostly, receive it (clock resumes)."""
        r, clk = self.r, self.clk
        pc = clk.coord(w)
        rem_legal = clk.coord(self.legal) - pc if self.legal and self.legal > w else None
        rem_due = clk.coord(self.due) - pc if self.due and self.due > w else None
        resume = self.status
        self.emit(w, Action.REQUEST_SUPPLEMENT, Status.SUPPLEMENT_REQUESTED,
                  self.who("specialist"), r.choice(SUPPLEMENT_REASONS),
                  {"resume_status": resume, "remaining_original": rem_legal,
                   "remaining_due": rem_due})
        back = w + int(min(r.expovariate(1 / (2.5 * DAY)), 20 * DAY)) + 1800
        if r.random() < 0.03:  # the applicant gives up
            self.finish_step(back)
            self.emit(back, Action.WITHDRAW, Status.WITHDRAWN, None, WITHDRAW_REASON)
            return False
        sc = clk.coord(back)
        if rem_legal is not None:
            self.legal = clk.wall(sc + rem_legal)
        if rem_due is not None:
            self.due = clk.wall(sc + rem_due)
        self.emit(back, Action.SUPPLEMENT, resume or Status.PROCESSING, None, "", {"files": []})
        self.last = self.office(back, 300)
        return True

    def request_payment(self, w: int, fee: int, day: int) -> bool:
        r = self.r
        online_channel = self.channel == Channel.ONLINE
        online = r.random() < self.g.p_pay_online(online_channel, day)
        requester = self.who("specialist")
        self.emit(w, Action.REQUEST_PAYMENT, Status.PAYMENT_REQUESTED, requester, "",
                  {"amount": fee, "resume_status": Status.PROCESSING})
        if r.random() < 0.003:  # never paid: processing stops (form 05)
            at = self.office(w, r.uniform(5, 15) * self.clk.per_day)
            self.payment = [fee, False, w, None, requester]
            self.finish_step(at)
            self.emit(at, Action.STOP, Status.STOPPED, self.who("leader"), STOP_REASONS[0])
            return False
        # Waits scale with the procedure: nobody leaves a same-day certification unpaid for a
        # day, and the clock keeps running while the applicant pays.
        per_day, total = self.clk.per_day, self.total
        if online:
            paid = self.office(w, min(r.expovariate(1 / (0.08 * total + 60)), 0.4 * total) + 60)
        elif online_channel:  # an online dossier paid at the desk or by transfer later
            paid = self.office(w, r.uniform(0.05, 0.4) * min(total, 3 * per_day) + 60)
        else:  # paid at the counter while the applicant is there
            paid = self.office(w, r.uniform(0.005, 0.05) * per_day)
        self.payment = [fee, online, w, paid, requester]
        self.emit(paid, Action.PAY, Status.PROCESSING, None if online else self.who("receiver"),
                  "", {"amount": fee, "online": online})
        self.last = self.office(paid, 300)
        return True

    def finish(self, w: int, ending: float) -> None:
        """Withdrawn by the applicant (~0.2% here, ~0.5% with those who give up after a
        supplement request) or stopped by the leader (~0.4%)."""
        if ending < 0.002:
            w += int(self.r.uniform(HOUR, 3 * DAY))
            self.finish_step(w)
            self.emit(w, Action.WITHDRAW, Status.WITHDRAWN, None, WITHDRAW_REASON)
        else:
            self.finish_step(w)
            self.emit(w, Action.STOP, Status.STOPPED, self.who("leader"), STOP_REASONS[1])


# ------------------------------------------------------------------------------------------
# The generator
# ------------------------------------------------------------------------------------------


class Generator:
    def __init__(self, *, seed: int, date_from: dt.date, date_to: dt.date,
                 now: dt.datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.date_from, self.date_to = date_from, date_to
        now = now or timezone.now()
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(),
                                  tzinfo=calendar.local_tz())
        self.cutoff = to_wall(min(now, end)) - (1 if now >= end else 0)
        # Deadlines of dossiers received near date_to run past it (long procedures, pauses).
        self.data = _Snapshot(date_from - dt.timedelta(days=7),
                              date_to + dt.timedelta(days=3 * 366))
        self.tz = calendar.local_tz()
        self._dates: dict[int, tuple[int, int, int]] = {}

    # Probabilities ------------------------------------------------------------------------
    def online_share(self, proc: _Procedure, ag: _Agency, day: int) -> float:
        if not proc.online:
            return 0.0
        target = ONLINE_TARGET[ag.desk]
        points = [*ONLINE_RAMP, (CAMPAIGN_END, target)]
        return min(_interp(points, day), target) * proc.online

    def p_late(self, proc: _Procedure, ag: _Agency, day: int) -> float:
        p = 0.03
        if ag.desk in ("district", "land") or proc.obj.processing_days >= 10:
            p *= 1.6
        if day < CAMPAIGN_END.toordinal():
            p *= 1.3
        return p

    def p_supplement(self, proc: _Procedure) -> float:
        return 0.09 if proc.obj.processing_days >= 7 else 0.055

    def p_pay_online(self, online: bool, day: int) -> float:
        return _interp(PAY_ONLINE[online], day)

    # Wall seconds → aware datetimes ---------------------------------------------------------
    def moment(self, w: int) -> dt.datetime:
        ordinal, sec = divmod(w, DAY)
        ymd = self._dates.get(ordinal)
        if ymd is None:
            d = dt.date.fromordinal(ordinal)
            ymd = self._dates[ordinal] = (d.year, d.month, d.day)
        hour, rest = divmod(sec, HOUR)
        minute, second = divmod(rest, 60)
        return dt.datetime(*ymd, hour, minute, second, tzinfo=self.tz)

    # Arrivals ------------------------------------------------------------------------------
    def day_counts(self, n: int) -> list[tuple[dt.date, int]]:
        """Spread n over the days: weekday pattern, growth, few online arrivals on days off."""
        days: list[dt.date] = []
        weights: list[float] = []
        day = self.date_from
        start = self.date_from.toordinal()
        last = min(self.date_to, self.moment(self.cutoff).date())
        while day <= last:
            growth = 1.10 ** ((day.toordinal() - start) / 365.25)
            if calendar.is_working_day(day):
                w = WEEKDAY_FACTOR[day.weekday()]
            else:
                w = 0.25 * _interp([*ONLINE_RAMP, (CAMPAIGN_END, 0.97)], day.toordinal())
            days.append(day)
            weights.append(w * growth)
            day += dt.timedelta(days=1)
        total = sum(weights)
        if not days or total <= 0:
            return []
        exact = [n * w / total for w in weights]
        counts = [int(x) for x in exact]
        short = n - sum(counts)
        # Largest remainders first (ties by date): deterministic, sums to n exactly.
        order = sorted(range(len(days)), key=lambda i: (counts[i] - exact[i], i))
        for i in order[:short]:
            counts[i] += 1
        return list(zip(days, counts, strict=True))

    def _hour_table(self, spec: list[tuple[float, float, int]]) -> tuple[list[float], list]:
        return list(accumulate(float(w) for _, _, w in spec)), spec

    def arrivals(self, day: dt.date, count: int) -> list[tuple[int, _Procedure, _Agency, int]]:
        r = self.rng
        ordinal = day.toordinal()
        working = calendar.is_working_day(day)
        cum, rows = self.data.table(ordinal, online_only=not working)
        out = []
        for _ in range(count):
            proc, agencies = rows[bisect_right(cum, r.random() * cum[-1])]
            ag = agencies[int(r.random() * len(agencies))]
            u = r.random()
            share = self.online_share(proc, ag, ordinal)
            if not working or u < share:
                channel = Channel.ONLINE
            else:
                channel = Channel.POSTAL if u > 1 - 0.02 * (1 - share) else Channel.DIRECT
            hours = self.online_hours if channel == Channel.ONLINE else self.office_hours
            slot = hours[1][bisect_right(hours[0], r.random() * hours[0][-1])]
            w = ordinal * DAY + int(r.uniform(slot[0], slot[1]) * HOUR)
            if channel != Channel.ONLINE and not ag.clock.in_office(w):
                w = ag.clock.add(w, 60)  # an agency with other office hours
            if w <= self.cutoff:
                out.append((w, proc, ag, channel))
        out.sort(key=lambda a: a[0])
        return out

    def applicant(self, proc: _Procedure, day: int) -> tuple[int | None, str, str, str]:
        r = self.rng
        kind = proc.obj.applicant_type
        org = kind == "organisation" or (kind == "both" and r.random() < 0.25)
        if org:
            while True:
                digits = "38" + f"{r.randrange(1, 10**7):07d}"  # 38: Bình Phước tax office
                check = 10 - sum(int(d) * w for d, w in zip(digits, TAX_WEIGHTS, strict=True)) % 11
                if check != 10:
                    break
            name = f"{r.choice(ORG_FORMS)} {r.choice(ORG_WORDS)} {r.choice(ORG_WORDS)}"
            return None, ApplicantKind.ORGANISATION, digits + str(check), name
        if self.data.citizens and r.random() < 0.003:
            user_id, id_number, full_name = r.choice(self.data.citizens)
            return user_id, ApplicantKind.CITIZEN, id_number, full_name or "Công dân"
        sex = "m" if r.random() < 0.5 else "f"
        year = min(r.randint(1945, 2006), dt.date.fromordinal(day).year - 1)
        century = ("0" if sex == "m" else "1") if year < 2000 else ("2" if sex == "m" else "3")
        province = "070" if r.random() < 0.85 else r.choice(["074", "079", "075", "066", "040"])
        id_number = f"{province}{century}{year % 100:02d}{r.randrange(10**6):06d}"
        surname = SURNAMES[bisect_right(self.surname_cum, r.random() * self.surname_cum[-1])][0]
        name = f"{surname} {r.choice(MIDDLE[sex])} {r.choice(GIVEN[sex])}"
        return None, ApplicantKind.CITIZEN, id_number, name

    def plan(self, w0: int, proc: _Procedure, ag: _Agency, channel: int) -> Plan:
        day = w0 // DAY
        applicant = self.applicant(proc, day)
        life = _Life(self, proc, ag, channel, w0)
        life.run()
        digitized = channel == Channel.ONLINE or self.rng.random() < _interp(DIGITIZED, day)
        return Plan(w0, proc, ag, channel, applicant, life.events, life.steps, life.payment,
                    digitized)

    def plans(self, n: int) -> Iterator[Plan]:
        self.office_hours = self._hour_table(OFFICE_HOURS)
        self.online_hours = self._hour_table(ONLINE_HOURS)
        self.surname_cum = list(accumulate(w for _, w in SURNAMES))
        for day, count in self.day_counts(n):
            if count:
                for w0, proc, ag, channel in self.arrivals(day, count):
                    yield self.plan(w0, proc, ag, channel)


# ------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------

END_STATUSES = (Status.REFUSED, Status.STOPPED, Status.PROCESSED, Status.RETURNED)


class _Out:
    """Wall seconds → values for the database (fast UTC text on SQLite) and for Python."""

    def __init__(self, g: Generator, writer: BulkWriter) -> None:
        self.g, self.writer = g, writer
        self.offset: int | None = None
        if writer.vendor == "sqlite":
            tz = calendar.local_tz()
            offsets = {int(dt.datetime(y, m, 1, 12, tzinfo=tz).utcoffset().total_seconds())
                       for y in range(g.date_from.year, g.date_to.year + 5) for m in (1, 4, 7, 10)}
            if len(offsets) == 1:  # no DST (Asia/Ho_Chi_Minh since 1975): plain arithmetic
                self.offset = offsets.pop()
        self._days: dict[int, str] = {}
        self.templates = {m: writer.template(m) for m in (Dossier, DossierEvent, DossierStep,
                                                          Payment)}
        self.empty = writer.json({})
        self._forms: dict[int, Any] = {}

    def json(self, value: dict[str, Any]) -> Any:
        return self.writer.json(value) if value else self.empty

    def form(self, proc: _Procedure, name: str) -> Any:
        if "ho_ten" in proc.form:
            return self.writer.json({**proc.form, "ho_ten": name})
        cached = self._forms.get(proc.obj.pk)
        if cached is None:  # the same demo form for every dossier of the procedure
            cached = self._forms[proc.obj.pk] = self.writer.json(proc.form)
        return cached

    def db(self, w: int | None) -> Any:
        if w is None:
            return None
        if self.offset is None:
            return self.writer.dt(self.g.moment(w))
        ordinal, sec = divmod(w - self.offset, DAY)
        day = self._days.get(ordinal)
        if day is None:
            day = self._days[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return f"{day} {sec // HOUR:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"


def _rows(out: _Out, plan: Plan, code: str, dossier_id: int, payment_id: int | None,
          events_py: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]],
                                                     list[dict[str, Any]], dict[str, Any] | None]:
    """Database rows of one plan as it stands at the cut-off (events appended to events_py)."""
    g, db, json_, tpl = out.g, out.db, out.json, out.templates
    cutoff = g.cutoff
    kept = [e for e in plan.events if e[0] <= cutoff]
    final = kept[-1]
    status = final[3]
    received = next((e[0] for e in kept if e[1] in (Action.RECEIVE, Action.CREATE_DIRECT)), None)
    finished = next((e[0] for e in kept if e[3] in END_STATUSES), None)
    returned = next((e[0] for e in kept if e[1] == Action.RETURN_RESULT), None)
    paused_at = remaining = None
    if status == Status.SUPPLEMENT_REQUESTED and final[6].get("resume_status") != Status.NEW:
        paused_at, remaining = final[0], final[6].get("remaining_original")
    # The state in force after the last event that has happened by the cut-off.
    due, legal, step, assignee = final[7], final[8], final[9], final[10]
    proc = plan.procedure
    user_id, kind, id_number, name = plan.applicant
    dossier = {
        **tpl[Dossier], "id": dossier_id, "code": code, "procedure_id": proc.obj.pk,
        "agency_id": plan.agency.obj.pk, "unit_id": plan.agency.obj.unit_id,
        "channel": plan.channel, "status": status, "applicant_id": user_id,
        "applicant_kind": kind, "applicant_id_number": id_number, "applicant_name": name,
        "form_data": out.form(proc, name), "submitted_at": db(plan.w0), "received_at": db(received),
        "due_at": db(due), "original_due_at": db(legal), "finished_at": db(finished),
        "returned_at": db(returned), "paused_at": db(paused_at),
        "remaining_office_seconds": remaining,
        "supplement_count": sum(1 for e in kept if e[1] == Action.REQUEST_SUPPLEMENT),
        "apology_count": sum(1 for e in kept if e[1] == Action.APOLOGIZE),
        "current_step": step, "assignee_id": assignee,
        "current_role": str(proc.steps[step]["role"]) if step is not None else "",
        "fee_amount": proc.obj.fee,
        "paid_online": any(e[6].get("online") for e in kept if e[1] == Action.PAY),
        "result_electronic": proc.electronic and status in (Status.PROCESSED, Status.RETURNED),
        "components_digitized": plan.digitized,
        "rating": next((e[6]["rating"] for e in kept if e[1] == Action.RATE), None),
        "version": len(kept),
    }
    events = []
    moment = g.moment
    for e in kept:
        data = e[6]
        if payment_id is not None and e[1] in (Action.REQUEST_PAYMENT, Action.PAY):
            data = {"payment": payment_id, **data}
        events_py.append({"dossier_id": dossier_id, "at": moment(e[0]), "actor_id": e[4],
                          "action": e[1], "from_status": e[2], "to_status": e[3],
                          "note": e[5], "due_at": moment(e[7]) if e[7] else None,
                          "data": data})
        events.append({**tpl[DossierEvent], "dossier_id": dossier_id, "at": db(e[0]),
                       "actor_id": e[4], "action": e[1], "from_status": e[2],
                       "to_status": e[3], "note": e[5], "due_at": db(e[7]),
                       "data": json_(data)})
    steps = []
    for index, start, step_due, finish, step_assignee in plan.steps:
        if start > cutoff:
            break
        spec = proc.steps[index]
        steps.append({
            **tpl[DossierStep], "dossier_id": dossier_id, "index": index,
            "code": str(spec.get("code", ""))[:40],
            "name": str(spec.get("name", ""))[:200], "role": str(spec.get("role", ""))[:20],
            "assignee_id": step_assignee, "started_at": db(start), "due_at": db(step_due),
            "finished_at": db(finish) if finish is not None and finish <= cutoff else None,
        })
    payment = None
    if payment_id is not None and plan.payment is not None:
        amount, online, requested, paid_w, requested_by = plan.payment
        done = paid_w is not None and paid_w <= cutoff
        state = PaymentStatus.PAID if done else (
            PaymentStatus.CANCELLED if status == Status.STOPPED else PaymentStatus.REQUESTED)
        payment = {
            **tpl[Payment], "id": payment_id, "dossier_id": dossier_id, "amount": amount,
            "description": proc.obj.name[:255], "status": state.value,
            "online": online and done,
            "method": ("online" if online else "counter") if done else "",
            "requested_at": db(requested), "requested_by_id": requested_by,
            "paid_at": db(paid_w) if done else None,
        }
    return dossier, events, steps, payment


def generate_dossiers(n: int, *, seed: int, date_from: dt.date, date_to: dt.date,
                      progress: bool = True, batch_size: int = 2000,
                      now: dt.datetime | None = None) -> int:
    """Generate ``n`` demo dossiers received between ``date_from`` and ``date_to``.

    Returns how many were written (fewer than n only when date_to is today and the day has
    not yet reached some of the drawn times). ``now`` fixes the cut-off (tests, benchmarks).
    """
    if n <= 0:
        return 0
    if date_from > date_to:
        raise ValueError("date_from must not be after date_to")
    g = Generator(seed=seed, date_from=date_from, date_to=date_to, now=now)
    if not g.data.procedures:
        raise ValueError("No procedure with an agency: load the catalogue and agencies first.")
    made = 0
    batch: list[Plan] = []
    with tqdm(total=n, unit=" hồ sơ", desc="Sinh hồ sơ / generating",
              disable=not progress) as bar:
        for plan in g.plans(n):
            batch.append(plan)
            if len(batch) >= batch_size:
                made += _flush(g, batch)
                bar.update(len(batch))
                batch = []
        if batch:
            made += _flush(g, batch)
            bar.update(len(batch))
    return made


def _flush(g: Generator, batch: list[Plan]) -> int:
    with transaction.atomic():
        writer = BulkWriter()
        out = _Out(g, writer)
        codes = allocate_dossier_codes(
            [(p.agency.obj.pk, p.agency.obj.code, dt.date.fromordinal(p.w0 // DAY)) for p in batch])
        ids = writer.allocate(Dossier, len(batch))
        paying = [i for i, plan in enumerate(batch)
                  if plan.payment is not None and plan.payment[2] <= g.cutoff]
        payment_ids = dict(zip(paying, writer.allocate(Payment, len(paying)), strict=True))
        dossiers, events, steps, payments = [], [], [], []
        events_py: list[dict[str, Any]] = []
        for i, plan in enumerate(batch):
            dossier, evs, sts, payment = _rows(out, plan, codes[i], ids[i],
                                               payment_ids.get(i), events_py)
            dossiers.append(dossier)
            events.extend(evs)
            steps.extend(sts)
            if payment is not None:
                payments.append(payment)
        for row, py, event_id in zip(events, events_py,
                                     writer.allocate(DossierEvent, len(events)), strict=True):
            row["id"] = py["id"] = event_id
        for row, step_id in zip(steps, writer.allocate(DossierStep, len(steps)), strict=True):
            row["id"] = step_id  # the template's id column is filled: PostgreSQL needs a value
        writer.insert(Dossier, dossiers, adapted=True)
        writer.insert(Payment, payments, adapted=True)
        writer.insert(DossierEvent, events, adapted=True)
        writer.insert(DossierStep, steps, adapted=True)
        dossier_events_bulk_recorded(event_instances(events_py))
    return len(dossiers)
