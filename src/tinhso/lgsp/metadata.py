"""X-Road metaservices for REST (PR-MREST) and ``listClients`` (PR-META §2).

* ``GET /r1/{provider subsystem}/listMethods``: the provider's REST services with endpoints.
* ``GET /r1/{provider subsystem}/allowedMethods``: those the calling client may use, with the
  endpoints its access rights open.
* ``GET /r1/{provider subsystem}/getOpenAPI?serviceCode=X``: the service's OpenAPI document.
* ``GET /lgsp/listClients[?xRoadInstance=VN]``: members and subsystems, JSON when the ``Accept``
  header asks for ``application/json``, otherwise XML (``clientList``).
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpRequest, HttpResponse, JsonResponse

from tinhso.lgsp import errors, identifiers
from tinhso.lgsp.models import AccessRight, Member, Service, Subsystem

METASERVICES = {"listMethods", "allowedMethods", "getOpenAPI"}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _provider(sid: identifiers.ServiceId) -> Subsystem:
    c = sid.client
    provider = (Subsystem.objects.select_related("member")
                .filter(member__instance=c.instance, member__member_class=c.member_class,
                        member__member_code=c.member_code, code=c.subsystem_code).first())
    if provider is None:
        raise errors.unknown_service(str(sid))
    return provider


def openapi_endpoints(document: str) -> list[dict[str, str]]:
    """Endpoints of an OpenAPI 3 document (JSON or YAML), path parameters written ``*``."""
    try:
        spec = json.loads(document)
    except ValueError:
        try:
            import yaml

            spec = yaml.safe_load(document)
        except Exception:  # an unreadable document lists no endpoints rather than failing
            return []
    paths = spec.get("paths") if isinstance(spec, dict) else None
    out = []
    for path, operations in (paths or {}).items():
        if not isinstance(operations, dict):
            continue
        for method in HTTP_METHODS:
            if method in operations:
                out.append({"method": method.upper(),
                            "path": re.sub(r"\{[^}/]+\}", "*", str(path))})
    return out


def _service_json(service: Service, endpoints: list[dict[str, str]]) -> dict[str, Any]:
    member = service.subsystem.member
    return {"member_class": member.member_class, "member_code": member.member_code,
            "object_type": "SERVICE", "service_code": service.code,
            "service_type": service.service_type, "subsystem_code": service.subsystem.code,
            "xroad_instance": member.instance, "endpoint_list": endpoints}


def _all_endpoints(service: Service) -> list[dict[str, str]]:
    if service.openapi.strip():
        return openapi_endpoints(service.openapi)
    return [{"method": "*", "path": "**"}]


def answer(request: HttpRequest, sid: identifiers.ServiceId, caller: Subsystem) -> HttpResponse:
    provider = _provider(sid)
    services = list(Service.objects.filter(subsystem=provider, is_enabled=True)
                    .select_related("subsystem__member").order_by("code"))
    if sid.service_code == "listMethods":
        return JsonResponse({"service": [_service_json(s, _all_endpoints(s)) for s in services]})
    if sid.service_code == "allowedMethods":
        rights: dict[int, list[dict[str, str]]] = {}
        for service_id, method, path in (AccessRight.objects
                                         .filter(client=caller, service__in=services)
                                         .values_list("service_id", "method", "path")):
            rights.setdefault(service_id, []).append({"method": method, "path": path})
        return JsonResponse({"service": [_service_json(s, rights[s.pk]) for s in services
                                         if s.pk in rights]})
    code = request.GET.get("serviceCode", "")
    service = next((s for s in services if s.code == code), None)
    if service is None or not service.openapi.strip():
        raise errors.unknown_service(f"{sid.client}/{code}" if code else str(sid))
    text = service.openapi
    try:
        json.loads(text)
        content_type = "application/json; charset=utf-8"
    except ValueError:
        content_type = "text/yaml; charset=utf-8"
    return HttpResponse(text, content_type=content_type)


def list_clients(request: HttpRequest, instance: str | None) -> HttpResponse:
    members = Member.objects.prefetch_related("subsystems").order_by(
        "instance", "member_class", "member_code")
    if instance:
        members = members.filter(instance=instance)
    items: list[dict[str, Any]] = []
    for m in members:
        base = {"member_class": m.member_class, "member_code": m.member_code,
                "xroad_instance": m.instance}
        items.append({"id": {**base, "object_type": "MEMBER"}, "name": m.name})
        for s in m.subsystems.all():
            if s.is_active:
                items.append({"id": {**base, "object_type": "SUBSYSTEM",
                                     "subsystem_code": s.code}, "name": m.name})
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"member": items})
    rows = []
    for item in items:
        i = item["id"]
        sub = (f"<id:subsystemCode>{escape(i['subsystem_code'])}</id:subsystemCode>"
               if "subsystem_code" in i else "")
        rows.append(
            f'<ns2:member><ns2:id id:objectType="{i["object_type"]}">'
            f"<id:xRoadInstance>{escape(i['xroad_instance'])}</id:xRoadInstance>"
            f"<id:memberClass>{escape(i['member_class'])}</id:memberClass>"
            f"<id:memberCode>{escape(i['member_code'])}</id:memberCode>{sub}</ns2:id>"
            f"<ns2:name>{escape(item['name'])}</ns2:name></ns2:member>")
    xml = ('<?xml version="1.0" encoding="UTF-8"?>'
           '<ns2:clientList xmlns:id="http://x-road.eu/xsd/identifiers" '
           'xmlns:ns2="http://x-road.eu/xsd/xroad.xsd">' + "".join(rows) + "</ns2:clientList>")
    return HttpResponse(xml, content_type="text/xml; charset=utf-8")
