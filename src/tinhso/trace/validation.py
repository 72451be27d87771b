"""Offline validation of EPCIS 2.0 JSON events by the rules of GS1's EPCIS 2.0 JSON schema and
the CBV 2.0 vocabularies (our own validators; no network, no JSON-LD processing).

``validate_event`` returns a list of ``(pointer, message)`` problems (JSON pointers into the
event); an empty list means valid. ``validate_document`` checks an ``EPCISDocument``'s frame
and each event. The rules enforced are listed in docs/trace.md#validation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from tinhso.trace import vocab
from tinhso.trace.identifiers import is_valid_gs1_number, parse_digital_link, to_digital_link

Problem = tuple[str, str]
OFFSET_RE = re.compile(r"^[+-](0\d|1[0-4]):[0-5]\d$")
URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
MEASUREMENT_RE = re.compile(r"^(gs1:)?[A-Z][A-Za-z_]+$")
UOM_RE = re.compile(r"^[A-Z0-9]{2,3}$")
MAX_LIST = 10_000
CHECKED_KEYS = {"00", "01", "414", "417", "402", "8017", "8018"}

QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList",
                  "outputQuantityList")
EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
EVENT_FIELDS = {
    "ObjectEvent": {"epcList", "quantityList", "action", "bizStep", "disposition", "readPoint",
                    "bizLocation", "bizTransactionList", "sourceList", "destinationList",
                    "sensorElementList", "persistentDisposition", "ilmd"},
    "AggregationEvent": {"parentID", "childEPCs", "childQuantityList", "action", "bizStep",
                         "disposition", "readPoint", "bizLocation", "bizTransactionList",
                         "sourceList", "destinationList", "sensorElementList",
                         "persistentDisposition"},
    "TransactionEvent": {"bizTransactionList", "parentID", "epcList", "quantityList", "action",
                         "bizStep", "disposition", "readPoint", "bizLocation", "sourceList",
                         "destinationList", "sensorElementList", "persistentDisposition"},
    "TransformationEvent": {"inputEPCList", "inputQuantityList", "outputEPCList",
                            "outputQuantityList", "transformationID", "bizStep", "disposition",
                            "readPoint", "bizLocation", "bizTransactionList", "sourceList",
                            "destinationList", "sensorElementList", "persistentDisposition",
                            "ilmd"},
    "AssociationEvent": {"parentID", "childEPCs", "childQuantityList", "action", "bizStep",
                         "disposition", "readPoint", "bizLocation", "bizTransactionList",
                         "sourceList", "destinationList", "sensorElementList",
                         "persistentDisposition"},
}
COMMON_FIELDS = {"type", "eventID", "eventTime", "eventTimeZoneOffset", "recordTime",
                 "certificationInfo", "errorDeclaration", "@context"}


def parse_time(value: Any) -> dt.datetime | None:
    """An xsd:dateTimeStamp (time zone required), else None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _identifier(value: Any, pointer: str, problems: list[Problem]) -> None:
    """An EPC: an EPC URI or a GS1 Digital Link with correct check digits."""
    if not isinstance(value, str) or not value:
        problems.append((pointer, "must be a non-empty string (EPC URI or GS1 Digital Link)"))
        return
    canonical = to_digital_link(value)
    if canonical is None:
        problems.append((pointer, f"{value!r} is neither an EPC URI nor a GS1 Digital Link"))
        return
    pairs = parse_digital_link(canonical) or []
    key, number = pairs[0] if pairs else ("", "")
    if key in CHECKED_KEYS and not is_valid_gs1_number(number):
        problems.append((pointer, f"{value!r}: wrong GS1 check digit or length"))


def _uri(value: Any, pointer: str, problems: list[Problem]) -> None:
    if not isinstance(value, str) or not URI_RE.match(value):
        problems.append((pointer, "must be a URI"))


def _vocabulary(value: Any, pointer: str, bare: frozenset[str], problems: list[Problem],
                what: str) -> None:
    if not isinstance(value, str) or not value:
        problems.append((pointer, f"{what} must be a string"))
    elif ":" not in value and value not in bare:
        problems.append((pointer, f"{value!r} is not a CBV 2.0 {what} (nor a URI)"))
    elif ":" in value and not URI_RE.match(value):
        problems.append((pointer, f"{what} must be a CBV name or a URI"))


