"""Registering the national systems (here: the sandbox) as LGSP provider services, and tinhso
as the client subsystem that calls them."""

from __future__ import annotations

from django.db import transaction

from tinhso.lgsp import services as lgsp
from tinhso.lgsp.models import Member, Service, Subsystem

PORTAL_PROVIDER = ("VN", "GOV", "000.00.00.G22", "DVCQG")
POPULATION_PROVIDER = ("VN", "GOV", "000.00.00.BCA", "DANCU")
CLIENT = ("VN", "GOV", "000.00.00.H10", "TINHSO")
NAMES = {"000.00.00.G22": "Văn phòng Chính phủ (Cổng DVC quốc gia)",
         "000.00.00.BCA": "Bộ Công an (CSDL quốc gia về dân cư)",
         "000.00.00.H10": "UBND tỉnh"}


def _subsystem(instance: str, cls: str, code: str, sub: str) -> Subsystem:
    member = Member.objects.filter(instance=instance, member_class=cls, member_code=code).first()
    if member is None:
        member = lgsp.member_add(acting_user=None, instance=instance, member_class=cls,
                                 member_code=code, name=NAMES.get(code, code))
    existing = Subsystem.objects.filter(member=member, code=sub).first()
    return existing or lgsp.subsystem_add(acting_user=None, member=member, code=sub)


def register_sandbox(url: str) -> dict[str, str]:
    """Provider services ``…/DVCQG/dossiers`` (→ URL/dvcqg) and ``…/DANCU/citizens`` (→
    URL/dancu), the client ``VN/GOV/000.00.00.H10/TINHSO`` with rights on both, and a new
    token. Returns the settings to use (TINHSO_*)."""
    base = url.rstrip("/")
    with transaction.atomic():
        client = _subsystem(*CLIENT)
        ids = {}
        for provider, code, path in ((PORTAL_PROVIDER, "dossiers", "/dvcqg"),
                                     (POPULATION_PROVIDER, "citizens", "/dancu")):
            sub = _subsystem(*provider)
            service: Service | None = Service.objects.filter(subsystem=sub, code=code).first()
            if service is None:
                service = lgsp.service_add(acting_user=None, subsystem=sub, code=code,
                                           url=base + path, timeout_seconds=15)
            if not service.access_rights.filter(client=client).exists():
                lgsp.access_grant(acting_user=None, client=client, service=service)
            ids[code] = service.identifier
        token = lgsp.token_issue(acting_user=None, subsystem=client).raw
    return {"TINHSO_LGSP_CLIENT": client.identifier, "TINHSO_LGSP_CLIENT_TOKEN": token,
            "TINHSO_NATIONAL_PORTAL_SERVICE": ids["dossiers"],
            "TINHSO_POPULATION_SERVICE": ids["citizens"]}
