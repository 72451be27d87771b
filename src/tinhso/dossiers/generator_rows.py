"""Database rows of a planned dossier as it stands at the cut-off: the dossier, its events,
steps and payment, with wall seconds turned into database values."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from tinhso.dossiers.bulk_writer import BulkWriter
from tinhso.dossiers.generator_clock import DAY, HOUR
from tinhso.dossiers.generator_life import Plan
from tinhso.dossiers.generator_plans import Generator
from tinhso.dossiers.generator_snapshot import ProcedureInfo
from tinhso.dossiers.models import Action, Dossier, DossierEvent, DossierStep, Status
from tinhso.payments.models import Payment, PaymentStatus
from tinhso.workdays import calendar

END_STATUSES = (Status.REFUSED, Status.STOPPED, Status.PROCESSED, Status.RETURNED)


def fixed_offset(g: Generator) -> int | None:
    """The local zone's UTC offset in seconds when it is the same over the whole range (no
    DST: Asia/Ho_Chi_Minh since 1975), so wall seconds turn into UTC text by arithmetic."""
    tz = calendar.local_tz()
    # An aware datetime: utcoffset() is never None.
    offsets = {int(cast(dt.timedelta, dt.datetime(y, m, 1, 12, tzinfo=tz).utcoffset())
                   .total_seconds())
               for y in range(g.date_from.year, g.date_to.year + 5) for m in (1, 4, 7, 10)}
    return offsets.pop() if len(offsets) == 1 else None


class RowValues:
    """Wall seconds → values for the database (fast UTC text on SQLite) and for Python."""

    def __init__(self, g: Generator, writer: BulkWriter) -> None:
        self.g, self.writer = g, writer
        self.offset = fixed_offset(g) if writer.vendor == "sqlite" else None
        self._days: dict[int, str] = {}
        self.templates = {m: writer.template(m) for m in (Dossier, DossierEvent, DossierStep,
                                                          Payment)}
        self.empty = writer.json({})
        self._forms: dict[int, Any] = {}

    def json(self, value: dict[str, Any]) -> Any:
        return self.writer.json(value) if value else self.empty

    def form(self, proc: ProcedureInfo, name: str) -> Any:
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


def plan_rows(out: RowValues, plan: Plan, code: str, dossier_id: int, payment_id: int | None,
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
