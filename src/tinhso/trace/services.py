"""Writes of the trace app: capture EPCIS events (validate, hash, check ownership, store, append
to the ledger), capture jobs, parties.

``events_capture`` is the one path into the ledger: keyword-only, an acting user whose trace
party captures, one transaction holding the ledger's lock, the outbox event in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.core import outbound
from tinhso.trace import errors, ledger, vocab
from tinhso.trace.eventhash import event_hash
from tinhso.trace.identifiers import gln_of, parse_digital_link, to_digital_link
from tinhso.trace.models import (
    CaptureJob,
    CaptureState,
    EpcRole,
    Event,
    EventEpc,
    NamedQuery,
    QuerySubscription,
    TraceParty,
)
from tinhso.trace.validation import parse_time, validate_document, validate_event

CAPTURE_LIMIT = 10_000  # events per capture document (GS1-EPCIS-Capture-Limit)
CAPTURE_FILE_SIZE_LIMIT = 20 * 1024 * 1024  # bytes (GS1-EPCIS-Capture-File-Size-Limit)


def capture_file_size_limit() -> int:
    """The advertised body limit: never above what Django reads into memory."""
    from django.conf import settings

    ceiling = getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None)
    return min(CAPTURE_FILE_SIZE_LIMIT, ceiling) if ceiling else CAPTURE_FILE_SIZE_LIMIT

_EPC_FIELDS = (("epcList", EpcRole.EPC), ("childEPCs", EpcRole.CHILD),
               ("inputEPCList", EpcRole.INPUT), ("outputEPCList", EpcRole.OUTPUT))
_CLASS_FIELDS = (("quantityList", EpcRole.CLASS), ("childQuantityList", EpcRole.CHILD_CLASS),
                 ("inputQuantityList", EpcRole.INPUT_CLASS),
                 ("outputQuantityList", EpcRole.OUTPUT_CLASS))


@dataclass
class Prepared:
    """An event ready to store: canonical columns and its EPC index rows."""

    event_id: str
    event_hash: str
    document: dict[str, Any]
    columns: dict[str, Any]
    epcs: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Ownership:
    """What a party may capture: its GLNs and its company prefixes."""

    glns: frozenset[str]
    prefixes: tuple[str, ...]

    @classmethod
    def of(cls, party: TraceParty) -> Ownership:
        return cls(frozenset(party.locations.values_list("gln", flat=True)),
                   tuple(party.prefixes.values_list("prefix", flat=True)))

    def owns_number(self, key: str, number: str) -> bool:
        # GTIN-14 and SSCC carry an indicator/extension digit before the company prefix.
        body = number[1:] if key in ("01", "00") else number
        return any(body.startswith(p) or number.startswith(p) for p in self.prefixes)


def _epc_rows(event: Mapping[str, Any]) -> list[tuple[str, int]]:
    rows: list[tuple[str, int]] = []
    if event.get("parentID"):
        rows.append((to_digital_link(event["parentID"]) or event["parentID"], EpcRole.PARENT))
    for name, role in _EPC_FIELDS:
        for epc in event.get(name) or []:
            rows.append((to_digital_link(epc) or epc, role))
    for name, role in _CLASS_FIELDS:
        for element in event.get(name) or []:
            cls = element.get("epcClass", "")
            rows.append((to_digital_link(cls) or cls, role))
    return list(dict.fromkeys(rows))


def _new_identities(event: Mapping[str, Any]) -> list[str]:
    """Identifiers this event creates or packs: they must be the capturing party's products."""
    kind, action = event.get("type"), event.get("action")
    out: list[str] = []
    if kind == "ObjectEvent" and action == "ADD":
        out += list(event.get("epcList") or [])
        out += [q.get("epcClass", "") for q in event.get("quantityList") or []]
    if kind == "TransformationEvent":
        out += list(event.get("outputEPCList") or [])
        out += [q.get("epcClass", "") for q in event.get("outputQuantityList") or []]
    if kind in ("AggregationEvent", "AssociationEvent") and action == "ADD" \
            and event.get("parentID"):
        out.append(event["parentID"])
    return out