def _list(event: Mapping[str, Any], name: str, problems: list[Problem]) -> list[Any]:
    value = event.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append((f"/{name}", "must be an array"))
        return []
    if len(value) > MAX_LIST:
        problems.append((f"/{name}", f"more than {MAX_LIST} elements"))
        return []
    return value


def _quantities(event: Mapping[str, Any], name: str, problems: list[Problem]) -> None:
    for i, element in enumerate(_list(event, name, problems)):
        pointer = f"/{name}/{i}"
        if not isinstance(element, Mapping):
            problems.append((pointer, "must be an object"))
            continue
        _identifier(element.get("epcClass"), f"{pointer}/epcClass", problems)
        quantity = element.get("quantity")
        if quantity is not None and (isinstance(quantity, bool)
                                     or not isinstance(quantity, (int, float))
                                     or quantity < 0):
            problems.append((f"{pointer}/quantity", "must be a number >= 0"))
        uom = element.get("uom")
        if uom is not None:
            if quantity is None:
                problems.append((f"{pointer}/uom", "uom needs a quantity"))
            if not isinstance(uom, str) or not UOM_RE.match(uom):
                problems.append((f"{pointer}/uom", "must be a UN/CEFACT Rec 20 code"))


def _location(event: Mapping[str, Any], name: str, problems: list[Problem]) -> None:
    value = event.get(name)
    if value is None:
        return
    if not isinstance(value, Mapping) or "id" not in value:
        problems.append((f"/{name}", "must be an object with an id"))
        return
    _uri(value["id"], f"/{name}/id", problems)


def _typed_list(event: Mapping[str, Any], name: str, inner: str, types: frozenset[str],
                problems: list[Problem]) -> None:
    for i, element in enumerate(_list(event, name, problems)):
        pointer = f"/{name}/{i}"
        if not isinstance(element, Mapping):
            problems.append((pointer, "must be an object"))
            continue
        _uri(element.get(inner), f"{pointer}/{inner}", problems)
        if name != "bizTransactionList" and "type" not in element:
            problems.append((f"{pointer}/type", "is required"))
        if "type" in element:
            _vocabulary(element["type"], f"{pointer}/type", types, problems, "type")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sensors(event: Mapping[str, Any], problems: list[Problem]) -> None:
    for i, element in enumerate(_list(event, "sensorElementList", problems)):
        pointer = f"/sensorElementList/{i}"
        if not isinstance(element, Mapping):
            problems.append((pointer, "must be an object"))
            continue
        reports = element.get("sensorReport")
        if not isinstance(reports, list) or not reports:
            problems.append((f"{pointer}/sensorReport", "must be a non-empty array"))
            continue
        metadata = element.get("sensorMetadata", {})
        if not isinstance(metadata, Mapping):
            problems.append((f"{pointer}/sensorMetadata", "must be an object"))
            metadata = {}
        for field in ("time", "startTime", "endTime"):
            if field in metadata and parse_time(metadata[field]) is None:
                problems.append((f"{pointer}/sensorMetadata/{field}", "must be a date-time "
                                 "with a time zone"))
        for j, report in enumerate(reports):
            rp = f"{pointer}/sensorReport/{j}"
            if not isinstance(report, Mapping):
                problems.append((rp, "must be an object"))
                continue
            kind = report.get("type")
            if kind is not None and not (isinstance(kind, str) and (
                    MEASUREMENT_RE.match(kind) or URI_RE.match(kind))):
                problems.append((f"{rp}/type", "must be a gs1 measurement type or a URI"))
            for field in ("value", "minValue", "maxValue", "meanValue", "sDev", "percRank",
                          "percValue"):
                if field in report and not _number(report[field]):
                    problems.append((f"{rp}/{field}", "must be a number"))
            if "time" in report and parse_time(report["time"]) is None:
                problems.append((f"{rp}/time", "must be a date-time with a time zone"))
            if "uom" in report and not (isinstance(report["uom"], str)
                                        and UOM_RE.match(report["uom"])):
                problems.append((f"{rp}/uom", "must be a UN/CEFACT Rec 20 code"))
            if "booleanValue" in report and not isinstance(report["booleanValue"], bool):
                problems.append((f"{rp}/booleanValue", "must be true or false"))


