"""One generated dossier's life through the one-stop lifecycle, as the live services would
have recorded it: events with the state in force after each, steps and the payment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from tinhso.dossiers.generator_clock import DAY, HOUR
from tinhso.dossiers.generator_params import (
    APOLOGY_REASON,
    REFUSE_REASONS,
    STOP_REASONS,
    SUPPLEMENT_REASONS,
    WITHDRAW_REASON,
)
from tinhso.dossiers.generator_snapshot import AgencyInfo, ProcedureInfo
from tinhso.dossiers.models import Action, Channel, Status

if TYPE_CHECKING:
    from tinhso.dossiers.generator_plans import Generator

# An event: wall time, action, from, to, actor, note, data, and the state in force after it:
# due (wall), legal due (wall), current step, assignee.
Event = tuple[int, str, int | None, int, int | None, str, dict[str, Any], int | None,
              int | None, int | None, int | None]


@dataclass(slots=True)
class Plan:
    w0: int
    procedure: ProcedureInfo
    agency: AgencyInfo
    channel: int
    applicant: tuple[int | None, str, str, str]  # user id, kind, id number, name
    events: list[Event]
    steps: list[list[Any]]  # [index, start, due, finish, assignee] (wall seconds)
    payment: list[Any] | None  # [amount, online, requested, paid or None, requested_by]
    digitized: bool


class DossierLife:
    """Simulates one dossier like the live services would have recorded it.

    Times are wall seconds; office durations go through the agency's OfficeClock. Every state
    change is applied before ``emit`` so each event carries the state in force after it, as
    ``record_event`` does (it reads ``dossier.due_at`` after the service changed it).
    """

    def __init__(self, gen: Generator, proc: ProcedureInfo, ag: AgencyInfo, channel: int,
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
            kind = getattr(proc.obj, "deadline_kind", "working_days")
            if kind == "hours" and proc.obj.processing_hours is not None:
                value = Decimal(proc.obj.processing_hours) * HOUR
            total = proc.allowed[per_day] = int(value.to_integral_value(ROUND_HALF_UP))
        self.total = total  # a same-day procedure's is set at reception (legal_due)

    def legal_due(self, w: int) -> int:
        """The due moment of a dossier received at ``w``, by the procedure's deadline kind,
        as ``workdays.deadlines.due_moment`` computes it (checked by tests): working days or
        office hours of office time; same day — the close of the reception's working day, or
        of the next one when received after the cut-off (Decree 23/2015 art. 7)."""
        clk = self.clk
        if getattr(self.p.obj, "deadline_kind", "") != "same_day":
            return clk.add(w, self.total)
        from tinhso.workdays.deadlines import DeadlineRule

        cutoff = DeadlineRule.of(self.p.obj).effective_cutoff()
        begin = clk.wall(clk.coord(w) + 1) - 1  # the first office moment from w on
        day_index = clk.coord(begin) // clk.per_day  # the working day it falls on
        if begin % DAY > cutoff.hour * HOUR + cutoff.minute * 60 + cutoff.second:
            day_index += 1
        due = clk.wall((day_index + 1) * clk.per_day)
        self.total = max(clk.coord(due) - clk.coord(w), 1)
        return due

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
        self.due = self.legal = self.legal_due(w)
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

