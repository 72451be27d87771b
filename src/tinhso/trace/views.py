"""Public pages and JSON of the trace app.

* ``/01/{gtin}/10/{lot}`` — the GS1 Digital Link resolver: the lot's journey (HTML, Vietnamese);
  with ``Accept: application/linkset+json`` / ``application/json`` or ``?linkType=all`` a
  linkset (RFC 9264); ``?linkType=gs1:traceability`` redirects to the EPCIS query of the lot.
* ``/truy-xuat/qr/01/{gtin}/10/{lot}.svg`` — the QR code of that URI (segno).
* ``/truy-xuat/so-cai/`` — the ledger's signed tree heads; ``…/sth``, ``…/consistency``,
  ``…/proof`` — the same as JSON, with consistency and inclusion proofs (RFC 9162).
"""

from __future__ import annotations

import base64
import re
import struct
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from tinhso.trace import errors, ledger, selectors
from tinhso.trace.identifiers import is_valid_gs1_number, lot_uri
from tinhso.trace.models import LedgerHead

GTIN_RE = re.compile(r"^\d{8}$|^\d{12,14}$")
LOT_RE = re.compile(r"^[!%-?A-Z_a-z\x22]{1,20}$")  # GS1 AI (10): up to 20 CSET 82 characters
GS1 = "https://gs1.org/voc/"


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _check_lot(gtin: str, lot: str) -> str:
    if not GTIN_RE.match(gtin) or not is_valid_gs1_number(gtin) or not LOT_RE.match(lot):
        raise Http404("not a GTIN + lot")
    return gtin.zfill(14)


def _public(path: str) -> str:
    return settings.TINHSO_PUBLIC_URL + path


def linkset(journey: dict[str, Any]) -> dict[str, Any]:
    gtin, lot = journey["gtin"], journey["lot"]
    page = _public(f"/01/{gtin}/10/{lot}")
    query = _public("/epcis/events?" + urlencode({"MATCH_epcClass": journey["uri"]}))
    name = (journey["product"] or {}).get("name", "")
    links: dict[str, Any] = {
        "anchor": journey["uri"],
        GS1 + "defaultLink": [{"href": page, "title": f"Truy xuất nguồn gốc {name}".strip(),
                               "type": "text/html", "hreflang": ["vi"]}],
        GS1 + "traceability": [{"href": page, "title": "Hành trình của lô hàng",
                                "type": "text/html", "hreflang": ["vi"]}],
        GS1 + "epcis": [{"href": query, "title": "EPCIS 2.0 events",
                         "type": "application/json"}],
        GS1 + "qrCode": [{"href": _public(f"/truy-xuat/qr/01/{gtin}/10/{lot}.svg"),
                          "type": "image/svg+xml"}],
    }
    if journey["certificates"]:
        links[GS1 + "certificationInfo"] = [
            {"href": page + "#chung-nhan", "title": f"{c['kind']} {c['decision_number']}",
             "type": "text/html"} for c in journey["certificates"]]
    return {"linkset": [links]}


def _wants_linkset(request: HttpRequest) -> bool:
    if request.GET.get("linkType") == "all":
        return True
    accept = request.headers.get("Accept", "")
    return "application/linkset+json" in accept or (
        "application/json" in accept and "text/html" not in accept)


@require_GET
def resolve_lot(request: HttpRequest, gtin: str, lot: str) -> HttpResponse:
    gtin = _check_lot(gtin, lot)
    journey = selectors.lot_journey(gtin=gtin, lot=lot)
    link_type = request.GET.get("linkType", "")
    if link_type in ("gs1:traceability", GS1 + "traceability", "gs1:epcis", GS1 + "epcis"):
        return redirect("/epcis/events?" + urlencode({"MATCH_epcClass": journey["uri"]}))
    response: HttpResponse
    if _wants_linkset(request):
        response = JsonResponse(linkset(journey), json_dumps_params={"ensure_ascii": False},
                                content_type="application/linkset+json")
        response["Vary"] = "Accept"
        return response
    if not journey["found"]:
        response = render(request, "trace/lot.html", {"journey": journey}, status=404)
    else:
        response = render(request, "trace/lot.html", {
            "journey": journey, "qr_url": f"/truy-xuat/qr/01/{gtin}/10/{lot}.svg",
            "public_uri": _public(f"/01/{gtin}/10/{lot}")})
    response["Vary"] = "Accept"
    response["Link"] = (f'<{journey["uri"]}>; rel="owl:sameAs", '
                        f'<{request.path}?linkType=all>; rel="linkset"; '
                        'type="application/linkset+json"')
    return response


