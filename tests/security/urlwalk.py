"""Walk every URL pattern of the project and build a concrete URL for each.

Shared by the endpoint inventory and the CSRF tests. Parameters are filled from a small table of
sample values (by converter, then by parameter name); the values need not exist: an endpoint must
refuse an anonymous caller before it looks anything up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

SAMPLE_UUID = "3f2a1c9e-0000-4000-8000-000000000001"

# Parameter name -> sample value. Anything not listed gets "1" (valid for int, str, slug, path).
SAMPLES: dict[str, str] = {
    "app_label": "accounts",  # admin's app_list regex only accepts registered app labels
    "code": "X-0001",
    "url": "khong-co",  # admin's catch-all
}

UNSAFE_METHODS = ("post", "put", "patch", "delete")
ALL_METHODS = ("get", *UNSAFE_METHODS)

_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _route_value(match: re.Match[str]) -> str:
    if match.group("conv") == "uuid":
        return SAMPLE_UUID
    return SAMPLES.get(match.group("name"), "1")


def _fill(pattern: object) -> tuple[str, str]:
    """(template as written, concrete sample) for one pattern segment."""
    if isinstance(pattern, RoutePattern):
        route = str(pattern)
        return route, _ROUTE_PARAM.sub(_route_value, route)
    regex = str(pattern.regex.pattern)  # type: ignore[attr-defined]
    template = regex.lstrip("^").rstrip("$").replace("\\Z", "")
    sample = _REGEX_GROUP.sub(lambda m: SAMPLES.get(m.group("name"), "1"), template)
    return template, sample.replace("\\", "")


@dataclass(frozen=True)
class Endpoint:
    route: str  # e.g. "api/v1/dossiers/<code>": the key of the allowlists
    url: str  # e.g. "/api/v1/dossiers/X-0001"
    name: str
    is_api: bool  # a django-ninja operation (CSRF and auth handled by ninja)


def endpoints() -> Iterator[Endpoint]:
    seen: set[str] = set()

    def walk(patterns: list[object], route: str, url: str, api: bool) -> Iterator[Endpoint]:
        for p in patterns:
            seg_route, seg_url = _fill(p.pattern)  # type: ignore[attr-defined]
            if isinstance(p, URLResolver):
                is_api = api or getattr(p, "namespace", None) == "api"
                yield from walk(p.url_patterns, route + seg_route, url + seg_url, is_api)
            elif isinstance(p, URLPattern):
                full = route + seg_route
                if full in seen:  # ninja lists GET and POST on one path as two patterns
                    continue
                seen.add(full)
                yield Endpoint(full, url + seg_url, p.name or "", api)

    yield from walk(get_resolver().url_patterns, "", "/", False)
