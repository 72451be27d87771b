"""The CBV 2.0 EPCIS event hash (``ni:///sha-256;<hex>?ver=CBV2.0``), from the JSON(-LD) form.

Our own implementation of the algorithm the CBV 2.0 standard publishes (section "EPCIS Event
Hash ID"): a *pre-hash string* of ``key=value`` pairs, without separators,

1. ``eventType=…``, then the standard fields in the canonical property order (``ORDER``);
2. list elements and sub-elements sorted by their own strings (code-point order); a list's name
   appears once;
3. bizTransactionList, sourceList, destinationList, ilmd, certificationInfo-free extensions and
   user extensions (``{namespace}local``) after them, each as a string, sorted together;
4. values normalised: times to UTC with milliseconds and ``Z`` (the 4th decimal rounds), numbers
   without trailing zeros, CBV URNs/bare words/CURIEs to Web URIs, EPC URIs and any Digital Link
   to the constrained canonical Digital Link (``identifiers.to_digital_link``);
5. ``eventID``, ``recordTime``, ``errorDeclaration`` and comments do not take part.

``tests/trace/test_eventhash.py`` checks it against GS1's reference vectors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tinhso.trace.identifiers import to_digital_link

# Prefixes the standard EPCIS 2.0 JSON-LD context defines (the ones events use).
STANDARD_PREFIXES = {
    "gs1": "https://gs1.org/voc/",
    "cbv": "https://ref.gs1.org/cbv/",
    "epcis": "https://ref.gs1.org/epcis/",
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}
CBV_URNS = (("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
            ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
            ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
            ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
            ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"))
# Bare words (JSON's compact vocabulary) and the Web URI they stand for, by field.
BARE_VOCAB = {"bizStep": "https://ref.gs1.org/cbv/BizStep-",
              "disposition": "https://ref.gs1.org/cbv/Disp-",
              "set": "https://ref.gs1.org/cbv/Disp-",
              "unset": "https://ref.gs1.org/cbv/Disp-",
              "bizTransactionList.type": "https://ref.gs1.org/cbv/BTT-",
              "sourceList.type": "https://ref.gs1.org/cbv/SDT-",
              "destinationList.type": "https://ref.gs1.org/cbv/SDT-",
              "sensorReport.type": "https://gs1.org/voc/",
              "exception": "https://gs1.org/voc/",
              "component": "https://gs1.org/voc/"}
IGNORED = {"eventID", "recordTime", "type", "errorDeclaration", "@context", "rdfs:comment",
           "comment", "#text"}
QUANTITY = [("epcClass", None), ("quantity", None), ("uom", None)]
METADATA = [("time", None), ("startTime", None), ("endTime", None), ("deviceID", None),
            ("deviceMetadata", None), ("rawData", None), ("dataProcessingMethod", None),
            ("bizRules", None)]
REPORT = [("type", None), ("exception", None), ("deviceID", None), ("deviceMetadata", None),
          ("rawData", None), ("dataProcessingMethod", None), ("time", None),
          ("microorganism", None), ("chemicalSubstance", None), ("value", None),
          ("component", None), ("stringValue", None), ("booleanValue", None),
          ("hexBinaryValue", None), ("uriValue", None), ("minValue", None), ("maxValue", None),
          ("meanValue", None), ("sDev", None), ("percRank", None), ("percValue", None),
          ("uom", None), ("coordinateReferenceSystem", None)]
SENSOR_ELEMENT = [("sensorMetadata", METADATA), ("sensorReport", REPORT)]
# (field, how its content is ordered): None = a value; "epc" = list of values named epc;
# ("item", order) = list of objects named item; a list = an object with ordered fields.
ORDER: list[tuple[str, Any]] = [
    ("eventTime", None), ("eventTimeZoneOffset", None), ("certificationInfo", None),
    ("parentID", None), ("epcList", "epc"), ("inputEPCList", "epc"), ("childEPCs", "epc"),
    ("quantityList", ("quantityElement", QUANTITY)),
    ("childQuantityList", ("quantityElement", QUANTITY)),
    ("inputQuantityList", ("quantityElement", QUANTITY)),
    ("outputEPCList", "epc"), ("outputQuantityList", ("quantityElement", QUANTITY)),
    ("action", None), ("transformationID", None), ("bizStep", None), ("disposition", None),
    ("persistentDisposition", [("set", None), ("unset", None)]),
    ("readPoint", [("id", None)]), ("bizLocation", [("id", None)]),
    ("sensorElementList", ("sensorElement", SENSOR_ELEMENT)),
]
TYPED_LISTS = {"bizTransactionList": "bizTransaction", "sourceList": "source",
               "destinationList": "destination"}


class Context:
    """Namespace prefixes in force: the standard ones plus those of the document's context."""

    def __init__(self, context: Any = None) -> None:
        self.prefixes = dict(STANDARD_PREFIXES)
        for item in context if isinstance(context, list) else [context]:
            if isinstance(item, Mapping):
                for key, value in item.items():
                    if isinstance(value, str):
                        self.prefixes[key] = value

    def key(self, name: str) -> str:
        prefix, sep, local = name.partition(":")
        if sep and prefix in self.prefixes:
            return "{" + self.prefixes[prefix] + "}" + local
        return name

    def value(self, text: str) -> str:
        prefix, sep, local = text.partition(":")
        if sep and prefix in self.prefixes and not local.startswith("//"):
            return self.prefixes[prefix] + local
        return text


