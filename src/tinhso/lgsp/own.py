"""tinhso's own APIs as LGSP services of the province's subsystem (``tinhso lgsp register-own``).

Other systems then reach them through the gateway, logged like any exchange. Each service gets
the part of tinhso's OpenAPI schema under its prefix, so ``getOpenAPI`` and ``listMethods``
describe it.
"""

from __future__ import annotations

import json

from django.conf import settings

from tinhso.lgsp import services
from tinhso.lgsp.models import Service

OWN_SERVICES = {  # service code -> API prefix
    "dossiers": "/api/v1/dossiers",
    "procedures": "/api/v1/procedures",
    "documents": "/api/v1/signatures",
    # Pushed edXML packages and status messages (POST /edxml/receive), docs/correspondence.md
    "edxml": "/api/v1/correspondence/edxml",
}


def _schema() -> dict:
    from tinhso.core.api import api

    return api.get_openapi_schema()


def _part(schema: dict, prefix: str) -> str:
    paths = {p[len(prefix):] or "/": ops for p, ops in schema.get("paths", {}).items()
             if p.startswith(prefix)}
    part = {"openapi": schema.get("openapi", "3.1.0"), "info": schema.get("info", {}),
            "paths": paths, "components": schema.get("components", {})}
    return json.dumps(part, ensure_ascii=False)


def register_own(*, subsystem: str, base_url: str | None = None,
                 token: str = "") -> list[Service]:
    """``token``: an API token of a tinhso service account, sent to tinhso as the provider's
    credential (stored encrypted); without it only public endpoints answer."""
    sub = services.subsystem_get(subsystem)
    base = str(base_url or getattr(settings, "TINHSO_PUBLIC_URL", "") or "http://127.0.0.1:8000"
               ).rstrip("/")
    schema = _schema()
    auth = f"Bearer {token}" if token else ""
    out = []
    for code, prefix in OWN_SERVICES.items():
        existing = Service.objects.filter(subsystem=sub, code=code).first()
        document = _part(schema, prefix)
        if existing is None:
            out.append(services.service_add(acting_user=None, subsystem=sub, code=code,
                                            url=base + prefix, openapi=document,
                                            provider_authorization=auth))
        else:
            out.append(services.service_update(acting_user=None, service=existing,
                                               url=base + prefix, openapi=document,
                                               provider_authorization=auth))
    return out



