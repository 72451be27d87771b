"""Access rights: does a client subsystem's grant cover this method and path of a service?"""

from __future__ import annotations

from tinhso.lgsp.models import AccessRight, Service, Subsystem


def path_matches(pattern: str, path: str) -> bool:
    """X-Road endpoint paths: ``*`` is one segment, a trailing ``**`` any rest (also nothing)."""
    if pattern == "**":
        return True
    want = pattern.strip("/").split("/")
    have = path.strip("/").split("/") if path.strip("/") else []
    for i, part in enumerate(want):
        if part == "**" and i == len(want) - 1:
            return True
        if i >= len(have) or (part != "*" and part != have[i]):
            return False
    return len(have) == len(want)


def is_allowed(client: Subsystem, service: Service, method: str, path: str) -> bool:
    rights = AccessRight.objects.filter(client=client, service=service).values_list("method",
                                                                                   "path")
    return any(m in ("*", method) and path_matches(p, path) for m, p in rights)