@require_GET
def lot_qr(request: HttpRequest, gtin: str, lot: str) -> HttpResponse:
    gtin = _check_lot(gtin, lot)
    svg = segno.make(_public(f"/01/{gtin}/10/{lot}"), error="q").svg_inline(scale=6, border=2)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _problem(exc: errors.EpcisError, request: HttpRequest) -> JsonResponse:
    return JsonResponse(exc.problem(request.path), status=exc.status,
                        content_type="application/problem+json",
                        json_dumps_params={"ensure_ascii": False})


def head_json(head: LedgerHead) -> dict[str, Any]:
    return {
        "log_id": _b64(ledger.LOG_ID),
        "tree_head": {"timestamp": head.timestamp_ms, "tree_size": head.tree_size,
                      "root_hash": _b64(bytes(head.root_hash)), "sth_extensions": []},
        "signature": _b64(bytes(head.signature)),
        "signature_algorithm": head.signature_algorithm,
        "signed_bytes": _b64(struct.pack(">H", 0x0005) + ledger.signed_tree_head_bytes(head)),
        "certificate": head.certificate_pem,
        "timestamp_token": _b64(bytes(head.timestamp_token)),
    }


def _size(request: HttpRequest, name: str) -> int | None:
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def _bad_size() -> errors.EpcisError:
    return errors.query_parameter("Kích thước cây không hợp lệ.", "Invalid tree size.")


@require_GET
def ledger_sth(request: HttpRequest) -> HttpResponse:
    head = selectors.latest_head()
    if head is None:
        return _problem(errors.not_found("Sổ cái chưa có gốc cây đã ký.",
                                         "The ledger has no signed tree head yet."), request)
    return JsonResponse(head_json(head))


@require_GET
def ledger_consistency(request: HttpRequest) -> HttpResponse:
    first, second = _size(request, "first"), _size(request, "second")
    if first is None or second is None or not first <= second <= ledger.tree_size():
        return _problem(_bad_size(), request)
    path = ledger.consistency_path(first, second)
    head1, head2 = selectors.head_of_size(first), selectors.head_of_size(second)
    return JsonResponse({"tree_size_1": first, "tree_size_2": second,
                         "consistency_path": [_b64(h) for h in path],
                         "sth_1": head_json(head1) if head1 else None,
                         "sth_2": head_json(head2) if head2 else None})


@require_GET
def ledger_proof(request: HttpRequest) -> HttpResponse:
    try:
        event = selectors.ledger_event(request.GET.get("event_id", ""))
    except errors.EpcisError as exc:
        return _problem(exc, request)
    size = _size(request, "tree_size") if "tree_size" in request.GET else None
    if "tree_size" in request.GET and size is None:
        return _problem(_bad_size(), request)
    proof = selectors.inclusion(event, size)
    if proof is None:
        return _problem(errors.not_found(
            "Chưa có gốc cây đã ký nào chứa sự kiện này (chờ lần ký tiếp theo).",
            "No signed tree head covers this event yet (wait for the next one)."), request)
    head = selectors.head_of_size(proof["tree_size"])
    # The proof is public; the event's content (quantities, partners) only for its readers
    # (decision 0020) — anyone else checks the leaf against the content hash it commits to.
    document = event.document if selectors.event_readable(event, request.user) else None
    return JsonResponse({"event_id": event.event_id, "event": document, **proof,
                         "sth": head_json(head) if head else None},
                        json_dumps_params={"ensure_ascii": False})


@require_GET
def ledger_page(request: HttpRequest) -> HttpResponse:
    return render(request, "trace/ledger.html", {"heads": selectors.recent_heads(),
                                                 "size": ledger.tree_size()})


def lot_uri_for(gtin: str, lot: str) -> str:
    return lot_uri(gtin, lot)