def check_ownership(event: Mapping[str, Any], owner: Ownership) -> list[tuple[str, str]]:
    """Capture only at own locations and for own products (docs/trace.md#who-may-capture)."""
    problems: list[tuple[str, str]] = []
    places = [(name, event[name]["id"]) for name in ("readPoint", "bizLocation")
              if isinstance(event.get(name), Mapping) and "id" in event[name]]
    if not places:
        problems.append(("/bizLocation", "a readPoint or bizLocation (your GLN) is required"))
    for name, uri in places:
        gln = gln_of(uri)
        if gln is None or gln not in owner.glns:
            problems.append((f"/{name}/id", f"{uri} is not one of your locations"))
    for uri in _new_identities(event):
        pairs = parse_digital_link(to_digital_link(uri) or "") or []
        if not pairs or not owner.owns_number(*pairs[0]):
            problems.append(("", f"{uri} is not numbered under your company prefixes"))
    return problems


def event_prepare(event: Any, *, context: Any, owner: Ownership, record_time: dt.datetime,
                  index: int | None = None) -> Prepared:
    """Validate, hash and index one event; raise ``EpcisError`` (400 or 403)."""
    problems = validate_event(event)
    if problems:
        raise errors.invalid(problems, index)
    denied = check_ownership(event, owner)
    if denied:
        raise errors.forbidden(
            "Chỉ được ghi nhận sự kiện tại địa điểm và cho sản phẩm của mình.",
            "You may only capture events at your own locations and for your own products.",
            [{"pointer": ("" if index is None else f"/epcisBody/eventList/{index}") + p,
              "message": m} for p, m in denied])
    digest = event_hash(event, context)
    document = {k: v for k, v in event.items() if k != "@context"}
    event_id = document.get("eventID") or digest
    document["eventID"] = event_id
    document["recordTime"] = record_time.astimezone(dt.UTC).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    when = parse_time(event["eventTime"])
    assert when is not None  # validated
    columns = {
        "event_type": event["type"], "action": event.get("action", ""), "event_time": when,
        "biz_step": vocab.biz_step_uri(event.get("bizStep", "")),
        "disposition": vocab.disposition_uri(event.get("disposition", "")),
        "read_point": _place(event, "readPoint"), "biz_location": _place(event, "bizLocation"),
    }
    return Prepared(event_id=event_id, event_hash=digest, document=document, columns=columns,
                    epcs=_epc_rows(event))


def _place(event: Mapping[str, Any], name: str) -> str:
    value = event.get(name)
    if not isinstance(value, Mapping):
        return ""
    uri = str(value.get("id", ""))
    return to_digital_link(uri) or uri


def party_for(user: Any) -> TraceParty:
    pk = getattr(user, "pk", None)
    party: TraceParty | None = (TraceParty.objects.filter(user_id=pk).first()
                                if pk is not None else None)
    if party is None or not getattr(user, "is_active", False):
        raise errors.forbidden(
            "Tài khoản chưa được đăng ký là bên truy xuất nguồn gốc.",
            "This account is not registered as a traceability party.")
    return party


def _store(prepared: Sequence[Prepared], *, party: TraceParty, record_time: dt.datetime,
           actor_id: int | None, capture_id: str | None) -> list[Event]:
    """Insert the events and their index rows, append their leaves (lock held by the caller's
    transaction), publish one outbox event."""
    from tinhso.outbox.services import event_publish

    appender = ledger.Appender(ledger.lock_state())
    events: list[Event] = []
    for item in prepared:
        index = appender.size
        leaf = ledger.merkle.leaf_hash(ledger.leaf_data(
            index=index, event_id=item.event_id, event_hash=item.event_hash,
            record_time=record_time, document=item.document))
        appender.append(leaf)
        events.append(Event(event_id=item.event_id, event_hash=item.event_hash,
                            record_time=record_time, document=item.document, party=party,
                            leaf_index=index, leaf_hash=leaf, **item.columns))
    Event.objects.bulk_create(events, batch_size=1000)
    if not all(e.pk for e in events):  # backends that do not return ids (not PostgreSQL/SQLite)
        ids = dict(Event.objects.filter(event_id__in=[e.event_id for e in events])
                   .values_list("event_id", "pk"))
        for e in events:
            e.pk = ids[e.event_id]
    EventEpc.objects.bulk_create(
        [EventEpc(event_id=e.pk, epc=epc, role=role)
         for e, item in zip(events, prepared, strict=True) for epc, role in item.epcs],
        batch_size=2000)
    appender.flush()
    if events:
        event_publish(type="trace.events_captured", aggregate_type="trace_party",
                      aggregate_id=party.pk, agency_id=None, actor_id=actor_id,
                      payload={"party_id": party.pk, "count": len(events),
                               "first_leaf": events[0].leaf_index,
                               "last_leaf": events[-1].leaf_index,
                               "event_ids": [e.event_id for e in events[:100]],
                               "at": record_time.isoformat(), "capture_id": capture_id})
    return events


