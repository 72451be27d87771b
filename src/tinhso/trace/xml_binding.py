"""The XML binding of EPCIS 2.0 (``urn:epcglobal:epcis:xsd:2``), to and from the JSON-LD form
the rest of the app stores.

* ``document_from_xml``: an ``EPCISDocument`` (read with defusedxml: no entities, no external
  references) → the JSON-LD ``EPCISDocument`` the capture path validates. Standard fields are
  unqualified elements (the XSD's ``elementFormDefault``); user extensions are namespaced
  elements, which become ``prefix:name`` members with the prefix declared in ``@context``.
  EPCIS 1.x wrappers (``baseExtension``, ``extension``) are flattened.
* ``query_document_xml``: events (stored JSON) → an ``EPCISQueryDocument``
  (``urn:epcglobal:epcis-query:xsd:2``), children in the XSD's order, bare CBV terms written as
  their ``urn:epcglobal:cbv:…`` URIs (the XML types are ``anyURI``).

A JSON event written as XML and read back has the same CBV 2.0 event hash (tested).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree as SafeET

from tinhso.trace import errors

EPCIS_NS = "urn:epcglobal:epcis:xsd:2"
QUERY_NS = "urn:epcglobal:epcis-query:xsd:2"
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
               "AssociationEvent")

_BASE = ("eventTime", "recordTime", "eventTimeZoneOffset", "eventID", "errorDeclaration",
         "certificationInfo")
_TAIL = ("bizStep", "disposition", "readPoint", "bizLocation", "bizTransactionList")
# Children of each event type in the XSD's order (after the base fields).
ORDER: dict[str, tuple[str, ...]] = {
    "ObjectEvent": ("epcList", "action", *_TAIL, "quantityList", "sourceList",
                    "destinationList", "sensorElementList", "persistentDisposition", "ilmd"),
    "AggregationEvent": ("parentID", "childEPCs", "action", *_TAIL, "childQuantityList",
                         "sourceList", "destinationList", "sensorElementList",
                         "persistentDisposition"),
    "TransactionEvent": ("bizTransactionList", "parentID", "epcList", "action", "bizStep",
                         "disposition", "readPoint", "bizLocation", "quantityList",
                         "sourceList", "destinationList", "sensorElementList",
                         "persistentDisposition"),
    "TransformationEvent": ("inputEPCList", "inputQuantityList", "outputEPCList",
                            "outputQuantityList", "transformationID", *_TAIL, "sourceList",
                            "destinationList", "sensorElementList", "persistentDisposition",
                            "ilmd"),
    "AssociationEvent": ("parentID", "childEPCs", "childQuantityList", "action", *_TAIL,
                         "sourceList", "destinationList", "sensorElementList",
                         "persistentDisposition"),
}
_EPC_LISTS = {"epcList", "childEPCs", "inputEPCList", "outputEPCList"}
_QUANTITY_LISTS = {"quantityList", "childQuantityList", "inputQuantityList",
                   "outputQuantityList"}
_TEXT = {"eventTime", "recordTime", "eventTimeZoneOffset", "eventID", "certificationInfo",
         "action", "bizStep", "disposition", "parentID", "transformationID"}
_NUMERIC_REPORT = {"value", "minValue", "maxValue", "meanValue", "sDev", "percRank",
                   "percValue"}
# Prefixes the EPCIS 2.0 JSON-LD context defines (the XML examples declare the same).
KNOWN_NAMESPACES = {"gs1": "https://gs1.org/voc/", "cbv": "https://ref.gs1.org/cbv/",
                    "cbvmda": "urn:epcglobal:cbv:mda", "epcis": "https://ref.gs1.org/epcis/"}
# Bare CBV terms → the URN the XML binding writes.
_URN = {"bizStep": "urn:epcglobal:cbv:bizstep:", "disposition": "urn:epcglobal:cbv:disp:",
        "bizTransaction": "urn:epcglobal:cbv:btt:", "sourceDest": "urn:epcglobal:cbv:sdt:",
        "reason": "urn:epcglobal:cbv:er:"}


def _bad(message: str) -> errors.EpcisError:
    return errors.invalid([("", message)])


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _number(text: str) -> int | float:
    try:
        value = float(text)
    except ValueError:
        raise _bad(f"{text!r} is not a number") from None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() \
        else value


# --- XML → JSON --------------------------------------------------------------------------------


class _Reader:
    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes  # namespace URI -> prefix
        self.used: dict[str, str] = {}

    def key(self, ns: str, local: str) -> str:
        prefix = self.prefixes.get(ns)
        if prefix is None:
            prefix = f"ext{len(self.prefixes) + 1}"
            self.prefixes[ns] = prefix
        self.used[prefix] = ns
        return f"{prefix}:{local}"

    def extension(self, el: Element) -> Any:
        children = list(el)
        if not children:
            return (el.text or "").strip()
        out: dict[str, Any] = {}
        for child in children:
            ns, local = _split(child.tag)
            key = self.key(ns, local) if ns else local
            value = self.extension(child)
            if key in out:  # repeated elements: a list
                out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
            else:
                out[key] = value
        return out

    def event(self, el: Element) -> dict[str, Any]:
        _, kind = _split(el.tag)
        event: dict[str, Any] = {"type": kind}
        self._fields(el, event)
        return event

    def _fields(self, el: Element, event: dict[str, Any]) -> None:
        for child in el:
            ns, name = _split(child.tag)
            if ns:
                event[self.key(ns, name)] = self.extension(child)
            elif name in ("baseExtension", "extension"):
                self._fields(child, event)  # EPCIS 1.x wrappers
            elif name in _TEXT:
                event[name] = (child.text or "").strip()
            elif name in _EPC_LISTS:
                event[name] = [(e.text or "").strip() for e in child if _split(e.tag)[1] == "epc"]
            elif name in _QUANTITY_LISTS:
                event[name] = [self._quantity(q) for q in child]
            elif name in ("readPoint", "bizLocation"):
                event[name] = self._place(child)
            elif name == "bizTransactionList":
                event[name] = [self._typed(t, "bizTransaction") for t in child]
            elif name == "sourceList":
                event[name] = [self._typed(t, "source") for t in child]
            elif name == "destinationList":
                event[name] = [self._typed(t, "destination") for t in child]
            elif name == "sensorElementList":
                event[name] = [self._sensor(s) for s in child
                               if _split(s.tag)[1] == "sensorElement"]
            elif name == "persistentDisposition":
                pd: dict[str, list[str]] = {}
                for item in child:
                    pd.setdefault(_split(item.tag)[1], []).append((item.text or "").strip())
                event[name] = pd
            elif name == "ilmd":
                event[name] = self.extension(child) or {}
            elif name == "errorDeclaration":
                event[name] = self._error_declaration(child)
            else:
                raise _bad(f"unknown element <{name}> in {event['type']}")

    def _quantity(self, el: Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in el:
            _, name = _split(child.tag)
            text = (child.text or "").strip()
            out[name] = _number(text) if name == "quantity" else text
        return out

    def _place(self, el: Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in el:
            ns, name = _split(child.tag)
            if ns:
                out[self.key(ns, name)] = self.extension(child)
            elif name == "id":
                out["id"] = (child.text or "").strip()
            elif name == "extension":
                out.update(self._place(child))
        return out

    @staticmethod
    def _typed(el: Element, member: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if el.get("type"):
            out["type"] = el.get("type")
        out[member] = (el.text or "").strip()
        return out

    def _sensor(self, el: Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in el:
            ns, name = _split(child.tag)
            if ns:
                out[self.key(ns, name)] = self.extension(child)
            elif name == "sensorMetadata":
                out["sensorMetadata"] = self._attributes(child)
            elif name == "sensorReport":
                out.setdefault("sensorReport", []).append(self._attributes(child))
        return out

    def _attributes(self, el: Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in el.attrib.items():
            ns, local = _split(name)
            key = self.key(ns, local) if ns else local
            if local in _NUMERIC_REPORT and not ns:
                out[key] = _number(value)
            elif local == "booleanValue" and not ns:
                out[key] = value.strip().lower() in ("true", "1")
            else:
                out[key] = value
        return out

    def _error_declaration(self, el: Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in el:
            ns, name = _split(child.tag)
            if ns:
                out[self.key(ns, name)] = self.extension(child)
            elif name == "correctiveEventIDs":
                out[name] = [(c.text or "").strip() for c in child]
            elif name != "extension":
                out[name] = (child.text or "").strip()
        return out


def document_from_xml(data: bytes) -> dict[str, Any]:
    """An XML ``EPCISDocument`` as the JSON-LD document capture takes; 400 when it is not."""
    prefixes: dict[str, str] = {}
    try:
        root = None
        for kind, item in SafeET.iterparse(io.BytesIO(data), events=("start-ns", "start")):
            if kind == "start-ns":
                prefix, uri = item
                if prefix and uri not in (EPCIS_NS, QUERY_NS):
                    prefixes.setdefault(uri, prefix)
            elif root is None:
                root = item
        if root is None:
            raise _bad("empty XML document")
        # iterparse keeps building the tree: ``root`` is complete once parsing ended.
    except SafeET.ParseError as exc:
        raise _bad(f"not well-formed XML: {exc}") from None
    except Exception as exc:  # defusedxml's DTD/entity refusals
        if isinstance(exc, errors.EpcisError):
            raise
        raise _bad(f"refused XML: {type(exc).__name__}") from None
    if root.tag != f"{{{EPCIS_NS}}}EPCISDocument":
        raise _bad("the root element is not epcis:EPCISDocument (urn:epcglobal:epcis:xsd:2)")
    reader = _Reader(prefixes)
    events: list[dict[str, Any]] = []
    body = next((c for c in root if _split(c.tag)[1] == "EPCISBody"), None)
    event_list = next((c for c in body if _split(c.tag)[1] == "EventList"), None) \
        if body is not None else None
    if event_list is None:
        raise _bad("EPCISBody/EventList is missing")
    for el in event_list:
        ns, name = _split(el.tag)
        if ns or name not in EVENT_TYPES:
            if name == "extension" and not ns:  # 1.x: TransformationEvent, AssociationEvent
                events += [reader.event(e) for e in el if _split(e.tag)[1] in EVENT_TYPES]
                continue
            raise _bad(f"<{name}> is not an EPCIS 2.0 event")
        events.append(reader.event(el))
    context: list[Any] = [EPCIS_CONTEXT]
    declared = {p: u for p, u in reader.used.items() if KNOWN_NAMESPACES.get(p) != u}
    if declared:
        context.append(dict(sorted(declared.items())))
    document: dict[str, Any] = {"@context": context, "type": "EPCISDocument",
                                "schemaVersion": root.get("schemaVersion", "2.0"),
                                "creationDate": root.get("creationDate", ""),
                                "epcisBody": {"eventList": events}}
    return document


# --- JSON → XML --------------------------------------------------------------------------------


def _urn(kind: str, value: str) -> str:
    return value if ":" in value else _URN[kind] + value


class _Writer:
    def __init__(self, namespaces: Mapping[str, str]) -> None:
        self.namespaces = {**KNOWN_NAMESPACES, **namespaces}  # prefix -> URI

    def tag(self, key: str) -> str:
        prefix, _, local = key.partition(":")
        uri = self.namespaces.get(prefix)
        if uri is None:
            uri = f"urn:tinhso:unknown-prefix:{prefix}"
            self.namespaces[prefix] = uri
        return f"{{{uri}}}{local}"

    def extension(self, parent: Element, key: str, value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        for item in values:
            el = SubElement(parent, self.tag(key))
            if isinstance(item, Mapping):
                for k, v in item.items():
                    self.extension(el, k, v)
            else:
                el.text = _text(item)

    def event(self, parent: Element, event: Mapping[str, Any]) -> None:
        kind = str(event.get("type"))
        el = SubElement(parent, kind)
        for name in (*_BASE, *ORDER.get(kind, ())):
            if name in event:
                self._field(el, name, event[name])
        for key, value in event.items():
            if ":" in key and not key.startswith("@"):
                self.extension(el, key, value)

    def _field(self, el: Element, name: str, value: Any) -> None:
        if name in _TEXT:
            text = _text(value)
            if name in ("bizStep", "disposition"):
                text = _urn(name, text)
            SubElement(el, name).text = text
        elif name in _EPC_LISTS:
            holder = SubElement(el, name)
            for epc in value:
                SubElement(holder, "epc").text = epc
        elif name in _QUANTITY_LISTS:
            holder = SubElement(el, name)
            for q in value:
                item = SubElement(holder, "quantityElement")
                for member in ("epcClass", "quantity", "uom"):
                    if member in q:
                        SubElement(item, member).text = _text(q[member])
        elif name in ("readPoint", "bizLocation"):
            place = SubElement(el, name)
            SubElement(place, "id").text = value.get("id", "")
            for key, v in value.items():
                if ":" in key:
                    self.extension(place, key, v)
        elif name in ("bizTransactionList", "sourceList", "destinationList"):
            member = {"bizTransactionList": "bizTransaction", "sourceList": "source",
                      "destinationList": "destination"}[name]
            holder = SubElement(el, name)
            for item in value:
                child = SubElement(holder, member)
                if "type" in item:
                    child.set("type", _urn("bizTransaction" if member == "bizTransaction"
                                           else "sourceDest", item["type"]))
                child.text = item.get(member, "")
        elif name == "sensorElementList":
            self._sensors(SubElement(el, name), value)
        elif name == "persistentDisposition":
            holder = SubElement(el, name)
            for part in ("unset", "set"):
                for disposition in value.get(part, []):
                    SubElement(holder, part).text = _urn("disposition", disposition)
        elif name == "ilmd":
            holder = SubElement(el, name)
            for key, v in value.items():
                self.extension(holder, key, v)
        elif name == "errorDeclaration":
            holder = SubElement(el, name)
            SubElement(holder, "declarationTime").text = value.get("declarationTime", "")
            if "reason" in value:
                SubElement(holder, "reason").text = _urn("reason", value["reason"])
            if value.get("correctiveEventIDs"):
                ids = SubElement(holder, "correctiveEventIDs")
                for event_id in value["correctiveEventIDs"]:
                    SubElement(ids, "correctiveEventID").text = event_id
            for key, v in value.items():
                if ":" in key:
                    self.extension(holder, key, v)

    def _sensors(self, holder: Element, elements: Iterable[Mapping[str, Any]]) -> None:
        for element in elements:
            item = SubElement(holder, "sensorElement")
            if "sensorMetadata" in element:
                SubElement(item, "sensorMetadata", self._attrs(element["sensorMetadata"]))
            for report in element.get("sensorReport", []):
                SubElement(item, "sensorReport", self._attrs(report))
            for key, v in element.items():
                if ":" in key:
                    self.extension(item, key, v)

    def _attrs(self, values: Mapping[str, Any]) -> dict[str, str]:
        return {(self.tag(k) if ":" in k else k): _text(v) for k, v in values.items()}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _namespaces(context: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, Mapping):
            out.update({k: v for k, v in item.items() if isinstance(v, str)})
    return out


def query_document_xml(events: Sequence[Mapping[str, Any]], *, query_name: str,
                       creation_date: str, subscription_id: str | None = None,
                       context: Any = None) -> bytes:
    """An ``EPCISQueryDocument`` in the XML binding."""
    writer = _Writer(_namespaces(context))
    root = Element(f"{{{QUERY_NS}}}EPCISQueryDocument",
                   {"schemaVersion": "2.0", "creationDate": creation_date})
    results = SubElement(SubElement(root, "EPCISBody"), f"{{{QUERY_NS}}}QueryResults")
    SubElement(results, "queryName").text = query_name
    if subscription_id:
        SubElement(results, "subscriptionID").text = subscription_id
    event_list = SubElement(SubElement(results, "resultsBody"), "EventList")
    for event in events:
        writer.event(event_list, event)
    from xml.etree.ElementTree import register_namespace

    register_namespace("epcisq", QUERY_NS)
    _register(writer.namespaces)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8",
                                                                 xml_declaration=False)


def document_xml(events: Sequence[Mapping[str, Any]], *, creation_date: str,
                 context: Any = None) -> bytes:
    """An ``EPCISDocument`` in the XML binding (for the round-trip tests and integrators)."""
    writer = _Writer(_namespaces(context))
    root = Element(f"{{{EPCIS_NS}}}EPCISDocument",
                   {"schemaVersion": "2.0", "creationDate": creation_date})
    event_list = SubElement(SubElement(root, "EPCISBody"), "EventList")
    for event in events:
        writer.event(event_list, event)
    from xml.etree.ElementTree import register_namespace

    register_namespace("epcis", EPCIS_NS)
    _register(writer.namespaces)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def _register(namespaces: Mapping[str, str]) -> None:
    """Write the documents' own prefixes (ElementTree's registry is process-wide; a prefix it
    refuses, such as ``ns0``, falls back to a generated one)."""
    from xml.etree.ElementTree import register_namespace

    for prefix, uri in namespaces.items():
        if prefix and prefix.isidentifier():
            with contextlib.suppress(ValueError):
                register_namespace(prefix, uri)
