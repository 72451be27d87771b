"""Reads of the trace app.

The ledger (leaves, heads, proofs), products, certificates and the lots' journeys are public
(docs/decisions/0012); full events (quantities, partners) are read through
``Event.objects.visible_to`` (decision 0020); a party's account, locations, capture jobs and named
queries are scoped. ``lot_journey`` is the public selector the marketplace and the resolver page
call: it shows no quantities and names no household.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils.datastructures import MultiValueDict

from tinhso.core import merkle
from tinhso.trace import errors, ledger, vocab
from tinhso.trace.identifiers import gln_of, lot_uri, parse_digital_link, to_digital_link
from tinhso.trace.models import (
    CaptureJob,
    Certificate,
    EpcRole,
    Event,
    EventEpc,
    LedgerHead,
    NamedQuery,
    PartyKind,
    Product,
    QuerySubscription,
    TraceLocation,
)
from tinhso.trace.validation import parse_time

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000
LIST_PARAMETERS = ("eventType", "EQ_bizStep", "EQ_disposition", "EQ_readPoint",
                   "EQ_bizLocation", "MATCH_epc", "MATCH_anyEPC", "MATCH_epcClass")
KNOWN_PARAMETERS = frozenset((*LIST_PARAMETERS, "GE_eventTime", "LT_eventTime", "perPage",
                              "nextPageToken"))
_EPC_ROLES = {"MATCH_epc": (EpcRole.EPC, EpcRole.CHILD),
              "MATCH_anyEPC": (EpcRole.EPC, EpcRole.CHILD, EpcRole.INPUT, EpcRole.OUTPUT,
                               EpcRole.PARENT),
              "MATCH_epcClass": (EpcRole.CLASS, EpcRole.CHILD_CLASS)}


# --- Capture jobs ------------------------------------------------------------------------------


def capture_job_for(user: Any, job_id: str) -> CaptureJob:
    job: CaptureJob | None = CaptureJob.objects.visible_to(user).filter(pk=job_id).first()
    if job is None:
        raise errors.not_found("Không tìm thấy lượt ghi nhận.", "No such capture job.")
    return job


def capture_jobs_for(user: Any) -> QuerySet[CaptureJob]:
    return CaptureJob.objects.visible_to(user).order_by("-created_at")


def locations_for(user: Any) -> QuerySet[TraceLocation]:
    return TraceLocation.objects.visible_to(user).select_related("commune")


# --- Events ------------------------------------------------------------------------------------


def event_get(event_id: str, viewer: Any = None) -> Event:
    """One event ``viewer`` may read (decision 0020); 404 otherwise, existing or not."""
    event: Event | None = Event.objects.visible_to(viewer).filter(event_id=event_id).first()
    if event is None:
        raise errors.not_found("Không tìm thấy sự kiện.", "No such event.")
    return event


def ledger_event(event_id: str) -> Event:
    """An event as a public ledger leaf (for its inclusion proof): the caller shows its content
    only when ``event_readable`` says so."""
    event: Event | None = Event.objects.filter(event_id=event_id).first()
    if event is None:
        raise errors.not_found("Không tìm thấy sự kiện.", "No such event.")
    return event


def event_readable(event: Event, viewer: Any) -> bool:
    return Event.objects.visible_to(viewer).filter(pk=event.pk).exists()


def _values(params: Any, name: str) -> list[str]:
    out: list[str] = []
    for raw in params.getlist(name):
        out += [v.strip() for v in raw.split(",") if v.strip()]
    if not out:
        raise errors.query_parameter(f"Tham số {name} rỗng.", f"Parameter {name} is empty.")
    return out


def _time(params: Any, name: str) -> dt.datetime:
    when = parse_time(params.get(name))
    if when is None:
        raise errors.query_parameter(
            f"{name} phải là thời điểm ISO 8601 có múi giờ.",
            f"{name} must be an ISO 8601 date-time with a time zone.")
    return when


def _epc_condition(name: str, values: list[str]) -> Q:
    exact: set[str] = set()
    prefixes: list[str] = []
    for value in values:
        uri = to_digital_link(value) or value
        pairs = parse_digital_link(uri) or []
        if name == "MATCH_epcClass" and len(pairs) == 1 and pairs[0][0] == "01":
            prefixes.append(uri + "/")  # a GTIN without lot: every lot of it
        exact.add(uri)
    cond = Q(epc__in=sorted(exact))
    for prefix in prefixes:
        cond |= Q(epc__startswith=prefix)
    return Q(pk__in=EventEpc.objects.filter(cond, role__in=_EPC_ROLES[name])
             .values("event_id"))


@dataclass(frozen=True)
class Page:
    events: list[Event]
    next_token: str | None
    per_page: int


def _token_encode(event: Event) -> str:
    raw = json.dumps([event.event_time.isoformat(), event.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _token_decode(token: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        when, pk = json.loads(raw)
        parsed = dt.datetime.fromisoformat(when)
        if not isinstance(pk, int) or parsed.tzinfo is None:
            raise ValueError
        return parsed, pk
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise errors.query_parameter("nextPageToken không hợp lệ.",
                                     "Invalid nextPageToken.") from None


def events_filter(qs: QuerySet[Event], params: Any) -> QuerySet[Event]:
    """Apply the SimpleEventQuery parameters the binding lists (not the paging ones); raise
    ``QueryParameterException`` on an unknown or malformed one."""
    unknown = sorted(set(params) - KNOWN_PARAMETERS)
    if unknown:
        raise errors.query_parameter("Tham số truy vấn không được hỗ trợ.",
                                     "Unsupported query parameters.", {"parameters": unknown})
    if "eventType" in params:
        types = _values(params, "eventType")
        if not set(types) <= vocab.EVENT_TYPES:
            raise errors.query_parameter("eventType không hợp lệ.", "Invalid eventType.")
        qs = qs.filter(event_type__in=types)
    if "GE_eventTime" in params:
        qs = qs.filter(event_time__gte=_time(params, "GE_eventTime"))
    if "LT_eventTime" in params:
        qs = qs.filter(event_time__lt=_time(params, "LT_eventTime"))
    if "EQ_bizStep" in params:
        qs = qs.filter(biz_step__in=[vocab.biz_step_uri(v) for v in
                                     _values(params, "EQ_bizStep")])
    if "EQ_disposition" in params:
        qs = qs.filter(disposition__in=[vocab.disposition_uri(v) for v in
                                        _values(params, "EQ_disposition")])
    if "EQ_readPoint" in params:
        qs = qs.filter(read_point__in=[to_digital_link(v) or v for v in
                                       _values(params, "EQ_readPoint")])
    if "EQ_bizLocation" in params:
        qs = qs.filter(biz_location__in=[to_digital_link(v) or v for v in
                                         _values(params, "EQ_bizLocation")])
    for name in ("MATCH_epc", "MATCH_anyEPC", "MATCH_epcClass"):
        if name in params:
            qs = qs.filter(_epc_condition(name, _values(params, name)))
    return qs


def events_query(params: Any, viewer: Any = None) -> Page:
    """``GET /epcis/events``: the events ``viewer`` may read (decision 0020) matching the
    query, keyset-paged by (eventTime, id)."""
    qs = events_filter(Event.objects.visible_to(viewer), params)
    per_page = DEFAULT_PER_PAGE
    if "perPage" in params:
        try:
            per_page = int(params["perPage"])
        except ValueError:
            per_page = 0
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise errors.query_parameter(f"perPage phải từ 1 đến {MAX_PER_PAGE}.",
                                         f"perPage must be 1 to {MAX_PER_PAGE}.")
    if "nextPageToken" in params:
        when, pk = _token_decode(params["nextPageToken"])
        qs = qs.filter(Q(event_time__gt=when) | Q(event_time=when, pk__gt=pk))
    rows = list(qs.order_by("event_time", "pk")[:per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    return Page(rows, _token_encode(rows[-1]) if more and rows else None, per_page)


# --- Named queries and subscriptions -----------------------------------------------------------

PAGING_PARAMETERS = frozenset(("perPage", "nextPageToken"))


def query_params(query: dict[str, Any]) -> MultiValueDict[str, str]:
    """A stored query body (query-schema.json: lists of strings, or one string for the time
    bounds) as the request parameters ``events_filter`` reads."""
    params: MultiValueDict[str, str] = MultiValueDict()
    for name, value in query.items():
        values = value if isinstance(value, list) else [value]
        params.setlist(name, [str(v) for v in values])
    return params


def named_queries_for(user: Any) -> QuerySet[NamedQuery]:
    return NamedQuery.objects.visible_to(user).order_by("name")


def named_query_for(user: Any, name: str) -> NamedQuery:
    query: NamedQuery | None = NamedQuery.objects.visible_to(user).filter(name=name).first()
    if query is None:
        raise errors.no_such_name(name)
    return query


def subscriptions_for(user: Any, name: str) -> QuerySet[QuerySubscription]:
    return named_query_for(user, name).subscriptions.order_by("created_at")


def subscription_for(user: Any, name: str, subscription_id: str) -> QuerySubscription:
    try:
        found = subscriptions_for(user, name).filter(pk=subscription_id).first()
    except (ValueError, DjangoValidationError):
        found = None
    if found is None:
        raise errors.not_found("Không tìm thấy đăng ký.", "No such subscription.")
    return found


def subscription_events(subscription: QuerySubscription, limit: int) -> list[Event]:
    """The next events for a subscription: after its cursor (ledger order), recorded since
    its initial record time, matching its query, readable by the query's owner."""
    owner = subscription.query.owner
    qs = events_filter(Event.objects.visible_to(owner), query_params(subscription.query.query))
    qs = qs.filter(leaf_index__gt=subscription.cursor,
                   record_time__gte=subscription.initial_record_time)
    return list(qs.order_by("leaf_index")[:limit])