def event_capture(*, acting_user: Any, event: Any, context: Any = None) -> Event:
    """``POST /epcis/events``: one event, synchronously (409 if its eventID exists)."""
    party = party_for(acting_user)
    now = timezone.now()
    prepared = event_prepare(event, context=context, owner=Ownership.of(party), record_time=now)
    with transaction.atomic():
        ledger.lock_state()  # serialise with other captures before the existence check
        if Event.objects.filter(event_id=prepared.event_id).exists():
            raise errors.exists(prepared.event_id)
        return _store([prepared], party=party, record_time=now, actor_id=acting_user.pk,
                      capture_id=None)[0]


def capture_job_create(*, acting_user: Any, document: Any, rollback: bool) -> CaptureJob:
    """``POST /epcis/capture``: check the frame and limits now, queue the job (202)."""
    party = party_for(acting_user)
    problems = validate_document(document)
    if problems:
        raise errors.invalid(problems)
    count = len(document["epcisBody"]["eventList"])
    if count > CAPTURE_LIMIT:
        raise errors.EpcisError(errors.CAPTURE_LIMIT, 413, "TRACE_CAPTURE_LIMIT",
                                f"Tối đa {CAPTURE_LIMIT} sự kiện mỗi lần gửi.",
                                f"At most {CAPTURE_LIMIT} events per capture.")
    with transaction.atomic():
        job = CaptureJob.objects.create(party=party, rollback=rollback, document=document,
                                        event_count=count)
        from tinhso.trace.tasks import run_capture

        transaction.on_commit(lambda: run_capture(str(job.pk)))
    return job


def capture_job_run(*, job_id: str) -> CaptureJob | None:
    """The background job: validate every event, then store all (rollback) or the good ones
    (proceed). Errors are kept on the job (``GET /epcis/capture/{id}``)."""
    with transaction.atomic():
        job: CaptureJob | None = (
            CaptureJob.objects.select_for_update(of=("self",)).select_related("party__user")
            .filter(pk=job_id, state=CaptureState.QUEUED).first())
        if job is None:
            return None
        job.state = CaptureState.RUNNING
        job.save(update_fields=["state"])
    document = job.document
    context = document.get("@context")
    owner = Ownership.of(job.party)
    now = timezone.now()
    good: list[Prepared] = []
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, event in enumerate(document["epcisBody"]["eventList"]):
        try:
            item = event_prepare(event, context=context, owner=owner, record_time=now, index=i)
        except errors.EpcisError as exc:
            problems.append({"index": i, **exc.problem()})
            continue
        if item.event_id in seen:
            problems.append({"index": i, **errors.exists(item.event_id).problem()})
            continue
        seen.add(item.event_id)
        good.append(item)
    with transaction.atomic():
        ledger.lock_state()
        taken = set(Event.objects.filter(event_id__in=[g.event_id for g in good])
                    .values_list("event_id", flat=True))
        for item in good:
            if item.event_id in taken:
                problems.append({"eventID": item.event_id,
                                 **errors.exists(item.event_id).problem()})
        good = [g for g in good if g.event_id not in taken]
        stored = 0
        if good and not (problems and job.rollback):
            stored = len(_store(good, party=job.party, record_time=now,
                                actor_id=job.party.user_id, capture_id=str(job.pk)))
        job.captured = stored
        job.errors = problems[:1000]
        job.state = CaptureState.FAILED if problems and (job.rollback or not stored) \
            else CaptureState.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["captured", "errors", "state", "finished_at"])
    return job


