"""X-Road identifiers: ``INSTANCE/CLASS/MEMBER[/SUBSYSTEM]`` and services under them.

Parts are UTF-8 and percent-encoded one by one in URLs (PR-REST §4.2); the characters X-Road
forbids in identifiers (PR-REST §4.8: ``: ; % / \\``, whitespace and control characters) are
refused here, so a decoded path splits unambiguously on ``/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PART = re.compile(r"^[^\s:;%/\\\x00-\x1f\x7f]{1,64}$")


def valid_part(value: str) -> bool:
    return bool(_PART.match(value))


@dataclass(frozen=True)
class ClientId:
    instance: str
    member_class: str
    member_code: str
    subsystem_code: str

    def __str__(self) -> str:
        return f"{self.instance}/{self.member_class}/{self.member_code}/{self.subsystem_code}"


@dataclass(frozen=True)
class ServiceId:
    client: ClientId
    service_code: str

    def __str__(self) -> str:
        return f"{self.client}/{self.service_code}"


def parse_client(text: str) -> ClientId | None:
    """``VN/GOV/000.00.00.H10/MOTCUA`` -> ClientId; None when malformed.

    tinhso's registry keeps clients as subsystems, so the subsystem part is required here.
    """
    parts = text.strip().split("/")
    if len(parts) != 4 or not all(valid_part(p) for p in parts):
        return None
    return ClientId(*parts)


def parse_service(text: str) -> ServiceId | None:
    parts = text.strip().split("/")
    if len(parts) != 5 or not all(valid_part(p) for p in parts):
        return None
    return ServiceId(ClientId(*parts[:4]), parts[4])