# --- Ledger ------------------------------------------------------------------------------------


def latest_head() -> LedgerHead | None:
    return LedgerHead.objects.order_by("-tree_size", "-timestamp_ms").first()


def head_of_size(size: int) -> LedgerHead | None:
    return LedgerHead.objects.filter(tree_size=size).order_by("-timestamp_ms").first()


def recent_heads(limit: int = 20) -> list[LedgerHead]:
    return list(LedgerHead.objects.order_by("-tree_size", "-timestamp_ms")[:limit])


def inclusion(event: Event, size: int | None = None) -> dict[str, Any] | None:
    """The event's inclusion proof against the signed head of ``size`` (default: the latest
    signed head that contains it); None while no signed head covers it."""
    head = latest_head() if size is None else head_of_size(size)
    if head is None or head.tree_size <= event.leaf_index:
        return None
    path = ledger.inclusion_path(event.leaf_index, head.tree_size)
    data = ledger.leaf_data_of(event)
    ok = merkle.verify_inclusion(merkle.leaf_hash(data), event.leaf_index, head.tree_size,
                                 path, bytes(head.root_hash))
    return {"leaf_index": event.leaf_index, "tree_size": head.tree_size,
            "leaf_data": data.decode("utf-8"),
            "leaf_hash": base64.b64encode(bytes(event.leaf_hash)).decode(),
            "inclusion_path": [base64.b64encode(h).decode() for h in path],
            "root_hash": base64.b64encode(bytes(head.root_hash)).decode(),
            "timestamp": head.timestamp_ms, "verified": ok}


