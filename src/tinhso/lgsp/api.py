"""/api/v1/lgsp: the registry for operators (members, subsystems, services, rights, credentials)
and a read of the message log. The gateway itself is /lgsp/r1/… (not part of this API).

(No ``from __future__ import annotations``: ninja reads the annotations at import time.)
"""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from tinhso.lgsp import messagelog, selectors, services
from tinhso.lgsp.permissions import require_operator

router = Router(tags=["lgsp"])


class MemberIn(Schema):
    instance: str = Field(..., examples=["VN"])
    member_class: str = Field(..., examples=["GOV"])
    member_code: str = Field(..., examples=["000.00.00.H10"])
    name: str


class SubsystemOut(Schema):
    identifier: str
    name: str
    rate_limit: str
    is_active: bool


class MemberOut(Schema):
    identifier: str
    name: str
    subsystems: list[SubsystemOut]


class SubsystemIn(Schema):
    member: str = Field(..., description="INSTANCE/CLASS/MEMBER")
    code: str
    name: str = ""
    rate_limit: str = Field("", description="e.g. 600/m; empty: TINHSO_LGSP_RATE")


class ServiceIn(Schema):
    subsystem: str = Field(..., description="INSTANCE/CLASS/MEMBER/SUBSYSTEM of the provider")
    code: str
    url: str
    openapi: str = ""
    timeout_seconds: int = 30


class RightOut(Schema):
    client: str
    method: str
    path: str


class ServiceOut(Schema):
    identifier: str
    url: str
    service_type: str
    timeout_seconds: int
    is_enabled: bool
    rights: list[RightOut]


class RightIn(Schema):
    client: str
    service: str
    method: str = "*"
    path: str = "**"


class LgspRevokeIn(Schema):
    client: str
    service: str
    method: str | None = None
    path: str | None = None


class LgspTokenIn(Schema):
    client: str
    days: int | None = None


class LgspTokenOut(Schema):
    client: str
    token: str = Field(..., description="shown once; only its SHA-256 is stored")
    expires_at: dt.datetime | None


class CertificateIn(Schema):
    client: str
    days: int = 730


class LgspCertificateOut(Schema):
    client: str
    serial: str
    certificate_pem: str
    key_pem: str = Field(..., description="shown once")


class EntryOut(Schema):
    index: int
    logged_at: dt.datetime
    x_road_id: str
    request_id: str
    client: str
    service: str
    method: str
    path: str
    status: int
    error_type: str
    duration_ms: int
    request_bytes: int
    response_bytes: int
    request_sha256: str
    response_sha256: str
    leaf_hash: str


class HeadOut(Schema):
    tree_size: int
    timestamp: int
    root_hash: str


def _member_out(m) -> MemberOut:  # type: ignore[no-untyped-def]
    return MemberOut(identifier=m.identifier, name=m.name, subsystems=[
        SubsystemOut(identifier=s.identifier, name=s.name, rate_limit=s.rate_limit,
                     is_active=s.is_active) for s in m.subsystems.all()])


def _service_out(s) -> ServiceOut:  # type: ignore[no-untyped-def]
    return ServiceOut(identifier=s.identifier, url=s.url, service_type=s.service_type,
                      timeout_seconds=s.timeout_seconds, is_enabled=s.is_enabled,
                      rights=[RightOut(client=r.client.identifier, method=r.method, path=r.path)
                              for r in s.access_rights.all()])


@router.get("/members", response=list[MemberOut], summary="Thành viên và hệ thống")
def list_members(request: HttpRequest) -> list[MemberOut]:
    return [_member_out(m) for m in selectors.members(request.user)]


@router.post("/members", response={201: MemberOut}, summary="Thêm thành viên")
def add_member(request: HttpRequest, data: MemberIn) -> Status:
    m = services.member_add(acting_user=request.user, instance=data.instance,
                            member_class=data.member_class, member_code=data.member_code,
                            name=data.name)
    return Status(201, _member_out(m))


