"""Build ``core/data/advisories.json`` from a checkout of the PyPA advisory database.

Only the facts the audit needs are kept from each OSV record — id, aliases, affected ranges and
versions, a short summary and the references — for the packages of our dependency closure, with
the source, its commit and the snapshot date. The records are CC-BY 4.0 (the database's
LICENSE); the attribution travels inside the file. Needs PyYAML (a dev dependency): refreshing
is a developer's task, reading the snapshot is not.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tinhso.core.depaudit import canonical

SOURCE = "https://github.com/pypa/advisory-database"
ATTRIBUTION = ("Advisory data from the Python Packaging Authority's advisory database "
               "(https://github.com/pypa/advisory-database), licensed CC-BY 4.0 "
               "(https://creativecommons.org/licenses/by/4.0/); reduced to the fields the audit "
               "reads, otherwise unchanged.")


def _compact(record: dict[str, Any], package: str) -> dict[str, Any] | None:
    if record.get("withdrawn"):
        return None
    ranges: list[dict[str, Any]] = []
    versions: list[str] = []
    for affected in record.get("affected", []):
        if canonical(affected.get("package", {}).get("name", "")) != package:
            continue
        ranges += [{"type": r["type"],
                    "events": [{k: str(v) for k, v in e.items()} for e in r.get("events", [])]}
                   for r in affected.get("ranges", []) if r.get("type") == "ECOSYSTEM"]
        versions += [str(v) for v in affected.get("versions", [])]
    if not ranges and not versions:
        return None
    if ranges:
        versions = []  # the ranges say it; the release lists only matter for GIT-only records
    summary = (record.get("summary") or record.get("details") or "").strip().splitlines()
    return {
        "id": record["id"],
        "aliases": sorted(record.get("aliases") or []),
        "summary": summary[0][:200] if summary else "",
        "modified": str(record.get("modified", "")),
        "ranges": ranges,
        "versions": versions,
        "references": [ref["url"] for ref in record.get("references", [])
                       if ref.get("type") in {"ADVISORY", "FIX", "WEB", "REPORT", "ARTICLE"}][:5],
    }


def build(vulns_dir: Path, packages: list[str], *, commit: str, taken: dt.date
          ) -> dict[str, Any]:
    """The snapshot for ``packages`` (canonical names) from ``vulns_dir`` (``<repo>/vulns``)."""
    import yaml

    wanted = {canonical(p) for p in packages}
    by_package: dict[str, list[dict[str, Any]]] = {}
    for folder in sorted(p for p in vulns_dir.iterdir() if p.is_dir()):
        name = canonical(folder.name)
        if name not in wanted:
            continue
        for path in sorted(folder.glob("*.yaml")):
            record = yaml.safe_load(path.read_text(encoding="utf-8"))
            compact = _compact(record, name)
            if compact is not None:
                by_package.setdefault(name, []).append(compact)
    return {
        "source": SOURCE,
        "source_commit": commit,
        "snapshot_date": taken.isoformat(),
        "license": "CC-BY-4.0",
        "attribution": ATTRIBUTION,
        "covered": sorted(wanted),
        "packages": by_package,
    }


def write(snapshot: dict[str, Any], path: Path) -> None:
    """Compact, but one advisory per line so that a refresh reads as a diff."""
    head = {k: v for k, v in snapshot.items() if k != "packages"}
    lines = ["{"] + [f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in
                     sorted(head.items())]
    lines.append(' "packages": {')
    names = sorted(snapshot["packages"])
    for i, name in enumerate(names):
        lines.append(f"  {json.dumps(name)}: [")
        advisories = snapshot["packages"][name]
        for j, adv in enumerate(advisories):
            comma = "," if j < len(advisories) - 1 else ""
            lines.append("   " + json.dumps(adv, ensure_ascii=False, sort_keys=True) + comma)
        lines.append("  ]" + ("," if i < len(names) - 1 else ""))
    lines += [" }", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