def party_register(*, acting_user: Any, user: Any, name: str, kind: str,
                   glns: Sequence[tuple[str, str, str]] = (), prefixes: Sequence[str] = (),
                   commune: Any = None, events_public: bool | None = None) -> TraceParty:
    """Register an account as a trace party with its locations ``(gln, name, kind)`` and
    company prefixes (by an operator, the demo or the admin). ``events_public``: the party's
    opt-in to anyone reading its full events (decision 0020); None keeps what it was."""
    from tinhso.trace.identifiers import is_valid_gs1_number
    from tinhso.trace.models import CompanyPrefix, PartyKind, TraceLocation

    if kind not in PartyKind.values:
        raise errors.invalid([("/kind", f"must be one of {PartyKind.values}")])
    for gln, _, _ in glns:
        if len(gln) != 13 or not is_valid_gs1_number(gln):
            raise errors.invalid([("/gln", f"{gln} is not a GLN (13 digits, check digit)")])
    for prefix in prefixes:
        if not prefix.isdigit() or not 4 <= len(prefix) <= 12:
            raise errors.invalid([("/prefix", f"{prefix} is not a GS1 company prefix")])
    with transaction.atomic():
        defaults: dict[str, Any] = {"name": name, "kind": kind, "commune": commune}
        if events_public is not None:
            defaults["events_public"] = events_public
        party, _ = TraceParty.objects.update_or_create(user=user, defaults=defaults)
        for gln, location_name, location_kind in glns:
            TraceLocation.objects.update_or_create(
                gln=gln, defaults={"party": party, "name": location_name,
                                   "kind": location_kind, "commune": commune})
        for prefix in prefixes:
            CompanyPrefix.objects.update_or_create(prefix=prefix, defaults={"party": party})
    return party


# --- Named queries and subscriptions (the binding's /queries resources) ----------------------

QUERY_NAME = re.compile(r"[A-Za-z0-9._~-]{1,100}")  # one URL path segment, unescaped


def named_query_create(*, acting_user: Any, body: Any) -> NamedQuery:
    """``POST /epcis/queries`` ``{"name", "query"}``: 409 if the name is taken."""
    from tinhso.trace.selectors import PAGING_PARAMETERS, events_filter, query_params

    if not isinstance(body, dict) or set(body) - {"name", "query"}:
        raise errors.invalid([("", "the body is {\"name\": …, \"query\": {…}}")])
    name, query = body.get("name"), body.get("query")
    if not isinstance(name, str) or not QUERY_NAME.fullmatch(name):
        raise errors.invalid([("/name", "1-100 characters among A-Z a-z 0-9 . _ ~ -")])
    if not isinstance(query, dict) or not all(
            isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(x, str)
                                                                    for x in v))
            for v in query.values()):
        raise errors.invalid([("/query", "an object of strings or non-empty string lists")])
    if set(query) & PAGING_PARAMETERS:
        raise errors.query_parameter("Truy vấn đặt tên không chứa tham số phân trang.",
                                     "A named query has no paging parameters.")
    events_filter(Event.objects.none(), query_params(query))  # raises on a bad parameter
    try:
        with transaction.atomic():
            return NamedQuery.objects.create(name=name, owner=acting_user, query=query)
    except IntegrityError:
        raise errors.EpcisError(errors.ALREADY_EXISTS, 409, "TRACE_QUERY_EXISTS",
                                "Tên truy vấn này đã có.", "This query name is taken.",
                                {"name": name}) from None


def named_query_delete(*, acting_user: Any, name: str) -> None:
    """Delete a named query and, with it, every subscription to it (the binding says so)."""
    from tinhso.trace.selectors import named_query_for

    named_query_for(acting_user, name).delete()


_SCHEDULE_LIMITS = {"second": (0, 59), "minute": (0, 59), "hour": (0, 23),
                    "dayOfMonth": (1, 31), "month": (1, 12), "dayOfWeek": (1, 7)}