@router.post("/subsystems", response={201: SubsystemOut}, summary="Thêm hệ thống thành viên")
def add_subsystem(request: HttpRequest, data: SubsystemIn) -> Status:
    require_operator(request.user)
    s = services.subsystem_add(acting_user=request.user, member=services.member_get(data.member),
                               code=data.code, name=data.name, rate_limit=data.rate_limit)
    return Status(201, SubsystemOut(identifier=s.identifier, name=s.name,
                                    rate_limit=s.rate_limit, is_active=s.is_active))


@router.get("/services", response=list[ServiceOut], summary="Dịch vụ và quyền truy cập")
def list_services(request: HttpRequest) -> list[ServiceOut]:
    return [_service_out(s) for s in selectors.services_list(request.user)]


@router.post("/services", response={201: ServiceOut}, summary="Thêm dịch vụ")
def add_service(request: HttpRequest, data: ServiceIn) -> Status:
    require_operator(request.user)
    s = services.service_add(acting_user=request.user,
                             subsystem=services.subsystem_get(data.subsystem), code=data.code,
                             url=data.url, openapi=data.openapi,
                             timeout_seconds=data.timeout_seconds)
    return Status(201, _service_out(s))


@router.post("/rights", response={201: RightOut}, summary="Cấp quyền truy cập dịch vụ")
def grant(request: HttpRequest, data: RightIn) -> Status:
    require_operator(request.user)
    right = services.access_grant(acting_user=request.user,
                                  client=services.subsystem_get(data.client),
                                  service=services.service_get(data.service),
                                  method=data.method, path=data.path)
    return Status(201, RightOut(client=data.client, method=right.method, path=right.path))


@router.post("/rights/revoke", response=dict[str, int], summary="Thu hồi quyền truy cập")
def revoke(request: HttpRequest, data: LgspRevokeIn) -> dict[str, int]:
    require_operator(request.user)
    count = services.access_revoke(acting_user=request.user,
                                   client=services.subsystem_get(data.client),
                                   service=services.service_get(data.service),
                                   method=data.method, path=data.path)
    return {"revoked": count}


@router.post("/tokens", response={201: LgspTokenOut}, summary="Cấp mã truy cập cho hệ thống")
def issue_token(request: HttpRequest, data: LgspTokenIn) -> Status:
    require_operator(request.user)
    issued = services.token_issue(acting_user=request.user,
                                  subsystem=services.subsystem_get(data.client), days=data.days)
    return Status(201, LgspTokenOut(client=data.client, token=issued.raw,
                                expires_at=issued.token.expires_at))


@router.post("/certificates", response={201: LgspCertificateOut},
             summary="Cấp chứng thư máy khách (mTLS)")
def issue_certificate(request: HttpRequest, data: CertificateIn) -> Status:
    require_operator(request.user)
    issued = services.certificate_issue(acting_user=request.user,
                                        subsystem=services.subsystem_get(data.client),
                                        days=data.days)
    return Status(201, LgspCertificateOut(client=data.client,
                                      serial=issued.binding.certificate.serial,
                                      certificate_pem=issued.certificate_pem,
                                      key_pem=issued.key_pem))


@router.get("/log/entries", response=list[EntryOut], summary="Nhật ký trao đổi")
def log_entries(request: HttpRequest, start: int = 0, limit: int = 100) -> list[EntryOut]:
    rows = selectors.log_entries(request.user, start=max(0, start),
                                 limit=min(max(1, limit), 1000))
    return [EntryOut(**{f: getattr(e, f) for f in EntryOut.model_fields if f != "leaf_hash"},
                     leaf_hash=bytes(e.leaf_hash).hex()) for e in rows]


@router.post("/log/sign-head", response={200: HeadOut, 204: None},
             summary="Ký gốc cây nhật ký ngay")
def sign_head(request: HttpRequest) -> Status:
    require_operator(request.user)
    sth = messagelog.sth_publish()
    if sth is None:
        return Status(204, None)
    return Status(200, HeadOut(tree_size=sth.tree_size, timestamp=sth.timestamp_ms,
                               root_hash=bytes(sth.root_hash).hex()))
