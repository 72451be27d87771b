"""A dossier's KPI profile: the few moments and flags the 766 indicators need.

Pure functions, no database: the fact hooks (tinhso.ioc.facts) and the rebuild both call them, so
incremental facts and rebuilt facts can only agree. The raw-table computation
(tinhso.ioc.raw) expresses the same rules in SQL; a property test keeps the two identical.

The rules (docs/kpi.md §2):

* base: dossiers that were received (``received_at`` set) and are not withdrawn;
* end of processing ``e`` = ``Dossier.finished_at`` (first of refused/stopped/processed/returned);
* appointment ``D`` = ``original_due_at`` (supplement pauses shift it, apologies don't);
* the clock stops at ``c`` = the end, or the start of the pause the dossier was in when it ended,
  or the start of the pause it is in now (a supplement, or a payment where the procedure
  pauses the clock for financial obligations);
* it becomes overdue at ``o`` = the earliest of ``D`` (when ``D < c``) and the time of the second
  supplement request (766: more than one request ⇒ overdue);
* finished on time ⇔ ``o`` is undefined; unfinished at a moment ``t`` is overdue ⇔ ``o < t``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from tinhso.dossiers.models import END_OF_PROCESSING, Action, Channel, Status

# Flag bits stored in DossierFactState.flags.
F_ONLINE = 1
F_PAID_ONLINE = 2
F_DIGITIZED = 4
F_WITH_RESULT = 8
F_ERESULT = 16
F_RATED = 32
F_DISLIKED = 64
F_MULTI_SUPPLEMENT = 128
F_ON_TIME = 256
F_EXCLUDED = 512

RESULT_STATUSES = frozenset({Status.PROCESSED, Status.RETURNED})
# Statuses in which the clock may be paused now: awaiting a supplement, or awaiting the
# applicant's financial obligations where the procedure says so (paused_at set).
PAUSABLE = frozenset({Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED})
END_VALUES = frozenset(int(s) for s in END_OF_PROCESSING)

# Fields of Dossier the profile reads (one .values() row is enough).
DOSSIER_FIELDS: tuple[str, ...] = (
    "id", "agency_id", "unit_id", "procedure_id", "channel", "status", "received_at",
    "finished_at", "original_due_at", "paused_at", "supplement_count", "fee_amount",
    "paid_online", "result_electronic", "components_digitized", "rating",
)


@lru_cache(maxsize=1)
def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(local_tz()).date()


def day_start(day: dt.date) -> dt.datetime:
    """Local midnight at the start of ``day`` (aware)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_tz())


@dataclass
class Memory:
    """What the event stream tells that the dossier row does not."""

    request_count: int = 0
    second_request_at: dt.datetime | None = None
    pause_started_at: dt.datetime | None = None
    end_seen: bool = False
    end_pause_started_at: dt.datetime | None = None
    complained: bool = False

    def apply(self, action: str, at: dt.datetime, to_status: int) -> Memory:
        """The memory after one more event (events must come in (at, id) order)."""
        return replace(self).advance(action, at, to_status)

    def advance(self, action: str, at: dt.datetime, to_status: int) -> Memory:
        """Like ``apply`` but in place (replays of a whole log: no copy per event)."""
        new = self
        if action == Action.REQUEST_SUPPLEMENT:
            new.request_count += 1
            if new.request_count == 2:
                new.second_request_at = at
            new.pause_started_at = at
        elif action == Action.SUPPLEMENT:
            new.pause_started_at = None
        if to_status in END_VALUES and not new.end_seen:
            new.end_seen = True
            # Ended while waiting for the applicant: the clock had stopped at the request.
            new.end_pause_started_at = new.pause_started_at
        return new


@dataclass(frozen=True)
class Profile:
    agency_id: int | None = None
    unit_id: int | None = None
    procedure_id: int | None = None
    received_day: dt.date | None = None
    finished_day: dt.date | None = None
    overdue_day: dt.date | None = None
    refused_day: dt.date | None = None
    flags: int = 0
    fee_amount: int = 0

    def has(self, bit: int) -> bool:
        return bool(self.flags & bit)

    @property
    def key(self) -> tuple[int | None, int | None, int | None]:
        return (self.agency_id, self.unit_id, self.procedure_id)


EMPTY = Profile()


def overdue_moment(row: dict[str, Any], memory: Memory) -> dt.datetime | None:
    """``o``: when the (received, not withdrawn) dossier became overdue, or None."""
    received = row["received_at"]
    finished = row["finished_at"]
    due = row["original_due_at"]
    if finished is not None:
        clock_stop: dt.datetime | None = memory.end_pause_started_at or finished
    elif row["status"] in PAUSABLE and row["paused_at"] is not None:
        clock_stop = row["paused_at"]
    else:
        clock_stop = None
    candidates: list[dt.datetime] = []
    if due is not None and (clock_stop is None or due < clock_stop):
        candidates.append(due)
    if row["supplement_count"] >= 2:
        # Imported dossiers carry the count but not the request events: overdue since reception.
        candidates.append(memory.second_request_at or received)
    return min(candidates) if candidates else None


