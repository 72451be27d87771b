"""Known-vulnerability audit of the installed dependencies (ASVS V10.3, V14.2).

Two sources, the live one first:

* ``pip-audit`` with PyPI's vulnerability data, when the tool is installed and PyPI's
  per-release JSON answers (the build machines of this project often reach only the package
  index itself, not the JSON API or OSV);
* otherwise a committed snapshot of the PyPA advisory database (OSV records) restricted to our
  dependency closure: ``core/data/advisories.json``. Its date is printed and it ages visibly;
  ``docs/security.md`` says how to refresh it.

The comparison is plain PEP 440: a version is affected when it is listed in an advisory's
``versions`` or falls in one of its ``ECOSYSTEM`` ranges (``introduced`` ≤ v < ``fixed``, or
≤ ``last_affected``). ``GIT`` ranges name commits, not releases, and are skipped: PyPA's records
carry the matching releases in ``versions``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

SNAPSHOT_PATH = Path(__file__).parent / "data" / "advisories.json"


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory_id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    url: str

    def line(self) -> str:
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fixed = ", ".join(self.fixed_in) or "no fixed release"
        return (f"{self.package} {self.version}: {self.advisory_id}{aliases}; "
                f"fixed in {fixed}; {self.url}")


def _requirements(dist: metadata.Distribution, extras: Iterable[str]) -> Iterator[Requirement]:
    for raw in dist.requires or []:
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            continue
        if req.marker is None:
            yield req
            continue
        envs = [{"extra": e} for e in extras] or [{"extra": ""}]
        if any(req.marker.evaluate(env) for env in envs):
            yield req


def dependency_closure(root: str = "tinhso", extras: Iterable[str] = ("dev", "load")
                       ) -> dict[str, str]:
    """Installed ``{canonical name: version}`` of ``root`` and everything it requires
    (with the given extras of ``root``), walked through the installed metadata."""
    found: dict[str, str] = {}
    pending: list[tuple[str, tuple[str, ...]]] = [(root, tuple(extras))]
    while pending:
        name, want = pending.pop()
        key = canonical(name)
        if key in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional extra that is not installed here
        found[key] = dist.version
        for req in _requirements(dist, want):
            pending.append((req.name, tuple(req.extras)))
    found.pop(canonical(root), None)
    return found


def _parse(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


def _in_range(v: Version, events: list[dict[str, str]]) -> bool:
    """OSV ECOSYSTEM range: ``introduced`` opens an interval, ``fixed`` (exclusive) or
    ``last_affected`` (inclusive) closes it; an interval left open runs to infinity."""
    start: Version | None = None
    for event in events:
        if "introduced" in event:
            start = Version("0") if event["introduced"] == "0" else _parse(event["introduced"])
            continue
        if start is None:
            continue
        if "fixed" in event:
            end = _parse(event["fixed"])
            if end is not None and start <= v < end:
                return True
            start = None
        elif "last_affected" in event:
            end = _parse(event["last_affected"])
            if end is not None and start <= v <= end:
                return True
            start = None
    return start is not None and v >= start


def is_affected(version: str, advisory: dict[str, Any]) -> bool:
    if version in advisory.get("versions", []):
        return True
    v = _parse(version)
    if v is None:
        return False
    return any(r.get("type") == "ECOSYSTEM" and _in_range(v, r.get("events", []))
               for r in advisory.get("ranges", []))


def _fixed_versions(advisory: dict[str, Any]) -> tuple[str, ...]:
    return tuple(e["fixed"] for r in advisory.get("ranges", []) if r.get("type") == "ECOSYSTEM"
                 for e in r.get("events", []) if "fixed" in e)


def load_snapshot(path: Path = SNAPSHOT_PATH) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def snapshot_age_days(snapshot: dict[str, Any], today: dt.date | None = None) -> int:
    taken = dt.date.fromisoformat(snapshot["snapshot_date"][:10])
    return ((today or dt.date.today()) - taken).days


def audit(installed: dict[str, str], snapshot: dict[str, Any]) -> list[Finding]:
    """Every (package, advisory) pair whose advisory covers the installed version."""
    findings: list[Finding] = []
    packages: dict[str, list[dict[str, Any]]] = snapshot.get("packages", {})
    for name, version in sorted(installed.items()):
        for adv in packages.get(canonical(name), []):
            if is_affected(version, adv):
                refs = adv.get("references", [])
                findings.append(Finding(
                    package=name, version=version, advisory_id=adv["id"],
                    aliases=tuple(adv.get("aliases", [])), fixed_in=_fixed_versions(adv),
                    url=refs[0] if refs else "",
                ))
    return findings


def uncovered(installed: dict[str, str], snapshot: dict[str, Any]) -> list[str]:
    """Installed packages the snapshot was not built for (a dependency added since the last
    refresh): the audit cannot speak for them, so the command says so."""
    covered = set(snapshot.get("covered", []))
    return sorted(name for name in installed if canonical(name) not in covered)