def canonical_time(text: str) -> str:
    """UTC, millisecond precision (the 4th decimal rounds half up), ``Z``."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    when = when.astimezone(dt.UTC)
    # fromisoformat keeps microseconds only; round them to milliseconds.
    millis = int(Decimal(when.microsecond).scaleb(-3).quantize(Decimal(1), ROUND_HALF_UP))
    when = when.replace(microsecond=0) + dt.timedelta(milliseconds=millis)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def canonical_number(value: Any) -> str:
    number = float(value)
    if not math.isfinite(number):
        return str(value)
    if number == int(number):
        return str(int(number))
    return repr(number)


def canonical_value(value: Any, ctx: Context, field: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return canonical_number(value)
    text = str(value).strip()
    if not text:
        return ""
    low = field.lower()
    if "time" in low and "offset" not in low:
        return canonical_time(text)
    base = field.rsplit(".", 1)[-1]
    if ":" not in text and (field in BARE_VOCAB or base in BARE_VOCAB):
        return BARE_VOCAB.get(field, BARE_VOCAB.get(base, "")) + text
    for urn, web in CBV_URNS:
        if text.startswith(urn):
            return web + text[len(urn):]
    try:
        return canonical_number(float(text)) if _numeric(text) else _uri(text, ctx)
    except ValueError:
        return _uri(text, ctx)


def _numeric(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _uri(text: str, ctx: Context) -> str:
    text = ctx.value(text)
    return to_digital_link(text) or text


def _pair(name: str, value: Any, ctx: Context, field: str) -> str:
    text = canonical_value(value, ctx, field)
    return f"{name}={text}" if text else ""


def _ordered(obj: Mapping[str, Any], order: list[tuple[str, Any]], ctx: Context,
             path: str, extensions: bool) -> str:
    """Fields of ``obj`` in ``order``; with ``extensions``, the rest (sorted) after them."""
    out = []
    for name, sub in order:
        if name not in obj:
            continue
        out.append(_field(name, obj[name], sub, ctx, path))
    if extensions:
        known = {name for name, _ in order}
        rest = [_generic(ctx.key(k), v, ctx, k) for k, v in obj.items()
                if k not in known and k not in IGNORED]
        out.extend(sorted(r for r in rest if r))
    return "".join(out)


def _field(name: str, value: Any, sub: Any, ctx: Context, path: str) -> str:
    if sub is None:
        if isinstance(value, list):
            return "".join(sorted(_pair(name, v, ctx, name) for v in value))
        return _pair(name, value, ctx, f"{path}.{name}" if path else name)
    if sub == "epc":
        items = sorted(s for s in (_pair("epc", v, ctx, "epc") for v in value or []) if s)
        return name + "".join(items) if items else ""
    if isinstance(sub, tuple):
        item_name, order = sub
        items = []
        for element in value or []:
            text = _element(element, order, ctx, item_name)
            if text:
                items.append(item_name + text)
        return name + "".join(sorted(items)) if items else ""
    # An object with ordered fields (readPoint, persistentDisposition, sensorMetadata).
    values = value if isinstance(value, list) else [value]
    texts = [_element(v, sub, ctx, name) for v in values if isinstance(v, Mapping)]
    texts = sorted(t for t in texts if t)
    return name + "".join(texts) if texts else ""


def _element(element: Any, order: list[tuple[str, Any]], ctx: Context, path: str) -> str:
    if not isinstance(element, Mapping):
        return ""
    out = []
    for name, sub in order:
        if name not in element:
            continue
        value = element[name]
        if sub is None:
            values = value if isinstance(value, list) else [value]
            out.append("".join(sorted(_pair(name, v, ctx, f"{path}.{name}") for v in values)))
        else:  # sensorMetadata / sensorReport inside a sensorElement
            values = value if isinstance(value, list) else [value]
            texts = sorted(t for t in (_element(v, sub, ctx, name) for v in values) if t)
            out.append("".join(name + t for t in texts))
    known = {name for name, _ in order}
    rest = [_generic(ctx.key(k), v, ctx, k) for k, v in element.items()
            if k not in known and k not in IGNORED]
    out.extend(sorted(r for r in rest if r))
    return "".join(out)


def _generic(key: str, value: Any, ctx: Context, field: str) -> str:
    """Anything outside the canonical order: ``key=value`` or ``key`` + sorted children."""
    if field in TYPED_LISTS:
        inner = TYPED_LISTS[field]
        items = []
        for element in value or []:
            if not isinstance(element, Mapping):
                continue
            text = ""
            if "type" in element:
                text += _pair("type", element["type"], ctx, f"{field}.type")
            text += _pair(inner, element.get(inner, ""), ctx, inner)
            items.append(text)
        return field + "".join(sorted(items)) if items else ""
    if isinstance(value, Mapping):
        children = sorted(c for c in (_generic(ctx.key(k), v, ctx, k)
                                      for k, v in value.items() if k not in IGNORED) if c)
        return key + "".join(children)
    if isinstance(value, list):
        return "".join(sorted(_generic(key, v, ctx, field) for v in value))
    return _pair(key, value, ctx, field) or key


def prehash(event: Mapping[str, Any], context: Any = None) -> str:
    ctx = Context(context if context is not None else event.get("@context"))
    if context is not None and event.get("@context") is not None:
        ctx = Context([*(context if isinstance(context, list) else [context]),
                       *(event["@context"] if isinstance(event["@context"], list)
                         else [event["@context"]])])
    return f"eventType={event.get('type', '')}" + _ordered(event, ORDER, ctx, "", True)


def event_hash(event: Mapping[str, Any], context: Any = None) -> str:
    digest = hashlib.sha256(prehash(event, context).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"
