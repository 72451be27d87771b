"""The generator proper: draws each day's arrivals (procedure, agency, channel, hour) and
applicants from the seeded random stream, and plans each dossier's life. The order of draws is
the contract: the same seed and demo data give the same dossiers."""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate

from django.utils import timezone

from tinhso.dossiers.generator_clock import DAY, HOUR, to_wall
from tinhso.dossiers.generator_life import DossierLife, Plan
from tinhso.dossiers.generator_params import (
    CAMPAIGN_END,
    DIGITIZED,
    GIVEN,
    MIDDLE,
    OFFICE_HOURS,
    ONLINE_HOURS,
    ONLINE_RAMP,
    ONLINE_TARGET,
    ORG_FORMS,
    ORG_WORDS,
    PAY_ONLINE,
    SURNAMES,
    TAX_WEIGHTS,
    WEEKDAY_FACTOR,
    interpolate,
)
from tinhso.dossiers.generator_snapshot import AgencyInfo, ProcedureInfo, Snapshot
from tinhso.dossiers.models import ApplicantKind, Channel
from tinhso.workdays import calendar


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
        self.data = Snapshot(date_from - dt.timedelta(days=7),
                              date_to + dt.timedelta(days=3 * 366))
        self.tz = calendar.local_tz()
        self._dates: dict[int, tuple[int, int, int]] = {}

    # Probabilities ------------------------------------------------------------------------
    def online_share(self, proc: ProcedureInfo, ag: AgencyInfo, day: int) -> float:
        if not proc.online:
            return 0.0
        target = ONLINE_TARGET[ag.desk]
        points = [*ONLINE_RAMP, (CAMPAIGN_END, target)]
        return min(interpolate(points, day), target) * proc.online

    def p_late(self, proc: ProcedureInfo, ag: AgencyInfo, day: int) -> float:
        p = 0.03
        if ag.desk in ("district", "land") or proc.obj.processing_days >= 10:
            p *= 1.6
        if day < CAMPAIGN_END.toordinal():
            p *= 1.3
        return p

    def p_supplement(self, proc: ProcedureInfo) -> float:
        return 0.09 if proc.obj.processing_days >= 7 else 0.055

    def p_pay_online(self, online: bool, day: int) -> float:
        return interpolate(PAY_ONLINE[online], day)

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
                w = 0.25 * interpolate([*ONLINE_RAMP, (CAMPAIGN_END, 0.97)], day.toordinal())
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

    def arrivals(self, day: dt.date, count: int
                 ) -> list[tuple[int, ProcedureInfo, AgencyInfo, int]]:
        r = self.rng
        ordinal = day.toordinal()
        working = calendar.is_working_day(day)
        cum, rows = self.data.table(ordinal, online_only=not working)
        out: list[tuple[int, ProcedureInfo, AgencyInfo, int]] = []
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

    def applicant(self, proc: ProcedureInfo, day: int) -> tuple[int | None, str, str, str]:
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

    def plan(self, w0: int, proc: ProcedureInfo, ag: AgencyInfo, channel: int) -> Plan:
        day = w0 // DAY
        applicant = self.applicant(proc, day)
        life = DossierLife(self, proc, ag, channel, w0)
        life.run()
        digitized = channel == Channel.ONLINE or self.rng.random() < interpolate(DIGITIZED, day)
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