# --- The lot's journey (public) ----------------------------------------------------------------

_JOURNEY_LIMIT = 200


def _events_naming(uris: Iterable[str], roles: Iterable[int] | None = None) -> QuerySet[Event]:
    cond = Q(epc__in=sorted(set(uris)))
    if roles is not None:
        cond &= Q(role__in=list(roles))
    return Event.objects.filter(pk__in=EventEpc.objects.filter(cond).values("event_id"))


def _containers(uri: str) -> set[str]:
    """SSCCs (bags, pallets) the lot was packed into (AggregationEvent ADD)."""
    packed = _events_naming([uri], [EpcRole.CHILD_CLASS, EpcRole.CHILD]).filter(
        event_type="AggregationEvent", action="ADD")
    return set(EventEpc.objects.filter(event__in=packed, role=EpcRole.PARENT)
               .values_list("epc", flat=True))


def _inputs(uri: str) -> list[str]:
    """Lots a transformation turned into this lot (raw nuts → kernels, latex → sheets)."""
    made = _events_naming([uri], [EpcRole.OUTPUT, EpcRole.OUTPUT_CLASS]).filter(
        event_type="TransformationEvent")
    return sorted(set(EventEpc.objects.filter(
        event__in=made, role__in=[EpcRole.INPUT, EpcRole.INPUT_CLASS])
        .values_list("epc", flat=True)))


def _place(event: Event, places: dict[str, TraceLocation]) -> dict[str, Any]:
    gln = gln_of(event.biz_location or event.read_point or "") or ""
    location = places.get(gln)
    if location is None:
        return {"gln": gln, "commune": "", "kind": ""}
    return {"gln": gln, "commune": location.commune.name if location.commune else "",
            "kind": location.get_kind_display()}