def validate_event(event: Any) -> list[Problem]:
    problems: list[Problem] = []
    if not isinstance(event, Mapping):
        return [("", "an event must be a JSON object")]
    kind = event.get("type")
    if kind not in vocab.EVENT_TYPES:
        return [("/type", f"must be one of {sorted(vocab.EVENT_TYPES)}")]
    allowed = EVENT_FIELDS[kind] | COMMON_FIELDS
    for key in event:
        if ":" not in key and key not in allowed:
            problems.append((f"/{key}", f"is not a field of {kind} (extensions need a "
                             "namespace prefix)"))
    if parse_time(event.get("eventTime")) is None:
        problems.append(("/eventTime", "is required: a date-time with a time zone"))
    offset = event.get("eventTimeZoneOffset")
    if not isinstance(offset, str) or not OFFSET_RE.match(offset):
        problems.append(("/eventTimeZoneOffset", "is required: ±hh:mm"))
    if "eventID" in event:
        _uri(event["eventID"], "/eventID", problems)
    action = event.get("action")
    if kind == "TransformationEvent":
        if not any(event.get(n) for n in ("inputEPCList", "inputQuantityList",
                                          "outputEPCList", "outputQuantityList")):
            problems.append(("", "a TransformationEvent needs inputs or outputs"))
    elif action not in vocab.ACTIONS:
        problems.append(("/action", "is required: ADD, OBSERVE or DELETE"))
    needs_parent = kind == "AssociationEvent" or (
        kind == "AggregationEvent" and action in ("ADD", "DELETE"))
    if needs_parent and "parentID" not in event:
        problems.append(("/parentID", f"is required for a {kind} {action or ''}".strip()))
    if "parentID" in event:
        _identifier(event["parentID"], "/parentID", problems)
    if kind == "TransactionEvent" and not event.get("bizTransactionList"):
        problems.append(("/bizTransactionList", "a TransactionEvent needs one at least"))
    if kind == "ObjectEvent" and not (event.get("epcList") or event.get("quantityList")):
        problems.append(("/epcList", "an ObjectEvent needs an epcList or a quantityList"))
    for name in EPC_LISTS:
        for i, epc in enumerate(_list(event, name, problems)):
            _identifier(epc, f"/{name}/{i}", problems)
    for name in QUANTITY_LISTS:
        _quantities(event, name, problems)
    if "bizStep" in event:
        _vocabulary(event["bizStep"], "/bizStep", vocab.BIZ_STEPS, problems, "bizStep")
    if "disposition" in event:
        _vocabulary(event["disposition"], "/disposition", vocab.DISPOSITIONS, problems,
                    "disposition")
    pd = event.get("persistentDisposition")
    if pd is not None:
        if not isinstance(pd, Mapping) or not (pd.get("set") or pd.get("unset")):
            problems.append(("/persistentDisposition", "needs set or unset"))
        else:
            for part in ("set", "unset"):
                for i, value in enumerate(pd.get(part) or []):
                    _vocabulary(value, f"/persistentDisposition/{part}/{i}",
                                vocab.DISPOSITIONS, problems, "disposition")
    _location(event, "readPoint", problems)
    _location(event, "bizLocation", problems)
    _typed_list(event, "bizTransactionList", "bizTransaction", vocab.BIZ_TRANSACTION_TYPES,
                problems)
    _typed_list(event, "sourceList", "source", vocab.SOURCE_DEST_TYPES, problems)
    _typed_list(event, "destinationList", "destination", vocab.SOURCE_DEST_TYPES, problems)
    _sensors(event, problems)
    if "ilmd" in event and not isinstance(event["ilmd"], Mapping):
        problems.append(("/ilmd", "must be an object"))
    return problems


def validate_document(document: Any) -> list[Problem]:
    """The EPCISDocument frame (the events are checked one by one by the caller)."""
    if not isinstance(document, Mapping):
        return [("", "the body must be a JSON object")]
    problems: list[Problem] = []
    if document.get("type") != "EPCISDocument":
        problems.append(("/type", "must be EPCISDocument"))
    if document.get("schemaVersion") not in ("2.0", "2.0.0"):
        problems.append(("/schemaVersion", "must be 2.0"))
    if parse_time(document.get("creationDate")) is None:
        problems.append(("/creationDate", "is required: a date-time with a time zone"))
    body = document.get("epcisBody")
    events = body.get("eventList") if isinstance(body, Mapping) else None
    if not isinstance(events, list):
        problems.append(("/epcisBody/eventList", "is required: an array of events"))
    return problems
