"""What tinhso needs from each national system, whatever carries it (the LGSP gateway to the
real system or to the sandbox). Tests and a future transport implement these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from tinhso.connectors.client import ConnectorError, GatewayClient


@dataclass(frozen=True)
class StatusUpdate:
    event_id: str
    dossier_code: str
    national_status: int
    at: str  # ISO 8601
    procedure_code: str
    agency_code: str


class NationalPortal(Protocol):
    def push_status(self, update: StatusUpdate) -> None: ...  # raises ConnectorError
    def dossier_status(self, dossier_code: str) -> int | None: ...
    def catalogue(self) -> list[dict[str, str]]: ...


class PopulationDatabase(Protocol):
    def lookup(self, id_number: str, *, user_id: str) -> dict[str, Any] | None: ...


def _ok_json(r: Any) -> Any:
    try:
        return r.json()
    except ValueError as exc:
        raise ConnectorError(f"HTTP {r.status_code}: not JSON") from exc


class GatewayNationalPortal:
    def __init__(self, service_id: str | None = None) -> None:
        self.http = GatewayClient(service_id or settings.TINHSO_NATIONAL_PORTAL_SERVICE)

    def push_status(self, update: StatusUpdate) -> None:
        r = self.http.request("POST", "/dossiers/status", json={
            "event_id": update.event_id, "MaHoSo": update.dossier_code,
            "TrangThaiHoSo": update.national_status, "ThoiGian": update.at,
            "MaTTHC": update.procedure_code, "MaDonVi": update.agency_code})
        body = _ok_json(r) if r.status_code < 500 else {}
        if r.status_code != 200 or body.get("error_code") != 0:
            raise ConnectorError(f"HTTP {r.status_code} {r.headers.get('X-Road-Error', '')} "
                                 f"{str(body)[:150]}")

    def dossier_status(self, dossier_code: str) -> int | None:
        r = self.http.request("GET", f"/dossiers/{dossier_code}")
        if r.status_code == 404 and "X-Road-Error" not in r.headers:
            return None
        if r.status_code != 200:
            raise ConnectorError(f"HTTP {r.status_code} {r.headers.get('X-Road-Error', '')}")
        return int(_ok_json(r)["TrangThaiHoSo"])

    def catalogue(self) -> list[dict[str, str]]:
        r = self.http.request("GET", "/procedures")
        if r.status_code != 200:
            raise ConnectorError(f"HTTP {r.status_code} {r.headers.get('X-Road-Error', '')}")
        return list(_ok_json(r)["data"])


class GatewayPopulation:
    def __init__(self, service_id: str | None = None) -> None:
        self.http = GatewayClient(service_id or settings.TINHSO_POPULATION_SERVICE)

    def lookup(self, id_number: str, *, user_id: str) -> dict[str, Any] | None:
        # The number travels in the body, not the path: the message log keeps paths, and
        # only hashes of bodies.
        r = self.http.request("POST", "/citizens/lookup", json={"so_dinh_danh": id_number},
                              user_id=user_id)
        if r.status_code == 404 and "X-Road-Error" not in r.headers:
            return None
        if r.status_code != 200:
            raise ConnectorError(f"HTTP {r.status_code} {r.headers.get('X-Road-Error', '')}")
        return dict(_ok_json(r))


def portal() -> NationalPortal:
    return GatewayNationalPortal()


def population() -> PopulationDatabase:
    return GatewayPopulation()