_SUBSCRIPTION_KEYS = {"dest", "signatureToken", "initialRecordTime", "reportIfEmpty",
                      "stream", "schedule"}


def schedule_values(text: str, low: int, high: int) -> set[int] | None:
    """One schedule field of the binding: numbers and ``[a-b]`` ranges, comma-separated."""
    out: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        match = re.fullmatch(r"\[(\d{1,2})-(\d{1,2})\]|(\d{1,2})", part)
        if match is None:
            return None
        first = int(match.group(1) or match.group(3))
        last = int(match.group(2) or match.group(3))
        if not low <= first <= last <= high:
            return None
        out |= set(range(first, last + 1))
    return out


def _check_subscription(body: Any) -> list[tuple[str, str]]:
    if not isinstance(body, dict):
        return [("", "the body is a JSON object")]
    problems = [(f"/{k}", "unknown member") for k in sorted(set(body) - _SUBSCRIPTION_KEYS)]
    dest = body.get("dest")
    try:
        parts = urlsplit(dest) if isinstance(dest, str) else None
        ok = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)
        ok = ok and len(str(dest)) <= 500 and not any(c.isspace() for c in str(dest))
    except ValueError:
        ok = False
    if not ok:
        problems.append(("/dest", "an http(s) URL of at most 500 characters"))
    token = body.get("signatureToken")
    if token is not None and not (isinstance(token, str) and 1 <= len(token) <= 500):
        problems.append(("/signatureToken", "a string of 1-500 characters"))
    if "initialRecordTime" in body and parse_time(body["initialRecordTime"]) is None:
        problems.append(("/initialRecordTime", "an ISO 8601 date-time with a time zone"))
    if not isinstance(body.get("reportIfEmpty", False), bool):
        problems.append(("/reportIfEmpty", "true or false"))
    stream, schedule = body.get("stream"), body.get("schedule")
    if (stream is True) == (schedule is not None) or stream not in (None, True):
        problems.append(("", "either \"stream\": true or a \"schedule\", not both"))
    if schedule is not None:
        if not isinstance(schedule, dict) or not schedule or set(schedule) - set(_SCHEDULE_LIMITS):
            problems.append(("/schedule", f"an object with some of {sorted(_SCHEDULE_LIMITS)}"))
        else:
            for key, value in schedule.items():
                if not isinstance(value, str) or schedule_values(value, *_SCHEDULE_LIMITS[key]) \
                        is None:
                    problems.append((f"/schedule/{key}", "numbers or [a-b] ranges, in range"))
    return problems


def subscription_create(*, acting_user: Any, name: str, body: Any) -> QuerySubscription:
    """``POST /epcis/queries/{name}/subscriptions``: a webhook for the query's results."""
    from tinhso.trace.selectors import named_query_for
    from tinhso.trace.subscriptions import encrypt_token

    query = named_query_for(acting_user, name)
    problems = _check_subscription(body)
    if problems:
        raise errors.subscription_controls(problems)
    try:  # only a well-formed URL gets here; the guard may resolve its name (SSRF)
        outbound.check_url(body["dest"])
    except outbound.OutboundRefused as refused:
        raise errors.dest_refused(refused) from None
    now = timezone.now()
    initial = parse_time(body["initialRecordTime"]) if "initialRecordTime" in body else now
    assert initial is not None  # checked
    # Every committed leaf was recorded before now: start after them unless asked for the past.
    cursor = ledger.tree_size() - 1 if initial >= now else -1
    token = body.get("signatureToken")
    return QuerySubscription.objects.create(
        query=query, dest=body["dest"], stream=body.get("stream") is True,
        schedule=body.get("schedule"), report_if_empty=bool(body.get("reportIfEmpty")),
        initial_record_time=initial, cursor=cursor,
        signature_token_enc=encrypt_token(token) if token else None)


def subscription_delete(*, acting_user: Any, name: str, subscription_id: str) -> None:
    from tinhso.trace.selectors import subscription_for

    subscription_for(acting_user, name, subscription_id).delete()