def _sensor_summary(event: Event) -> list[dict[str, Any]]:
    out = []
    for element in event.document.get("sensorElementList") or []:
        meta = element.get("sensorMetadata") or {}
        for report in element.get("sensorReport") or []:
            out.append({"type": str(report.get("type", "")).removeprefix("gs1:"),
                        "mean": report.get("meanValue", report.get("value")),
                        "min": report.get("minValue"), "max": report.get("maxValue"),
                        "uom": report.get("uom", ""), "start": meta.get("startTime", ""),
                        "end": meta.get("endTime", "")})
    return out


def _steps(events: list[Event]) -> list[dict[str, Any]]:
    glns = {gln_of(e.biz_location or e.read_point or "") for e in events} - {None}
    places = {loc.gln: loc for loc in TraceLocation.objects.filter(gln__in=glns)
              .select_related("commune", "party")}
    steps = []
    for event in events:
        step = vocab.short_term(event.biz_step)
        place = _place(event, places)
        location = places.get(place["gln"])
        party = location.party if location else None
        steps.append({
            "event_id": event.event_id, "event_type": event.event_type,
            "action": event.action, "biz_step": step,
            "biz_step_vi": vocab.BIZ_STEP_VI.get(step, step),
            "disposition": vocab.short_term(event.disposition),
            "event_time": event.event_time.isoformat(),
            "place": place,
            # Households' names are personal: only businesses and co-operatives are named.
            "party": (party.name if party and party.kind != PartyKind.FARM else ""),
            "party_kind": party.get_kind_display() if party else "",
            "leaf_index": event.leaf_index,
            "sensors": _sensor_summary(event),
        })
    return steps


def _lot_events(uri: str) -> list[Event]:
    uris = {uri} | _containers(uri)
    return list(_events_naming(uris).order_by("event_time", "pk")[:_JOURNEY_LIMIT])


def _lot_parts(uri: str) -> tuple[str, str]:
    pairs = dict(parse_digital_link(uri) or [])
    return pairs.get("01", ""), pairs.get("10", "")


def lot_journey(*, gtin: str, lot: str) -> dict[str, Any]:
    """A lot's public journey: product, origin (commune, harvest date), steps with their ledger
    leaves, certificates, and the lots it was made from (one level of inputs, each with its
    own steps). No personal data. ``found`` is False when no event names the lot."""
    gtin = gtin.zfill(14)
    uri = lot_uri(gtin, lot)
    events = _lot_events(uri)
    inputs = []
    party_ids = {e.party_id for e in events}
    for input_uri in _inputs(uri)[:20]:
        in_gtin, in_lot = _lot_parts(input_uri)
        in_events = _lot_events(input_uri)
        party_ids |= {e.party_id for e in in_events}
        inputs.append({"uri": input_uri, "gtin": in_gtin, "lot": in_lot,
                       "product": _product(in_gtin), "steps": _steps(in_events),
                       "origin": _origin(in_events)})
    steps = _steps(events)
    origin = _origin(events) or next((i["origin"] for i in inputs if i["origin"]), None)
    gtins = {gtin} | {i["gtin"] for i in inputs}
    certificates = [
        {"kind": c.get_kind_display(), "decision_number": c.decision_number,
         "issuer": c.issuer, "issued_on": c.issued_on.isoformat(),
         "valid_until": c.valid_until.isoformat() if c.valid_until else None,
         "stars": c.stars}
        for c in Certificate.objects.filter(Q(gtin__in=gtins) | Q(gtin="",
                                                                   party_id__in=party_ids))
        .order_by("kind", "issued_on")]
    return {"uri": uri, "gtin": gtin, "lot": lot, "found": bool(events),
            "product": _product(gtin), "origin": origin, "steps": steps,
            "inputs": inputs, "certificates": certificates,
            "ledger_size": ledger.tree_size()}


def _product(gtin: str) -> dict[str, Any] | None:
    product = Product.objects.filter(gtin=gtin).first()
    if product is None:
        return None
    return {"name": product.name, "crop": product.crop, "crop_vi": product.get_crop_display()}


def _origin(events: list[Event]) -> dict[str, Any] | None:
    """Where and when the lot was harvested: its commissioning event's commune and date."""
    for event in events:
        if vocab.short_term(event.biz_step) == "commissioning" and event.action == "ADD":
            step = _steps([event])[0]
            return {"commune": step["place"]["commune"],
                    "harvest_date": event.event_time.date().isoformat()}
    return None