def compute_profile(row: dict[str, Any], memory: Memory) -> Profile:
    """The profile of a dossier from its row (``DOSSIER_FIELDS``) and its event memory."""
    keys: dict[str, Any] = {
        "agency_id": row["agency_id"], "unit_id": row["unit_id"],
        "procedure_id": row["procedure_id"],
    }
    if row["status"] == Status.WITHDRAWN:
        return Profile(**keys, flags=F_EXCLUDED)
    received = row["received_at"]
    finished = row["finished_at"]
    if received is None:
        if row["status"] == Status.REFUSED and finished is not None:
            return Profile(**keys, refused_day=local_day(finished))
        return Profile(**keys)
    flags = 0
    if row["channel"] == Channel.ONLINE:
        flags |= F_ONLINE
    if row["paid_online"]:
        flags |= F_PAID_ONLINE
    if row["components_digitized"]:
        flags |= F_DIGITIZED
    if row["status"] in RESULT_STATUSES:
        flags |= F_WITH_RESULT
    if row["result_electronic"]:
        flags |= F_ERESULT
    if row["rating"] is not None:
        flags |= F_RATED
        if row["rating"] < 0:
            flags |= F_DISLIKED
    if row["supplement_count"] >= 2:
        flags |= F_MULTI_SUPPLEMENT
    overdue = overdue_moment(row, memory)
    if finished is not None and overdue is None:
        flags |= F_ON_TIME
    return Profile(
        **keys,
        received_day=local_day(received),
        finished_day=local_day(finished) if finished is not None else None,
        overdue_day=local_day(overdue) if overdue is not None else None,
        flags=flags,
        fee_amount=int(row["fee_amount"] or 0),
    )


Contribution = dict[tuple[int, int, int | None, dt.date], dict[str, int]]  # None: all procedures


def contributions(profile: Profile, complained: bool = False) -> Contribution:
    """The fact counters this profile adds, per (agency, unit, procedure, day)."""
    out: Contribution = {}
    if profile.agency_id is None or profile.has(F_EXCLUDED):
        return out
    a, u, p = profile.agency_id, profile.unit_id, profile.procedure_id
    assert u is not None and p is not None

    def add(day: dt.date, **counters: int) -> None:
        bucket = out.setdefault((a, u, p, day), {})
        for name, value in counters.items():
            if value:
                bucket[name] = bucket.get(name, 0) + value

    if profile.received_day is None:
        if profile.refused_day is not None:
            add(profile.refused_day, refused=1)
        return out
    paid = profile.has(F_PAID_ONLINE)
    add(profile.received_day, received=1,
        received_online=int(profile.has(F_ONLINE)),
        received_paid_online=int(paid),
        received_digitized=int(profile.has(F_DIGITIZED)),
        fee_amount=profile.fee_amount,
        paid_online_amount=profile.fee_amount if paid else 0)
    if profile.finished_day is not None:
        result = profile.has(F_WITH_RESULT)
        eresult = result and profile.has(F_ERESULT)
        add(profile.finished_day,
            finished_on_time=int(profile.has(F_ON_TIME)),
            finished_late=int(not profile.has(F_ON_TIME)),
            finished_with_result=int(result),
            finished_eresult=int(eresult),
            finished_digitized=int(eresult and profile.has(F_DIGITIZED)),
            finished_rated=int(profile.has(F_RATED)),
            finished_disliked=int(profile.has(F_DISLIKED)),
            finished_unsatisfied=int(profile.has(F_DISLIKED) or complained),
            finished_multi_supplement=int(profile.has(F_MULTI_SUPPLEMENT)))
    if profile.overdue_day is not None:
        add(profile.overdue_day, overdue_started=1)
        if profile.finished_day is not None:
            add(profile.finished_day, overdue_ended=1)
    return {k: v for k, v in out.items() if v}


def diff(old: Contribution, new: Contribution) -> Contribution:
    """new − old, dropping zero entries."""
    delta: Contribution = {}
    for key in set(old) | set(new):
        a, b = old.get(key, {}), new.get(key, {})
        row = {name: b.get(name, 0) - a.get(name, 0) for name in set(a) | set(b)}
        row = {name: value for name, value in row.items() if value}
        if row:
            delta[key] = row
    return delta


def merge(into: Contribution, more: Contribution, sign: int = 1) -> None:
    for key, counters in more.items():
        bucket = into.setdefault(key, {})
        for name, value in counters.items():
            bucket[name] = bucket.get(name, 0) + sign * value
